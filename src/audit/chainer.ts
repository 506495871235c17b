import { dialectOf } from '#src/db/database.ts'
import type { Db } from '#src/db/schema.ts'
import type { Logger } from '#src/logger.ts'
import { chainJournal, whenUnchained } from './journal.ts'

/**
 * After a row is written unchained: soon, so that the rows of a tenth of a second are sealed together. A run is
 * nine round trips: at 20 ms under a list's load it ran every two or three requests, as many round trips as
 * the requests' own.
 */
const SOON_MS = 100
/** And at this pace anyway: rows of other processes (a console command, a second instance). */
const SWEEP_MS = 1_000

export interface JournalChainer {
  /** Seals what is left and stops. */
  stop(): Promise<void>
}

/**
 * The one job that seals the journal's rows on PostgreSQL (journal.ts: written unchained, sealed in id order):
 * rung by this process's writers, and every second for everyone else's. Nothing to do on SQLite.
 */
export function startJournalChainer(db: Db, logger: Logger): JournalChainer {
  if (dialectOf(db) !== 'postgres') return { stop: async () => {} }
  let running: Promise<void> | undefined
  let again = false
  let stopped = false
  let soon: NodeJS.Timeout | undefined

  const run = (): void => {
    if (running) {
      again = true
      return
    }
    running = chainJournal(db)
      .then(
        () => {},
        // The database away (restarting, full): the rows wait, committed, for the next run.
        (error: unknown) => logger.warn({ err: error }, 'journal chaining failed; retrying'),
      )
      .finally(() => {
        running = undefined
        if (again && !stopped) {
          again = false
          run()
        }
      })
  }
  const ring = (): void => {
    if (stopped || soon) return
    soon = setTimeout(() => {
      soon = undefined
      run()
    }, SOON_MS)
    soon.unref()
  }
  const sweep = setInterval(run, SWEEP_MS)
  sweep.unref()
  whenUnchained(ring)

  return {
    async stop() {
      stopped = true
      whenUnchained(undefined)
      clearInterval(sweep)
      clearTimeout(soon)
      await running
      await chainJournal(db).catch((error: unknown) => logger.warn({ err: error }, 'journal chaining failed at stop'))
    },
  }
}
