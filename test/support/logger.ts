// A logger whose lines a test can read: pino at level info, each JSON line parsed into `lines`.
import { Writable } from 'node:stream'
import pino from 'pino'

export function capturedLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)))
      done()
    },
  })
  return { logger: pino({ level: 'info' }, sink), lines }
}
