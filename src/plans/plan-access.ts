import { auditDenied } from '#src/audit/denied.ts'
import type { Db, Tx } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { can } from '#src/users/permissions.ts'
import { presetOf } from './plan-rules.ts'
import { findPlan, type PlanRow } from './plan-store.ts'

/**
 * The doors of «Плановые работы»: IT staff see the plans; curators and admins make and change them. Refusals are
 * journaled before anything is done (the rights do not depend on the row).
 */

export async function requirePlanView(db: Db, actor: Actor, action: string, planId?: number): Promise<void> {
  await authorize(
    db,
    actor,
    'plan.view',
    {
      action,
      objectType: 'plan',
      objectId: planId ?? null,
      description:
        planId === undefined
          ? 'Отказано в доступе к плановым работам'
          : `Отказано в действии ${action} с плановой работой № ${planId}`,
    },
    'Плановые работы — для сотрудников ИТ-отдела',
  )
}

export async function requirePlanManage(db: Db, actor: Actor, action: string, planId?: number): Promise<void> {
  await authorize(
    db,
    actor,
    'plan.manage',
    {
      action,
      objectType: 'plan',
      objectId: planId ?? null,
      description:
        planId === undefined
          ? 'Отказано в изменении плановых работ'
          : `Отказано в действии ${action} с плановой работой № ${planId}`,
    },
    'Плановые работы ведут кураторы и администраторы',
  )
}

export async function loadPlan(db: Tx, planId: number): Promise<PlanRow> {
  const plan = await findPlan(db, planId)
  if (!plan) throw new DomainError('not_found', 'Плановая работа не найдена')
  return plan
}

/** The category and the group of a plan: both must exist and be active. */
export async function checkPlanTargets(tx: Tx, categoryId: number, groupId: number): Promise<void> {
  const category = await tx.selectFrom('categories').select('active').where('id', '=', categoryId).executeTakeFirst()
  if (!category) throw new DomainError('validation', 'Категория не найдена')
  if (Number(category.active) !== 1) throw new DomainError('validation', 'Категория отключена')
  const group = await tx.selectFrom('executor_groups').select('active').where('id', '=', groupId).executeTakeFirst()
  if (!group) throw new DomainError('validation', 'Группа не найдена')
  if (Number(group.active) !== 1) throw new DomainError('validation', 'Группа отключена')
}

/**
 * A schedule other than the presets («каждый день», «по понедельникам», «1-го числа») is raw cron, written by
 * admins: anyone else is refused (journaled, 403).
 */
export async function requireScheduleRight(db: Db, actor: Actor, schedule: string, action: string): Promise<void> {
  if (presetOf(schedule).kind !== 'cron' || can(actor, 'plan.raw_cron')) return
  await auditDenied(db, actor, {
    action,
    objectType: 'plan',
    description: 'Отказано в расписании плановой работы в виде выражения cron',
    details: { schedule },
  })
  throw new DomainError(
    'forbidden',
    'Произвольное выражение cron задают администраторы: выберите «каждый день», «по дням недели» или «раз в месяц»',
  )
}
