import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { describe, expect, test } from 'vitest'
import { loadConfig } from '#src/config.ts'
import { now } from '#src/db/time.ts'
import { FIRST_ADMIN_HINT, serve } from '#src/main.ts'
import { capturedLogger } from './support/logger.ts'

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('serve', () => {
  test('starts on a fresh data folder with a free port, answers the probes, runs the worker, and stops cleanly', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-serve-'))
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' })
    const { logger, lines } = capturedLogger()
    const sigtermListeners = process.listenerCount('SIGTERM')

    const running = await serve(config, logger)
    try {
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(running.url).not.toMatch(/:0$/)
      expect(process.listenerCount('SIGTERM')).toBe(sigtermListeners + 1)
      expect(existsSync(path.join(dataDir, 'helpdesk.sqlite'))).toBe(true)

      const health = await fetch(`${running.url}/healthz`)
      expect(health.status).toBe(200)
      expect(await health.json()).toEqual({ status: 'ok' })
      const ready = await fetch(`${running.url}/readyz`)
      expect(ready.status).toBe(200)
      expect(await ready.json()).toEqual({ status: 'ready' })

      expect(lines.some((l) => l.msg === 'helpdesk is up' && l.url === running.url)).toBe(true)
      expect(lines.some((l) => l.msg === FIRST_ADMIN_HINT)).toBe(true)

      // The worker is on: a queued notice goes out through the logging channel.
      const at = now()
      const notice = await running.db
        .insertInto('outbox')
        .values({
          channel: 'telegram',
          recipient: '123456789',
          kind: 'registration_confirmed',
          payload: '{}',
          status: 'pending',
          next_attempt_at: at,
          last_error: null,
          ticket_id: null,
          message_id: null,
          created_at: at,
          sent_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      await waitFor('the notice to be delivered', async () => {
        const row = await running.db
          .selectFrom('outbox')
          .select('status')
          .where('id', '=', notice.id)
          .executeTakeFirstOrThrow()
        return row.status === 'sent'
      })
      expect(lines.some((l) => l.msg === 'notice' && l.outboxId === notice.id)).toBe(true)
      expect(JSON.stringify(lines)).not.toContain('123456789')
    } finally {
      await running.stop()
    }

    expect(process.listenerCount('SIGTERM')).toBe(sigtermListeners)
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow()
    expect(lines.some((l) => l.msg === 'stopped')).toBe(true)
    // Stopping twice is harmless.
    await running.stop()
  })

  test('a second start on the same folder finds the schema in place', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-serve-'))
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', WORKER: 'off' })
    const first = await serve(config, pino({ level: 'silent' }), { handleSignals: false })
    await first.stop()
    const { logger, lines } = capturedLogger()
    const second = await serve(config, logger, { handleSignals: false })
    try {
      expect(lines.some((l) => l.msg === 'migration')).toBe(false)
      expect(lines.some((l) => l.msg === 'worker started')).toBe(false)
      expect((await fetch(`${second.url}/readyz`)).status).toBe(200)
    } finally {
      await second.stop()
    }
  })
})
