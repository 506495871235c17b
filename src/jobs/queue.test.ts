import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { openDatabase } from '#src/db/database.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import type { Db, Job } from '#src/db/schema.ts'
import { clockAt, T0 } from '../../test/support/clock.ts'
import { testDatabase, testDialect } from '../../test/support/database.ts'
import { claimDueJobs, completeJob, enqueueJob, failJob, JOB_MAX_ATTEMPTS, jobBackoffMs } from './queue.ts'

/** One database per file (TESTING.md); each test starts from empty queue tables. */
let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})
beforeEach(async () => {
  for (const table of ['jobs'] as const) await db.deleteFrom(table).execute()
})

async function jobRow(db: Db, id: number): Promise<Job> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

describe('job queue', () => {
  test('a claimed job is running, locked for five minutes, and counts its attempt', async () => {
    clockAt(0)
    const id = await enqueueJob(db, { kind: 'backup', payload: { full: true } })
    const [job, ...rest] = await claimDueJobs(db, 10, 'w1')
    expect(rest).toEqual([])
    expect(job).toMatchObject({ id, kind: 'backup', status: 'running', attempts: 1 })
    expect(job?.locked_until).toBe(new Date(T0 + 5 * 60_000).toISOString())
    expect(JSON.parse(job?.payload ?? '')).toEqual({ full: true })
    expect(await claimDueJobs(db, 10, 'w2')).toEqual([])
  })

  test('a job waits for its run_at', async () => {
    clockAt(0)
    await enqueueJob(db, { kind: 'later', runAt: new Date(T0 + 60_000).toISOString() })
    expect(await claimDueJobs(db, 10, 'w1')).toEqual([])
    clockAt(60_000)
    expect(await claimDueJobs(db, 10, 'w1')).toHaveLength(1)
  })

  test('jobs come out oldest run_at first, at most `limit` at a time', async () => {
    clockAt(0)
    const late = await enqueueJob(db, { kind: 'k', runAt: new Date(T0 - 1_000).toISOString() })
    const early = await enqueueJob(db, { kind: 'k', runAt: new Date(T0 - 5_000).toISOString() })
    await enqueueJob(db, { kind: 'k' })
    const first = await claimDueJobs(db, 2, 'w1')
    expect(first.map((j) => j.id)).toEqual([early, late])
    expect(await claimDueJobs(db, 2, 'w1')).toHaveLength(1)
  })

  test('a unique key dedupes pending jobs, but not one already running', async () => {
    clockAt(0)
    const first = await enqueueJob(db, { kind: 'reindex', uniqueKey: 'reindex:7' })
    expect(await enqueueJob(db, { kind: 'reindex', uniqueKey: 'reindex:7' })).toBe(first)
    const other = await enqueueJob(db, { kind: 'reindex', uniqueKey: 'reindex:8' })
    expect(other).not.toBe(first)

    const claimed = await claimDueJobs(db, 1, 'w1')
    expect(claimed.map((j) => j.id)).toEqual([first])
    const second = await enqueueJob(db, { kind: 'reindex', uniqueKey: 'reindex:7' })
    expect(second).not.toBe(first)
    expect(await enqueueJob(db, { kind: 'reindex', uniqueKey: 'reindex:7' })).toBe(second)
    const [job] = claimed
    if (!job) throw new Error('no job')
    expect(await completeJob(db, job)).toBe(true)
    expect((await jobRow(db, first)).status).toBe('done')
  })

  test('enqueueing inside a transaction that rolls back leaves no job', async () => {
    await expect(
      db.transaction().execute(async (tx) => {
        await enqueueJob(tx, { kind: 'k', uniqueKey: 'u' })
        throw new Error('rollback')
      }),
    ).rejects.toThrow('rollback')
    expect(await db.selectFrom('jobs').selectAll().execute()).toEqual([])
  })

  test('concurrent claimers never get the same job', async () => {
    const total = 60
    for (let i = 0; i < total; i++) await enqueueJob(db, { kind: 'k', payload: { i } })
    const claimer = async (name: string): Promise<number[]> => {
      const got: number[] = []
      for (;;) {
        const jobs = await claimDueJobs(db, 4, name)
        if (jobs.length === 0) return got
        got.push(...jobs.map((j) => j.id))
      }
    }
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => claimer(`w${i}`)))
    const all = results.flat()
    expect(all).toHaveLength(total)
    expect(new Set(all).size).toBe(total)
  })

  // The PostgreSQL run covers cross-connection claims in the test above (a pool of several connections).
  const sqliteOnly = testDialect() === 'sqlite' ? test : () => {}
  sqliteOnly('two processes claiming from one SQLite file never get the same job', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'helpdesk-jobs-')), 'jobs.sqlite')
    const db = openDatabase({ kind: 'sqlite', file })
    try {
      await migrateToLatest(db)
      const total = 150
      await db
        .insertInto('jobs')
        .values(
          Array.from({ length: total }, (_, i) => ({
            kind: 'k',
            payload: JSON.stringify({ i }),
            run_at: '2000-01-01T00:00:00.000Z',
            status: 'pending' as const,
            last_error: null,
            locked_until: null,
            unique_key: null,
            created_at: '2000-01-01T00:00:00.000Z',
            finished_at: null,
          })),
        )
        .execute()
      const script = path.resolve(import.meta.dirname, '../../test/support/claim-jobs-process.ts')
      const children = ['p1', 'p2'].map((id) =>
        spawn(process.execPath, ['--import', 'tsx', script, file, id], {
          cwd: path.resolve(import.meta.dirname, '../..'),
          stdio: ['pipe', 'pipe', 'inherit'],
        }),
      )
      const outputs = children.map((child) => {
        let text = ''
        const ready = new Promise<void>((resolve) => {
          child.stdout.on('data', (chunk: Buffer) => {
            text += chunk.toString()
            if (text.startsWith('ready\n')) resolve()
          })
        })
        const done = once(child, 'exit').then(([code]) => ({ code, lines: text.trim().split('\n') }))
        return { ready, done }
      })
      // Both processes are booted (tsx takes a while under load) before either starts claiming.
      await Promise.all(outputs.map((o) => o.ready))
      for (const child of children) child.stdin.end('go\n')
      const results = await Promise.all(outputs.map((o) => o.done))
      expect(results.map((r) => r.code)).toEqual([0, 0])
      const [a, b] = results.map((r) => JSON.parse(r.lines.at(-1) ?? '[]') as number[])
      expect(a?.length).toBeGreaterThan(0)
      expect(b?.length).toBeGreaterThan(0)
      const all = [...(a ?? []), ...(b ?? [])]
      expect(all).toHaveLength(total)
      expect(new Set(all).size).toBe(total)
      const done = await db.selectFrom('jobs').select('id').where('status', '=', 'done').execute()
      expect(done).toHaveLength(total)
    } finally {
      await db.destroy()
    }
  })

  test("a crashed worker's job is claimable again after five minutes, and its late result is ignored", async () => {
    clockAt(0)
    const id = await enqueueJob(db, { kind: 'k' })
    const [stale] = await claimDueJobs(db, 1, 'crashed')
    if (!stale) throw new Error('no job')
    clockAt(5 * 60_000 - 1)
    expect(await claimDueJobs(db, 1, 'w2')).toEqual([])
    clockAt(5 * 60_000)
    const [taken] = await claimDueJobs(db, 1, 'w2')
    expect(taken).toMatchObject({ id, attempts: 2, status: 'running' })
    if (!taken) throw new Error('no job')

    expect(await completeJob(db, stale)).toBe(false)
    expect(await failJob(db, stale, 'late')).toBe('lost')
    expect((await jobRow(db, id)).status).toBe('running')
    expect(await completeJob(db, taken)).toBe(true)
    expect(await jobRow(db, id)).toMatchObject({ status: 'done', locked_until: null, last_error: null })
  })

  test('a failed job is retried with exponential backoff, then fails for good with its last error', async () => {
    clockAt(0)
    const id = await enqueueJob(db, { kind: 'flaky' })
    let t = 0
    for (let attempt = 1; attempt < JOB_MAX_ATTEMPTS; attempt++) {
      const [job] = await claimDueJobs(db, 1, 'w1')
      expect(job?.attempts).toBe(attempt)
      if (!job) throw new Error('no job')
      expect(await failJob(db, job, `boom ${attempt}`)).toBe('retry')
      const delay = jobBackoffMs(attempt)
      expect(delay).toBe(30_000 * 2 ** (attempt - 1))
      expect(await jobRow(db, id)).toMatchObject({
        status: 'pending',
        run_at: new Date(T0 + t + delay).toISOString(),
        last_error: `boom ${attempt}`,
      })
      clockAt(t + delay - 1)
      expect(await claimDueJobs(db, 1, 'w1')).toEqual([])
      t += delay
      clockAt(t)
    }
    const [last] = await claimDueJobs(db, 1, 'w1')
    if (!last) throw new Error('no job')
    expect(last.attempts).toBe(JOB_MAX_ATTEMPTS)
    expect(await failJob(db, last, 'boom final')).toBe('failed')
    expect(await jobRow(db, id)).toMatchObject({ status: 'failed', last_error: 'boom final' })
    expect((await jobRow(db, id)).finished_at).toBe(new Date(T0 + t).toISOString())
    clockAt(t + 24 * 60 * 60_000)
    expect(await claimDueJobs(db, 1, 'w1')).toEqual([])
  })

  test('a permanent error fails the job at once', async () => {
    const id = await enqueueJob(db, { kind: 'k' })
    const [job] = await claimDueJobs(db, 1, 'w1')
    if (!job) throw new Error('no job')
    expect(await failJob(db, job, 'bad payload', { permanent: true })).toBe('failed')
    expect(await jobRow(db, id)).toMatchObject({ status: 'failed', attempts: 1, last_error: 'bad payload' })
  })

  test('a job that keeps killing its worker is given up once out of attempts', async () => {
    clockAt(0)
    const id = await enqueueJob(db, { kind: 'poison' })
    for (let attempt = 1; attempt <= JOB_MAX_ATTEMPTS; attempt++) {
      clockAt(attempt * 5 * 60_000)
      expect(await claimDueJobs(db, 1, 'w')).toHaveLength(1)
    }
    clockAt((JOB_MAX_ATTEMPTS + 1) * 5 * 60_000)
    expect(await claimDueJobs(db, 1, 'w')).toEqual([])
    expect(await jobRow(db, id)).toMatchObject({ status: 'failed', attempts: JOB_MAX_ATTEMPTS })
  })
})
