import { audit } from '#src/audit/journal.ts'
import type { Db, Plan, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { type Actor, systemActor } from '#src/users/actor.ts'
import { findUser } from '#src/users/user-store.ts'
import { nextRunAfter, occurrencesBetween } from './plan-rules.ts'
import { fileRun } from './plan-run.ts'
import { duePlans } from './plan-store.ts'

const BATCH = 50

/**
 * The worker's schedule: files the ticket of every plan that fell due, one transaction per plan. The run is
 * claimed by a compare-and-set of `next_run_at` and `updated_at` on the values read: of two instances on one
 * PostgreSQL, or two rounds of one, only the first moves it on, and the other's update finds no row and files
 * nothing; a plan changed since it was read (its group, its schedule) is left to the next round, which reads it
 * anew. A plan whose occurrences passed while the server was down files ONE ticket, for the first of them, and
 * moves on to the first occurrence after now. A plan whose requester (the curator who made it) is no longer
 * active, deactivated or their data destroyed, files nothing and is paused, until a curator resumes it and
 * becomes its requester (update-plan.ts). Returns the runs recorded.
 */
export async function runDuePlans(db: Db, timeZone: string): Promise<number> {
  const actor = systemActor()
  let runs = 0
  let afterId = 0
  // A plan that breaks (not a refusal: those are recorded) does not hold up the ones after it; the round fails after.
  let failure: { error: unknown } | undefined
  for (;;) {
    const due = await duePlans(db, now(), BATCH, afterId)
    for (const plan of due) {
      afterId = plan.id
      try {
        if (await runDuePlan(db, actor, plan, timeZone)) runs++
      } catch (error) {
        failure ??= { error }
      }
    }
    if (due.length < BATCH) break
  }
  if (failure) throw failure.error
  return runs
}

/** One plan's run in its own transaction, if this round claims it; false when another did or it changed since. */
async function runDuePlan(db: Db, actor: Actor, plan: Plan, timeZone: string): Promise<boolean> {
  const dueAt = plan.next_run_at
  if (dueAt === null) return false
  return transact(db, async (tx) => {
    const at = now()
    const next = nextRunAfter(plan.schedule, timeZone, at)
    const claimed = await tx
      .updateTable('plans')
      .set({ next_run_at: next, last_run_at: at, updated_at: at, ...(next === null ? { active: 0 as const } : {}) })
      .where('id', '=', plan.id)
      .where('active', '=', 1)
      .where('next_run_at', '=', dueAt)
      .where('updated_at', '=', plan.updated_at)
      .executeTakeFirst()
    if (Number(claimed.numUpdatedRows) !== 1) return false
    const missed = occurrencesBetween(plan.schedule, timeZone, dueAt, at)
    const { ticket } = await fileRun(tx, actor, plan, { kind: 'schedule', dueAt, missed, at, timeZone })
    if (!ticket) await pauseIfRequesterGone(tx, actor, plan, at)
    return true
  })
}

/** A run refused because the plan's requester is not active: the plan stops (journaled) rather than fail each time. */
async function pauseIfRequesterGone(tx: Tx, actor: Actor, plan: Plan, at: string): Promise<void> {
  if ((await findUser(tx, plan.requester_id))?.status === 'active') return
  await tx
    .updateTable('plans')
    .set({ active: 0, next_run_at: null, updated_at: at })
    .where('id', '=', plan.id)
    .execute()
  await audit(tx, actor, {
    action: 'plan.pause',
    objectType: 'plan',
    objectId: plan.id,
    description: `Плановая работа № ${plan.id} приостановлена: учётная запись заявителя не активна`,
    details: { reason: 'requester_inactive', requesterId: plan.requester_id, nextRunAt: null },
  })
}
