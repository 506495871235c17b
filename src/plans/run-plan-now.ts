import type { Db, Ticket } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import type { Actor } from '#src/users/actor.ts'
import { loadPlan, requirePlanManage } from './plan-access.ts'
import { fileRun } from './plan-run.ts'

/**
 * «Запустить сейчас» (curators and admins): files the plan's ticket at once, paused or not; the schedule stays as
 * it was. A ticket the rules refuse (a category disabled since) is refused to the person, and nothing is recorded.
 */
export async function runPlanNow(db: Db, actor: Actor, input: { id: number }, timeZone: string): Promise<Ticket> {
  await requirePlanManage(db, actor, 'plan.run_now', input.id)
  return transact(db, async (tx) => {
    const plan = await loadPlan(tx, input.id)
    const { ticket } = await fileRun(tx, actor, plan, { kind: 'manual', dueAt: null, missed: 0, at: now(), timeZone })
    if (!ticket) throw new Error(`plan ${plan.id}: a manual run filed no ticket`)
    return ticket
  })
}
