import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, expect, test } from 'vitest'
import { loadConfig } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import { createLogger } from '#src/logger.ts'
import type { NoticeChannel } from '#src/notify/channel.ts'
import { enqueueBotMessage } from '#src/notify/outbox.ts'
import { testDatabase } from '../../test/support/database.ts'
import { startWorker, type Worker } from './worker.ts'

/** wake(): the bot committed replies; the worker delivers them now, not at its next idle poll. */

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})
const running: Worker[] = []
afterEach(async () => {
  for (const worker of running.splice(0)) await worker.stop()
})

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

test('a woken worker drains the outbox at once; an idle one waits for its poll interval', async () => {
  const sent: number[] = []
  const channel: NoticeChannel = {
    name: 'telegram',
    send: async (row) => {
      sent.push(row.id)
      return { ok: true }
    },
  }
  const config = loadConfig({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'helpdesk-wake-')), LOG_LEVEL: 'silent' })
  const worker = startWorker({
    db,
    config,
    logger: createLogger('silent'),
    channels: [channel],
    schedules: [],
    pollIntervalMs: 60_000,
  })
  running.push(worker)
  // The first round runs at once and finds nothing; the next is a minute away.
  await new Promise((resolve) => setTimeout(resolve, 200))
  await enqueueBotMessage(db, '42', { text: 'Здравствуйте' })
  await new Promise((resolve) => setTimeout(resolve, 200))
  expect(sent).toEqual([])
  worker.wake()
  await waitFor(() => sent.length === 1, 2000)
  // Woken during a round: another round follows right after it.
  await enqueueBotMessage(db, '42', { text: 'Ещё' })
  worker.wake()
  worker.wake()
  await waitFor(() => sent.length === 2, 3000)
})
