import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { type Config, loadConfig } from '#src/config.ts'
import type { Db, Job } from '#src/db/schema.ts'
import { createLogger } from '#src/logger.ts'
import type { NoticeChannel } from '#src/notify/channel.ts'
import { notifyUsers } from '#src/notify/outbox.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { enqueueJob } from './queue.ts'
import type { Schedule } from './schedules.ts'

import { PermanentJobError, startWorker, type Worker, type WorkerDeps } from './worker.ts'

/** One database per file (TESTING.md); each test starts from empty queue tables. */
let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})
beforeEach(async () => {
  for (const table of ['jobs', 'leases', 'outbox'] as const) await db.deleteFrom(table).execute()
})

const logger = createLogger('silent')
let config: Config | undefined
const running: Worker[] = []

afterEach(async () => {
  for (const worker of running.splice(0)) await worker.stop()
})

function workerConfig(): Config {
  config ??= loadConfig({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'helpdesk-worker-')), LOG_LEVEL: 'silent' })
  return config
}

function start(db: Db, deps: Partial<WorkerDeps> = {}): Worker {
  const worker = startWorker({
    db,
    config: workerConfig(),
    logger,
    channels: [],
    schedules: [],
    pollIntervalMs: 20,
    ...deps,
  })
  running.push(worker)
  return worker
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function jobRow(db: Db, id: number): Promise<Job> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

describe('worker', () => {
  test('runs due jobs through the handler of their kind', async () => {
    const seen: unknown[] = []
    const id = await enqueueJob(db, { kind: 'greet', payload: { ticketId: 7 } })
    start(db, { handlers: { greet: async (payload) => void seen.push(payload) } })
    await waitFor('the job to finish', async () => (await jobRow(db, id)).status === 'done')
    expect(seen).toEqual([{ ticketId: 7 }])
  })

  test('a failing handler is retried later; the loop goes on with other jobs', async () => {
    const flaky = await enqueueJob(db, { kind: 'flaky' })
    const unknown = await enqueueJob(db, { kind: 'nobody-handles-this' })
    const broken = await enqueueJob(db, { kind: 'strict' })
    const fine = await enqueueJob(db, { kind: 'fine' })
    start(db, {
      handlers: {
        flaky: async () => {
          throw new Error('printer on fire')
        },
        strict: async () => {
          throw new PermanentJobError('payload has no ticketId')
        },
        fine: async () => {},
      },
    })
    await waitFor('the good job', async () => (await jobRow(db, fine)).status === 'done')
    await waitFor('the failures', async () => (await jobRow(db, broken)).status === 'failed')
    expect(await jobRow(db, flaky)).toMatchObject({ status: 'pending', attempts: 1, last_error: 'printer on fire' })
    expect(await jobRow(db, unknown)).toMatchObject({ status: 'pending', attempts: 1 })
    expect((await jobRow(db, unknown)).last_error).toContain('no handler')
    expect(await jobRow(db, broken)).toMatchObject({ attempts: 1, last_error: 'payload has no ticketId' })
  })

  test('only the holder of the lease runs the schedules; another takes over when it stops', async () => {
    const runs: string[] = []
    const schedule = (who: string): Schedule => ({
      name: 'count',
      everyMs: 10,
      run: async () => {
        runs.push(who)
        return 0
      },
    })
    const a = start(db, { id: 'a', schedules: [schedule('a')], leaseTtlMs: 1_500 })
    await waitFor('a to run the schedule', () => runs.length > 0)
    start(db, { id: 'b', schedules: [schedule('b')], leaseTtlMs: 1_500 })
    await sleep(400)
    expect(new Set(runs)).toEqual(new Set(['a']))

    await a.stop()
    await waitFor('b to take over', () => runs.includes('b'))
    const lease = await db.selectFrom('leases').selectAll().executeTakeFirstOrThrow()
    expect(lease.holder).toBe('b')
  })

  test('a schedule that throws does not stop the loop', async () => {
    let attempts = 0
    const id = await enqueueJob(db, { kind: 'fine' })
    start(db, {
      schedules: [
        {
          name: 'broken',
          everyMs: 10,
          run: async () => {
            attempts++
            throw new Error('no such table')
          },
        },
      ],
      handlers: { fine: async () => {} },
    })
    await waitFor('the job to run despite the schedule', async () => (await jobRow(db, id)).status === 'done')
    await waitFor('the schedule to be tried again', () => attempts >= 2)
  })

  test('the ticket schedules run by default: a missed deadline is marked', async () => {
    const ticket = await buildTicket(db, { resolutionDueAt: '2000-01-01T00:00:00.000Z' })
    start(db, { schedules: undefined })
    await waitFor('the breach stamp', async () => {
      const row = await db.selectFrom('tickets').selectAll().where('id', '=', ticket.id).executeTakeFirstOrThrow()
      return row.resolution_breached_at !== null
    })
  })

  test('drains the outbox through its channels', async () => {
    const user = await buildUser(db)
    await notifyUsers(db, [user.id], { kind: 'registration_confirmed' })
    const sent: number[] = []
    const channel: NoticeChannel = {
      name: 'telegram',
      send: async (row) => {
        sent.push(row.id)
        return { ok: true }
      },
    }
    start(db, { channels: [channel] })
    await waitFor('the notice', async () => {
      const row = await db.selectFrom('outbox').select('status').executeTakeFirstOrThrow()
      return row.status === 'sent'
    })
    expect(sent).toHaveLength(1)
  })

  test('after stop() nothing more runs and the lease is free', async () => {
    let runs = 0
    const worker = start(db, {
      id: 'stopper',
      schedules: [{ name: 'tick', everyMs: 1, run: async () => ++runs }],
    })
    await waitFor('a run', () => runs > 0)
    await worker.stop()
    const after = runs
    const id = await enqueueJob(db, { kind: 'late' })
    await sleep(150)
    expect(runs).toBe(after)
    expect((await jobRow(db, id)).status).toBe('pending')
    expect(await db.selectFrom('leases').selectAll().execute()).toEqual([])
  })
})
