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
  const options = loggerOptions(level)
  const format = process.env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json')
  if (format !== 'pretty') return pino(options, resilientStdout())
  return pino(
    options,
    pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', singleLine: true, ignore: 'pid,hostname,app', sync: true }),
  )
}

/** The options of every logger of the app: secrets redacted, errors reduced to what may be logged. */
export function loggerOptions(level: string): pino.LoggerOptions {
  return {
    level,
    base: { app: 'helpdesk' },
    redact: ['password', '*.password', 'token', '*.token'],
    serializers: { err: loggableError },
  }
}

/**
 * What of an error goes to the log (every `{ err }` passes through here): its kind, message, code and stack.
 * Not the whole object: a database error's `detail` and `parameters` carry row values (a login, a phone),
 * which are ПДн.
 */
export function loggableError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error }
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined
  return { type: error.name, message: error.message, code, stack: error.stack }
}

/** Lines kept while the output refuses them (a full disk); past this they are dropped. */
const MAX_PENDING_LOG_BYTES = 4 * 1024 * 1024

/**
 * Standard output that may fail without taking the process down. Redirected to a file on a full disk,
 * pino's default (asynchronous) stdout threw ENOSPC as an uncaught exception, and its exit hook then
 * spun retrying (reliability F7). Synchronous writes with an error listener keep the lines that failed
 * (up to a bound, then drop) and try again with the next line; there is no exit hook left to spin.
 */
function resilientStdout(): pino.DestinationStream {
  const destination = pino.destination({ dest: 1, sync: true, maxLength: MAX_PENDING_LOG_BYTES })
  destination.on('error', () => {
    // Nowhere to report it: the log is what cannot be written. The next line retries.
  })
  return destination
}
