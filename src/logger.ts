import pino from 'pino'

/**
 * Structured application log. Never log personal data here (names, phones, message texts, chat ids):
 * those belong to the audit journal, which is access-controlled. Log ids and codes.
 */
export type Logger = pino.Logger

export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'helpdesk' }, redact: ['password', '*.password', 'token', '*.token'] })
}
