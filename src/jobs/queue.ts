import { dialectOf } from '#src/db/database.ts'
import type { Db, Job, Tx } from '#src/db/schema.ts'
import { now, nowDate } from '#src/db/time.ts'

/**
 * A small persistent job queue on the `jobs` table (ARCHITECTURE.md: jobs are rows written in the
 * same transaction as the change that asks for them; any instance may run them).
 *
 * A job's life: pending → running (claimed, `locked_until` set) → done | pending again (retry with
 * backoff) | failed. A worker that dies while a job runs leaves it `running`; once `locked_until` has
 * passed, any worker may claim it again.
 *
 * `attempts` is counted when a job is claimed, and doubles as a fencing token: `completeJob` and
 * `failJob` change the row only while it still carries the attempt number the caller claimed, so a
 * worker that was presumed dead cannot overwrite the outcome of the one that took its job over.
 */

/** How long a claim holds before the job is considered abandoned. */
export const JOB_LOCK_MS = 5 * 60_000
export const JOB_MAX_ATTEMPTS = 6
export const JOB_BASE_BACKOFF_MS = 30_000

export interface EnqueueJobInput {
  kind: string
  /** Ids and codes only; stored as JSON and validated by the handler. */
  payload?: Record<string, unknown>
  /** ISO-8601 UTC; now when absent. */
  runAt?: string
  /** At most one pending job per key: enqueueing again returns the pending one. */
  uniqueKey?: string | null
}

/** A claimed job: what the fencing checks need. */
export type ClaimedJob = Pick<Job, 'id' | 'attempts'>

/**
 * Queues a job (call it inside the transaction of the change that asks for it). Returns the job's id;
 * with a `uniqueKey` that a pending job already holds, that job's id and nothing new.
 */
export async function enqueueJob(tx: Tx, input: EnqueueJobInput): Promise<number> {
  const at = now()
  const row = {
    kind: input.kind,
    payload: JSON.stringify(input.payload ?? {}),
    run_at: input.runAt ?? at,
    status: 'pending' as const,
    last_error: null,
    locked_until: null,
    unique_key: input.uniqueKey ?? null,
    created_at: at,
    finished_at: null,
  }
  const key = row.unique_key
  if (key === null) {
    const inserted = await tx.insertInto('jobs').values(row).returning('id').executeTakeFirstOrThrow()
    return inserted.id
  }
  // `unique_key` is unique over the whole table, while the promise is "one *pending* job per key":
  // a running, done or failed job that still holds the key gives it up to the new one. Two rounds
  // suffice unless another writer keeps racing us on the same key, which then wins fairly.
  for (let round = 0; round < 3; round++) {
    const inserted = await tx
      .insertInto('jobs')
      .values(row)
      .onConflict((oc) => oc.column('unique_key').doNothing())
      .returning('id')
      .executeTakeFirst()
    if (inserted) return inserted.id
    const holder = await tx.selectFrom('jobs').select(['id', 'status']).where('unique_key', '=', key).executeTakeFirst()
    if (holder?.status === 'pending') return holder.id
    if (holder) await tx.updateTable('jobs').set({ unique_key: null }).where('id', '=', holder.id).execute()
  }
  throw new Error(`could not enqueue job ${input.kind}: key ${key} keeps changing hands`)
}

/**
 * Claims up to `limit` due jobs for this worker: pending ones whose time has come, and running ones
 * whose claim has expired. Two claimers never get the same job: PostgreSQL skips rows another
 * transaction has locked (`FOR UPDATE SKIP LOCKED`); SQLite runs the whole claim under the write
 * lock that `begin immediate` takes. (`_workerId` is for the caller's logs: the table has no column
 * for the holder, the fence is `attempts`.)
 */
export async function claimDueJobs(db: Db, limit: number, _workerId: string): Promise<Job[]> {
  if (limit <= 0) return []
  const at = now()
  const lockedUntil = new Date(nowDate().getTime() + JOB_LOCK_MS).toISOString()
  const claimed = await db.transaction().execute(async (tx) => {
    // A job that took its worker down on every attempt must not be claimed for ever.
    await tx
      .updateTable('jobs')
      .set({ status: 'failed', finished_at: at, locked_until: null, last_error: 'abandoned: its worker stopped' })
      .where('status', '=', 'running')
      .where('locked_until', '<=', at)
      .where('attempts', '>=', JOB_MAX_ATTEMPTS)
      .execute()
    let due = tx
      .selectFrom('jobs')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'pending'), eb('run_at', '<=', at)]),
          eb.and([eb('status', '=', 'running'), eb('locked_until', '<=', at)]),
        ]),
      )
      .orderBy('run_at')
      .orderBy('id')
      .limit(limit)
    if (dialectOf(tx) === 'postgres') due = due.forUpdate().skipLocked()
    const ids = (await due.execute()).map((r) => r.id)
    if (ids.length === 0) return []
    return tx
      .updateTable('jobs')
      .set((eb) => ({ status: 'running', locked_until: lockedUntil, attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', ids)
      .returningAll()
      .execute()
  })
  return claimed.sort((a, b) => (a.run_at === b.run_at ? a.id - b.id : a.run_at < b.run_at ? -1 : 1))
}

/** Marks a claimed job done. False when the claim had been lost (another worker took the job over). */
export async function completeJob(db: Tx, job: ClaimedJob): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ status: 'done', finished_at: now(), locked_until: null, last_error: null })
    .where('id', '=', job.id)
    .where('status', '=', 'running')
    .where('attempts', '=', job.attempts)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export interface FailJobOptions {
  maxAttempts?: number
  baseBackoffMs?: number
  /** Give up at once: retrying cannot help (bad payload, unknown record). */
  permanent?: boolean
}

export type FailOutcome = 'retry' | 'failed' | 'lost'

/** Delay before the retry that follows the given (1-based) attempt: base × 2^(attempt−1). */
export function jobBackoffMs(attempt: number, baseMs = JOB_BASE_BACKOFF_MS): number {
  return baseMs * 2 ** Math.max(0, attempt - 1)
}

/**
 * Records a failed run: schedules a retry with exponential backoff, or, after the last attempt (or a
 * permanent error), marks the job `failed` with the error. 'lost' when the claim had been lost.
 */
export async function failJob(
  db: Tx,
  job: ClaimedJob,
  error: string,
  options: FailJobOptions = {},
): Promise<FailOutcome> {
  const maxAttempts = options.maxAttempts ?? JOB_MAX_ATTEMPTS
  const lastError = error.slice(0, 2000)
  const final = options.permanent === true || job.attempts >= maxAttempts
  const set = final
    ? { status: 'failed' as const, finished_at: now(), locked_until: null, last_error: lastError }
    : {
        status: 'pending' as const,
        run_at: new Date(nowDate().getTime() + jobBackoffMs(job.attempts, options.baseBackoffMs)).toISOString(),
        locked_until: null,
        last_error: lastError,
      }
  const result = await db
    .updateTable('jobs')
    .set(set)
    .where('id', '=', job.id)
    .where('status', '=', 'running')
    .where('attempts', '=', job.attempts)
    .executeTakeFirst()
  if (result.numUpdatedRows === 0n) return 'lost'
  return final ? 'failed' : 'retry'
}
