import { createHash } from 'node:crypto'
import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { planDuty } from '#src/duty/plan-duty.ts'
import { EQUIPMENT_MANAGERS_ONLY } from '#src/equipment/equipment-access.ts'
import { planEquipment } from '#src/equipment/plan-equipment.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import type { Action } from '#src/users/permissions.ts'
import { type ImportKind, kindTitles } from './columns.ts'
import { type Counts, countsOf, type ImportPlan, type Planned } from './plan.ts'
import { planCategories } from './plan-categories.ts'
import { planDepartments } from './plan-departments.ts'
import { planUsers } from './plan-users.ts'
import { type ImportFile, type ImportTable, readTable } from './read-table.ts'

export interface ImportInput {
  kind: ImportKind
  file: ImportFile
  /** Plan and tell, change nothing. */
  dryRun: boolean
}

export interface ImportResult {
  kind: ImportKind
  dryRun: boolean
  /** True when the rows were written; false for a dry run and for a file with bad rows. */
  applied: boolean
  plan: ImportPlan
  counts: Counts
  table: Omit<ImportTable, 'rows'>
}

const permissions: Record<ImportKind, { action: Action; refusal: string; pdn: boolean }> = {
  departments: { action: 'department.manage', refusal: 'Нет прав изменять список отделений', pdn: false },
  categories: { action: 'category.manage', refusal: 'Нет прав изменять категории', pdn: false },
  users: { action: 'user.create', refusal: 'Нет прав создавать пользователей', pdn: true },
  // Planning reads people to find the responsible ones by табельный номер or ФИО.
  equipment: { action: 'equipment.manage', refusal: EQUIPMENT_MANAGERS_ONLY, pdn: true },
  // Planning finds the people on duty by ФИО or табельный номер.
  duty: { action: 'duty.manage', refusal: 'График дежурств ведут кураторы и администраторы', pdn: true },
}

/**
 * Imports departments, categories or staff from a CSV or XLSX file (issue 11). The file is planned and, unless
 * this is a dry run or a row is bad, written in the same one transaction, so that the plan is what is done and
 * a failure leaves nothing half-imported. Any bad row refuses the whole file: the result lists them with their
 * lines. The journal gets one summary row (a dry run's and a refusal's too: planning users reads their data)
 * and, for each account created or changed, the row `user.create` / `user.update` any such change writes.
 */
export async function importFile(db: Db, actor: Actor, input: ImportInput): Promise<ImportResult> {
  const permission = permissions[input.kind]
  await authorize(
    db,
    actor,
    permission.action,
    {
      action: `import.${input.kind}`,
      objectType: 'import',
      pdn: permission.pdn,
      description: `Отказано в импорте ${kindTitles[input.kind]}`,
    },
    permission.refusal,
  )
  const { rows, ...table } = await readTable(input.kind, input.file)
  const sha256 = createHash('sha256').update(input.file.bytes).digest('hex')
  return transact(db, async (tx) => {
    const planned: Planned = await planner(input.kind)(tx, rows)
    const counts = countsOf(planned.plan)
    const applied = !input.dryRun && counts.bad === 0
    if (applied) await planned.apply(tx, actor)
    const what = input.dryRun
      ? 'Пробный импорт'
      : applied
        ? 'Импорт'
        : `Импорт отклонён (ошибочных строк: ${counts.bad})`
    await audit(tx, actor, {
      action: `import.${input.kind}`,
      objectType: 'import',
      pdn: permission.pdn,
      result: input.dryRun || applied ? 'success' : 'error',
      description: `${what} ${kindTitles[input.kind]}: создать ${counts.created}, изменить ${counts.updated}, без изменений ${counts.unchanged}`,
      details: { dryRun: input.dryRun, applied, rows: rows.length, ...counts, format: table.format, sha256 },
    })
    return { kind: input.kind, dryRun: input.dryRun, applied, plan: planned.plan, counts, table }
  })
}

function planner(kind: ImportKind) {
  if (kind === 'users') return planUsers
  if (kind === 'equipment') return planEquipment
  if (kind === 'duty') return planDuty
  if (kind === 'departments') return planDepartments
  return planCategories
}
