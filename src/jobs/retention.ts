import type { Db } from '#src/db/schema.ts'
import { addMinutes, now } from '#src/db/time.ts'

/**
 * Rows that served their purpose lose what they no longer need (COMPLIANCE.md: minimise personal data).
 * The bot's own bookkeeping is in src/bot/housekeeping.ts; these are the core's.
 */

const DAY_MINUTES = 24 * 60

/**
 * A delivered (or given-up) notice keeps its row — `telegram_messages` points at it, and its status is
 * history — but not its payload after a week: a bot reply's payload is the text itself (a name, a
 * one-time login link). Nothing reads the payload of a finished row.
 */
export const OUTBOX_PAYLOAD_KEEP_MINUTES = 7 * DAY_MINUTES

/** A client retrying a request does so within minutes; a month covers any outage and replay of a queue. */
export const IDEMPOTENCY_KEEP_MINUTES = 30 * DAY_MINUTES

export const SCRUBBED_PAYLOAD = '{}'

export async function scrubFinishedNotices(db: Db): Promise<number> {
  const cutoff = addMinutes(now(), -OUTBOX_PAYLOAD_KEEP_MINUTES)
  const result = await db
    .updateTable('outbox')
    .set({ payload: SCRUBBED_PAYLOAD })
    .where('status', 'in', ['sent', 'failed'])
    .where('created_at', '<', cutoff)
    .where('payload', '<>', SCRUBBED_PAYLOAD)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/**
 * A finished job keeps its row (the worker's history) but not its payload after a week: an export's is the
 * list's query, which may carry a searched name. A background export's page is gone by then (a day).
 */
export async function scrubFinishedJobs(db: Db): Promise<number> {
  const cutoff = addMinutes(now(), -OUTBOX_PAYLOAD_KEEP_MINUTES)
  const result = await db
    .updateTable('jobs')
    .set({ payload: SCRUBBED_PAYLOAD })
    .where('status', 'in', ['done', 'failed'])
    .where('finished_at', '<', cutoff)
    .where('payload', '<>', SCRUBBED_PAYLOAD)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export async function deleteOldIdempotencyKeys(db: Db): Promise<number> {
  const cutoff = addMinutes(now(), -IDEMPOTENCY_KEEP_MINUTES)
  const result = await db.deleteFrom('idempotency_keys').where('created_at', '<', cutoff).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** A form's token matters for the seconds of a double click or a retry: a day is plenty (once-form.ts). */
export const FORM_SUBMISSION_KEEP_MINUTES = 24 * 60

export async function deleteOldFormSubmissions(db: Db): Promise<number> {
  const cutoff = addMinutes(now(), -FORM_SUBMISSION_KEEP_MINUTES)
  const result = await db.deleteFrom('form_submissions').where('created_at', '<', cutoff).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/**
 * A notice of the web's bell that was read has done its work: it goes three months after the reading (the
 * ticket's own timeline keeps what happened). An unread one stays, however old: nobody has seen it yet.
 */
export const READ_NOTIFICATION_KEEP_MINUTES = 90 * DAY_MINUTES

export async function deleteReadNotifications(db: Db): Promise<number> {
  const cutoff = addMinutes(now(), -READ_NOTIFICATION_KEEP_MINUTES)
  const result = await db.deleteFrom('web_notifications').where('read_at', '<', cutoff).executeTakeFirst()
  return Number(result.numDeletedRows)
}
