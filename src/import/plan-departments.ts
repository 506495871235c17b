import { audit } from '#src/audit/journal.ts'
import type { Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { SORT_ORDER_LIMIT } from '#src/departments/create-department.ts'
import { integerIn, NAME_MAX, requiredText } from '#src/users/fields.ts'
import { nameKey, type Planned, type PlannedRow, readRows, sortByLine, wholeNumber } from './plan.ts'
import type { ImportRow } from './read-table.ts'

/**
 * Отделения by name (case and «ё» aside, as the web's own check compares them): a new name is created, a
 * known one gets the file's «Порядок» if it has one; a name is never rewritten by a differently typed copy.
 */
export async function planDepartments(tx: Tx, rows: readonly ImportRow[]): Promise<Planned> {
  const existing = new Map(
    (await tx.selectFrom('departments').select(['id', 'name', 'sort_order']).execute()).map((d) => [
      nameKey(d.name),
      d,
    ]),
  )
  const { read: rowsRead, bad } = readRows(rows, (row) => {
    const name = requiredText(row.values.name ?? '', { label: 'Название', max: NAME_MAX })
    const order = wholeNumber(row.values.sort_order, 'Порядок')
    return {
      line: row.line,
      name,
      sortOrder: order === undefined ? undefined : integerIn(order, -SORT_ORDER_LIMIT, SORT_ORDER_LIMIT, 'Порядок'),
    }
  })
  const planned: PlannedRow[] = []
  const seen = new Map<string, number>()
  const creates: Array<{ name: string; sortOrder: number }> = []
  const updates: Array<{ id: number; sortOrder: number }> = []

  for (const read of rowsRead) {
    const key = nameKey(read.name)
    const earlier = seen.get(key)
    if (earlier !== undefined) {
      bad.push({ line: read.line, reason: `отделение «${read.name}» уже было в строке ${earlier}` })
      continue
    }
    seen.set(key, read.line)
    const found = existing.get(key)
    if (!found) {
      creates.push({ name: read.name, sortOrder: read.sortOrder ?? 0 })
      planned.push({ line: read.line, action: 'create', label: read.name, fields: [] })
    } else if (read.sortOrder !== undefined && read.sortOrder !== found.sort_order) {
      updates.push({ id: found.id, sortOrder: read.sortOrder })
      planned.push({ line: read.line, action: 'update', label: found.name, fields: ['Порядок'] })
    } else {
      planned.push({ line: read.line, action: 'unchanged', label: found.name, fields: [] })
    }
  }

  return {
    plan: sortByLine({ rows: planned, bad }),
    apply: async (db, actor) => {
      const at = now()
      for (const { name, sortOrder } of creates) {
        const department = await db
          .insertInto('departments')
          .values({ name, sort_order: sortOrder, created_at: at, updated_at: at })
          .returning('id')
          .executeTakeFirstOrThrow()
        await audit(db, actor, {
          action: 'department.create',
          objectType: 'department',
          objectId: department.id,
          description: `Создано отделение № ${department.id} (импорт)`,
          details: { name, sortOrder, import: true },
        })
      }
      for (const { id, sortOrder } of updates) {
        await db
          .updateTable('departments')
          .set({ sort_order: sortOrder, updated_at: at })
          .where('id', '=', id)
          .execute()
        await audit(db, actor, {
          action: 'department.update',
          objectType: 'department',
          objectId: id,
          description: `Изменено отделение № ${id} (импорт): sort_order`,
          details: { fields: ['sort_order'], sortOrder, import: true },
        })
      }
    },
  }
}
