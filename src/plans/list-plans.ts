import type { Db } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { requirePlanView } from './plan-access.ts'
import { listPlanRows, type PlanRow } from './plan-store.ts'

/** Every plan, active ones by their next run first (IT staff). */
export async function listPlans(db: Db, actor: Actor): Promise<PlanRow[]> {
  await requirePlanView(db, actor, 'plan.list')
  return listPlanRows(db)
}
