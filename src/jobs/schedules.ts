import { sweepFiles } from '#src/attachments/sweep-files.ts'
import { recordArchiveDue } from '#src/audit/archive.ts'
import { writeCheckpoint } from '#src/audit/checkpoints.ts'
import type { Db } from '#src/db/schema.ts'
import { escalateTickets } from '#src/duty/escalate-tickets.ts'
import { recordDueDestructions } from '#src/pdn/destruction-due.ts'
import { remindSubjectRequests } from '#src/pdn/remind-subject-requests.ts'
import { runDuePlans } from '#src/plans/run-due-plans.ts'
import { REFRESH_BUDGET_MS, refreshStatsDaily } from '#src/stats/daily-summary.ts'
import { autoCloseResolved } from '#src/tickets/auto-close.ts'
import { markDeadlineBreaches } from '#src/tickets/deadline-breaches.ts'
import {
  deleteOldFormSubmissions,
  deleteOldIdempotencyKeys,
  deleteReadNotifications,
  scrubFinishedJobs,
  scrubFinishedNotices,
} from './retention.ts'

/** Periodic work that one instance runs (the holder of the scheduler lease). Returns rows changed. */
export interface Schedule {
  name: string
  everyMs: number
  run(db: Db): Promise<number>
}

export const defaultSchedules: readonly Schedule[] = [
  { name: 'deadline-breaches', everyMs: 60_000, run: markDeadlineBreaches },
  // Issue 14: the escalation's levels (src/duty), each step once per ticket, claimed by a unique row.
  { name: 'escalation', everyMs: 60_000, run: escalateTickets },
  { name: 'auto-close', everyMs: 10 * 60_000, run: autoCloseResolved },
  { name: 'outbox-payloads-scrubbed', everyMs: 60 * 60_000, run: scrubFinishedNotices },
  { name: 'job-payloads-scrubbed', everyMs: 60 * 60_000, run: scrubFinishedJobs },
  { name: 'idempotency-keys-old', everyMs: 60 * 60_000, run: deleteOldIdempotencyKeys },
  { name: 'form-submissions-old', everyMs: 60 * 60_000, run: deleteOldFormSubmissions },
  { name: 'read-notifications-old', everyMs: 24 * 60 * 60_000, run: deleteReadNotifications },
  // Daily: who fell due for destruction is journaled; nothing is destroyed without an admin (src/pdn).
  { name: 'destruction-due', everyMs: 24 * 60 * 60_000, run: recordDueDestructions },
  // Daily: journal rows past their retention are named; `helpdesk audit archive` moves them to a signed file.
  { name: 'audit-archive-due', everyMs: 24 * 60 * 60_000, run: recordArchiveDue },
  // Daily: the deadlines of a person's requests are whole working days (once per request, see reminded_at).
  { name: 'subject-request-reminders', everyMs: 24 * 60 * 60_000, run: remindSubjectRequests },
]

/**
 * The journal's head appended to the checkpoint file outside the database (AUDIT_CHECKPOINT_FILE): once a
 * day, and at the start of the instance that takes the scheduler lease.
 */
export function auditCheckpointSchedule(file: string): Schedule {
  return {
    name: 'audit-checkpoint',
    everyMs: 24 * 60 * 60_000,
    run: async (db) => {
      await writeCheckpoint(db, file, 'daily')
      return 1
    },
  }
}

/**
 * Files in DATA_DIR/files that nothing refers to (uploads refused or rolled back, bot downloads whose
 * update was refused, a crash's temporary files): once a day, and at the start of the lease holder.
 */
export function fileSweepSchedule(dataDir: string): Schedule {
  return { name: 'files-unreferenced', everyMs: 24 * 60 * 60_000, run: (db) => sweepFiles(db, dataDir) }
}

/**
 * The daily summary of the ticket statistics (src/stats/daily-summary.ts) in the display time zone: days a
 * ticket change made stale, and past days not summarised yet. Often and short (REFRESH_BUDGET_MS a run): a
 * first fill over years of tickets takes a fifth of the worker's time until it is done. Given `reads` (the read
 * threads of a SQLite file), a day's tickets are read there, not on the event loop.
 */
export function statsDailySchedule(tz: string, reads?: Db): Schedule {
  return { name: 'stats-daily', everyMs: 10_000, run: (db) => refreshStatsDaily(db, tz, REFRESH_BUDGET_MS, reads) }
}

/**
 * «Плановые работы» (src/plans/): the tickets of plans that fell due, each claimed by a compare-and-set so that
 * two instances never file one twice. Every minute, and at the start of the lease holder: a run missed while the
 * server was down is filed then, once.
 */
export function duePlansSchedule(tz: string): Schedule {
  return { name: 'plans-due', everyMs: 60_000, run: (db) => runDuePlans(db, tz) }
}
