import pino from 'pino'
import pretty from 'pino-pretty'

/**
 * Structured application log. Never log personal data here (names, phones, message texts, chat ids):
 * those belong to the audit journal, which is access-controlled. Log ids and codes.
 *
 * JSON lines for a service manager or a log collector; readable lines when a person watches a terminal
 * (LOG_FORMAT=json or pretty forces one).
 */
export type Logger = pino.Logger

export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const options = { level, base: { app: 'helpdesk' }, redact: ['password', '*.password', 'token', '*.token'] }
  const format = process.env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json')
  if (format !== 'pretty') return pino(options)
  return pino(
    options,
    pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', singleLine: true, ignore: 'pid,hostname,app', sync: true }),
  )
}
