import { audit } from '#src/audit/journal.ts'
import { checkPriority } from '#src/categories/category-store.ts'
import type { Db, Priority } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { checkPlanTargets, requirePlanManage, requireScheduleRight } from './plan-access.ts'
import { checkPlanDescription, checkPlanTitle, checkSchedule, nextRunAfter } from './plan-rules.ts'
import { findPlan, type PlanRow } from './plan-store.ts'

export interface CreatePlanInput {
  title: string
  /** The ticket's description; placeholders {{дата}}, {{месяц}}, {{год}} are filled at each run. */
  description: string
  categoryId: number
  groupId: number
  priority: Priority | string
  /** Five cron fields, read in the hospital's time zone (plan-rules.ts `presetToCron` makes them from a preset). */
  schedule: string
  /** Default: active from now on. */
  active?: boolean
}

/**
 * Makes a plan (curators and admins): its tickets are filed in the name of the person who makes it, to the plan's
 * group, at each occurrence of the schedule in `timeZone` from now on.
 */
export async function createPlan(db: Db, actor: Actor, input: CreatePlanInput, timeZone: string): Promise<PlanRow> {
  await requirePlanManage(db, actor, 'plan.create')
  const title = checkPlanTitle(input.title)
  const description = checkPlanDescription(input.description)
  const priority = checkPriority(input.priority)
  const at = now()
  const schedule = checkSchedule(input.schedule, timeZone, new Date(at))
  await requireScheduleRight(db, actor, schedule, 'plan.create')
  if (actor.id === null)
    throw new DomainError('validation', 'Плановую работу заводит сотрудник: от его имени создаются заявки')
  const requesterId = actor.id
  const active = input.active ?? true
  return transact(db, async (tx) => {
    await checkPlanTargets(tx, input.categoryId, input.groupId)
    const created = await tx
      .insertInto('plans')
      .values({
        title,
        description,
        category_id: input.categoryId,
        group_id: input.groupId,
        priority,
        schedule,
        active: active ? 1 : 0,
        requester_id: requesterId,
        next_run_at: active ? nextRunAfter(schedule, timeZone, at) : null,
        last_run_at: null,
        last_ticket_id: null,
        created_by: actor.id,
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await audit(tx, actor, {
      action: 'plan.create',
      objectType: 'plan',
      objectId: created.id,
      description: `Создана плановая работа № ${created.id}`,
      details: { schedule, timeZone, categoryId: input.categoryId, groupId: input.groupId, priority, active },
    })
    const plan = await findPlan(tx, created.id)
    if (!plan) throw new Error(`plan ${created.id} vanished in its own transaction`)
    return plan
  })
}
