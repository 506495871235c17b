import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { loadPlan, requirePlanView } from './plan-access.ts'
import { type PlanRow, type PlanRunRow, planRuns } from './plan-store.ts'

export interface PlanView {
  plan: PlanRow
  /** The newest runs first, with their tickets' titles and statuses. */
  runs: PlanRunRow[]
}

/** A plan with its runs and their tickets (IT staff); the tickets shown are journaled by number. */
export async function viewPlan(db: Db, actor: Actor, input: { id: number }): Promise<PlanView> {
  await requirePlanView(db, actor, 'plan.view', input.id)
  const plan = await loadPlan(db, input.id)
  const runs = await planRuns(db, plan.id)
  await audit(db, actor, {
    action: 'plan.view',
    objectType: 'plan',
    objectId: plan.id,
    description: `Просмотр плановой работы № ${plan.id}`,
    details: { ticketIds: runs.flatMap((run) => (run.ticket_id === null ? [] : [run.ticket_id])) },
  })
  return { plan, runs }
}
