import type { Updateable } from 'kysely'
import { audit } from '#src/audit/journal.ts'
import { checkPriority } from '#src/categories/category-store.ts'
import type { Db, PlansTable, Priority } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import { findUser } from '#src/users/user-store.ts'
import { checkPlanTargets, loadPlan, requirePlanManage, requireScheduleRight } from './plan-access.ts'
import { checkPlanDescription, checkPlanTitle, checkSchedule, nextRunAfter, presetOf } from './plan-rules.ts'
import { findPlan, type PlanRow } from './plan-store.ts'

export interface UpdatePlanInput {
  id: number
  title?: string
  description?: string
  categoryId?: number
  groupId?: number
  priority?: Priority | string
  schedule?: string
  /** false pauses the plan (no next run); true resumes it from the next occurrence after now. */
  active?: boolean
}

/**
 * Changes a plan (curators and admins). A new schedule, or a resumed plan, runs next at the first occurrence after
 * now: what fell due while it was paused is not made up for. A plan whose requester is no longer active (the
 * curator who made it left, or their data were destroyed) is taken over by the person who changes it: its tickets
 * are filed in their name from then on.
 */
export async function updatePlan(db: Db, actor: Actor, input: UpdatePlanInput, timeZone: string): Promise<PlanRow> {
  await requirePlanManage(db, actor, 'plan.update', input.id)
  const title = input.title === undefined ? undefined : checkPlanTitle(input.title)
  const description = input.description === undefined ? undefined : checkPlanDescription(input.description)
  const priority = input.priority === undefined ? undefined : checkPriority(input.priority)
  const at = now()
  const schedule = input.schedule === undefined ? undefined : checkSchedule(input.schedule, timeZone, new Date(at))
  if (schedule !== undefined && schedule !== (await loadPlan(db, input.id)).schedule) {
    // Before the transaction: a refusal is journaled on its own and leaves the plan as it was.
    await requireScheduleRight(db, actor, schedule, 'plan.update')
  }
  return transact(db, async (tx) => {
    const plan = await loadPlan(tx, input.id)
    const change: Updateable<PlansTable> = {}
    if (title !== undefined && title !== plan.title) change.title = title
    if (description !== undefined && description !== plan.description) change.description = description
    if (priority !== undefined && priority !== plan.priority) change.priority = priority
    if (input.categoryId !== undefined && input.categoryId !== plan.category_id) change.category_id = input.categoryId
    if (input.groupId !== undefined && input.groupId !== plan.group_id) change.group_id = input.groupId
    if (schedule !== undefined && schedule !== plan.schedule) {
      // Changed since the check above, by someone else: checked again, refused without a second journal row.
      if (presetOf(schedule).kind === 'cron' && !can(actor, 'plan.raw_cron')) {
        throw new DomainError('forbidden', 'Произвольное выражение cron задают администраторы')
      }
      change.schedule = schedule
    }
    const wasActive = Number(plan.active) === 1
    const active = input.active ?? wasActive
    if (active !== wasActive) change.active = active ? 1 : 0
    if (
      actor.id !== null &&
      actor.id !== plan.requester_id &&
      (await findUser(tx, plan.requester_id))?.status !== 'active'
    ) {
      change.requester_id = actor.id
    }
    if (change.category_id !== undefined || change.group_id !== undefined) {
      await checkPlanTargets(tx, change.category_id ?? plan.category_id, change.group_id ?? plan.group_id)
    }
    if (Object.keys(change).length === 0) return plan
    if (!active) change.next_run_at = null
    else if (change.schedule !== undefined || change.active !== undefined) {
      change.next_run_at = nextRunAfter(change.schedule ?? plan.schedule, timeZone, at)
    }
    await tx
      .updateTable('plans')
      .set({ ...change, updated_at: at })
      .where('id', '=', plan.id)
      .execute()
    const paused = change.active === undefined ? undefined : active ? 'resumed' : 'paused'
    await audit(tx, actor, {
      action: paused === undefined ? 'plan.update' : paused === 'paused' ? 'plan.pause' : 'plan.resume',
      objectType: 'plan',
      objectId: plan.id,
      description:
        paused === 'paused'
          ? `Плановая работа № ${plan.id} приостановлена`
          : paused === 'resumed'
            ? `Плановая работа № ${plan.id} возобновлена`
            : `Изменена плановая работа № ${plan.id}`,
      details: {
        changed: Object.keys(change).filter(
          (key) => key !== 'title' && key !== 'description' && key !== 'next_run_at' && key !== 'requester_id',
        ),
        ...(change.title !== undefined ? { title: true } : {}),
        ...(change.description !== undefined ? { description: true } : {}),
        ...(change.schedule !== undefined ? { schedule: { from: plan.schedule, to: change.schedule }, timeZone } : {}),
        ...('next_run_at' in change ? { nextRunAt: change.next_run_at } : {}),
        ...(change.requester_id !== undefined
          ? { requesterId: { from: plan.requester_id, to: change.requester_id } }
          : {}),
      },
    })
    const updated = await findPlan(tx, plan.id)
    if (!updated) throw new Error(`plan ${plan.id} vanished in its own transaction`)
    return updated
  })
}
