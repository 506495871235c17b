import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { systemActor } from '#src/users/actor.ts'
import { nextRunAfter, occurrencesBetween } from './plan-rules.ts'
import { fileRun } from './plan-run.ts'
import { duePlans } from './plan-store.ts'

const BATCH = 50

/**
 * The worker's schedule: files the ticket of every plan that fell due, one transaction per plan. The run is
 * claimed by a compare-and-set of `next_run_at` on the value read (`where next_run_at = <read>`): of two
 * instances on one PostgreSQL, or two rounds of one, only the first moves it on, and the other's update finds no
 * row and files nothing. A plan whose occurrences passed while the server was down files ONE ticket, for the
 * first of them, and moves on to the first occurrence after now. Returns the runs recorded.
 */
export async function runDuePlans(db: Db, timeZone: string): Promise<number> {
  const actor = systemActor()
  let runs = 0
  let afterId = 0
  for (;;) {
    const due = await duePlans(db, now(), BATCH, afterId)
    for (const plan of due) {
      afterId = plan.id
      const dueAt = plan.next_run_at
      if (dueAt === null) continue
      const ran = await transact(db, async (tx) => {
        const at = now()
        const next = nextRunAfter(plan.schedule, timeZone, at)
        const claimed = await tx
          .updateTable('plans')
          .set({ next_run_at: next, last_run_at: at, updated_at: at, ...(next === null ? { active: 0 as const } : {}) })
          .where('id', '=', plan.id)
          .where('active', '=', 1)
          .where('next_run_at', '=', dueAt)
          .executeTakeFirst()
        if (Number(claimed.numUpdatedRows) !== 1) return false
        const missed = occurrencesBetween(plan.schedule, timeZone, dueAt, at)
        await fileRun(tx, actor, plan, { kind: 'schedule', dueAt, missed, at, timeZone })
        return true
      })
      if (ran) runs++
    }
    if (due.length < BATCH) return runs
  }
}
