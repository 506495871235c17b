import { Writable } from 'node:stream'
import pino from 'pino'
import { expect, test } from 'vitest'
import { loggerOptions } from './logger.ts'

function capture(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk))
      done()
    },
  })
  const logger = pino(loggerOptions('info'), sink)
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
  }
}

test("an error's row values (a PostgreSQL detail, query parameters) never reach the log, its kind and code do", () => {
  const { logger, lines } = capture()
  const error = Object.assign(new Error('duplicate key value violates unique constraint "users_phone_key"'), {
    code: '23505',
    detail: 'Key (phone)=(+79991234567) already exists.',
    parameters: ['Иванов Иван Иванович', '+79991234567'],
  })
  logger.error({ err: error, phase: 'outbox' }, 'worker phase failed')
  const [line] = lines()
  expect(line?.err).toMatchObject({ type: 'Error', code: '23505', message: error.message })
  expect(JSON.stringify(line)).not.toContain('79991234567')
  expect(JSON.stringify(line)).not.toContain('Иванов')
})

test('a thrown value that is not an Error is logged by its kind only', () => {
  const { logger, lines } = capture()
  logger.error({ err: { phone: '+79991234567' } }, 'odd throw')
  expect(lines()[0]?.err).toEqual({ type: 'object' })
})

test('passwords and tokens are redacted', () => {
  const { logger, lines } = capture()
  logger.info({ password: 'secret-1', body: { token: 'secret-2' } }, 'x')
  expect(JSON.stringify(lines()[0])).not.toMatch(/secret-/)
})
