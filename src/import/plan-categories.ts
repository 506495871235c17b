import { audit } from '#src/audit/journal.ts'
import { minutesOrNull } from '#src/categories/category-store.ts'
import { CATEGORY_DESCRIPTION_MAX, CATEGORY_SORT_LIMIT } from '#src/categories/create-category.ts'
import { type Category, type Priority, priorities, type Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { priorityLabels } from '#src/tickets/rules.ts'
import { integerIn, NAME_MAX, optionalText, requiredText } from '#src/users/fields.ts'
import { nameKey, type Planned, type PlannedRow, readRows, sortByLine, wholeNumber } from './plan.ts'
import type { ImportRow } from './read-table.ts'

/**
 * Categories of заявки, one level deep as in the web: «Родитель» names a top-level category that exists or
 * is a top-level row of the same file; «Группа исполнителей» names an active group that exists (groups are
 * people, not a list to import). A category is known by its name under its parent; empty cells leave a known
 * category's fields as they are.
 */

type Fields = Pick<
  Category,
  'description' | 'default_group_id' | 'default_priority' | 'response_minutes' | 'resolution_minutes' | 'sort_order'
>

interface Read {
  line: number
  name: string
  parent: string | null
  given: Partial<Fields>
}

const columnOfField: Record<keyof Fields, string> = {
  description: 'Описание',
  default_group_id: 'Группа исполнителей',
  default_priority: 'Приоритет по умолчанию',
  response_minutes: 'Срок реакции, мин',
  resolution_minutes: 'Срок решения, мин',
  sort_order: 'Порядок',
}

const priorityWords = new Map<string, Priority>([
  ...priorities.map((p) => [p, p] as const),
  ...priorities.map((p) => [nameKey(priorityLabels[p]), p] as const),
])

export async function planCategories(tx: Tx, rows: readonly ImportRow[]): Promise<Planned> {
  const categories = await tx.selectFrom('categories').selectAll().execute()
  const groups = new Map(
    (await tx.selectFrom('executor_groups').select(['id', 'name']).where('active', '=', 1).execute()).map((g) => [
      nameKey(g.name),
      g.id,
    ]),
  )
  const topLevel = new Map(categories.filter((c) => c.parent_id === null).map((c) => [nameKey(c.name), c]))
  const children = new Map(
    categories.filter((c) => c.parent_id !== null).map((c) => [`${c.parent_id}/${nameKey(c.name)}`, c]),
  )

  const { read, bad } = readRows(rows, (row) => readRow(row, groups))

  // Top-level rows first: a child may name a parent that a later row of the file creates.
  const fileParents = new Map<string, Read>()
  const seen = new Map<string, number>()
  const planned: PlannedRow[] = []
  const creates: Array<{ row: Read; parentKey: string | null }> = []
  const updates: Array<{ category: Category; changes: Partial<Fields> }> = []
  const ordered = [...read.filter((r) => r.parent === null), ...read.filter((r) => r.parent !== null)]
  const childNames = new Set(read.filter((r) => r.parent !== null).map((r) => nameKey(r.name)))

  for (const row of ordered) {
    const key = nameKey(row.name)
    const parentKey = row.parent === null ? null : nameKey(row.parent)
    const where = `${parentKey ?? ''}/${key}`
    const earlier = seen.get(where)
    if (earlier !== undefined) {
      bad.push({ line: row.line, reason: `категория «${row.name}» уже была в строке ${earlier}` })
      continue
    }
    let existing: Category | undefined
    if (parentKey === null) {
      existing = topLevel.get(key)
      fileParents.set(key, row)
    } else {
      const parent = topLevel.get(parentKey)
      if (!parent && !fileParents.has(parentKey)) {
        const reason =
          childNames.has(parentKey) || categories.some((c) => c.parent_id !== null && nameKey(c.name) === parentKey)
            ? `«${row.parent}» — подкатегория, а родителем может быть только категория верхнего уровня`
            : `родительской категории «${row.parent}» нет ни в справочнике, ни в файле`
        bad.push({ line: row.line, reason })
        continue
      }
      existing = parent ? children.get(`${parent.id}/${key}`) : undefined
    }
    seen.set(where, row.line)
    const title = row.parent === null ? row.name : `${row.parent} → ${row.name}`
    if (!existing) {
      creates.push({ row, parentKey })
      planned.push({ line: row.line, action: 'create', label: title, fields: [] })
      continue
    }
    const changes = changesOf(existing, row.given)
    const fields = Object.keys(changes) as Array<keyof Fields>
    if (fields.length === 0) {
      planned.push({ line: row.line, action: 'unchanged', label: title, fields: [] })
    } else {
      updates.push({ category: existing, changes })
      planned.push({ line: row.line, action: 'update', label: title, fields: fields.map((f) => columnOfField[f]) })
    }
  }

  return {
    plan: sortByLine({ rows: planned, bad }),
    apply: async (db, actor) => {
      const at = now()
      const parentIds = new Map([...topLevel].map(([key, c]) => [key, c.id]))
      for (const { row, parentKey } of creates) {
        const parentId = parentKey === null ? null : (parentIds.get(parentKey) ?? null)
        if (parentKey !== null && parentId === null) throw new Error(`the parent of line ${row.line} was not created`)
        const values = {
          name: row.name,
          description: row.given.description ?? null,
          parent_id: parentId,
          default_group_id: row.given.default_group_id ?? null,
          default_priority: row.given.default_priority ?? 'normal',
          response_minutes: row.given.response_minutes ?? null,
          resolution_minutes: row.given.resolution_minutes ?? null,
          sort_order: row.given.sort_order ?? 0,
        }
        const category = await db
          .insertInto('categories')
          .values({ ...values, created_at: at, updated_at: at })
          .returning('id')
          .executeTakeFirstOrThrow()
        if (parentKey === null) parentIds.set(nameKey(row.name), category.id)
        await audit(db, actor, {
          action: 'category.create',
          objectType: 'category',
          objectId: category.id,
          description: `Создана категория № ${category.id} (импорт)`,
          details: {
            name: values.name,
            parentId,
            defaultGroupId: values.default_group_id,
            defaultPriority: values.default_priority,
            responseMinutes: values.response_minutes,
            resolutionMinutes: values.resolution_minutes,
            sortOrder: values.sort_order,
            import: true,
          },
        })
      }
      for (const { category, changes } of updates) {
        await db
          .updateTable('categories')
          .set({ ...changes, updated_at: at })
          .where('id', '=', category.id)
          .execute()
        await audit(db, actor, {
          action: 'category.update',
          objectType: 'category',
          objectId: category.id,
          description: `Изменена категория № ${category.id} (импорт): ${Object.keys(changes).join(', ')}`,
          details: { fields: Object.keys(changes), import: true },
        })
      }
    },
  }
}

function readRow(row: ImportRow, groups: ReadonlyMap<string, number>): Read {
  const v = row.values
  const name = requiredText(v.name ?? '', { label: 'Название', max: NAME_MAX })
  const parent = optionalText(v.parent, { label: 'Родитель', max: NAME_MAX })
  const given: Partial<Fields> = {}
  const description = optionalText(v.description, { label: 'Описание', max: CATEGORY_DESCRIPTION_MAX })
  if (description !== null) given.description = description
  if (v.group) {
    const group = groups.get(nameKey(v.group))
    if (group === undefined) {
      throw new DomainError(
        'validation',
        `группы исполнителей «${v.group}» нет (или она отключена) — создайте её в вебе`,
      )
    }
    given.default_group_id = group
  }
  if (v.priority) {
    const priority = priorityWords.get(nameKey(v.priority))
    if (!priority) {
      throw new DomainError(
        'validation',
        `неизвестный приоритет «${v.priority}»: ${priorities.map((p) => priorityLabels[p].toLowerCase()).join(', ')}`,
      )
    }
    given.default_priority = priority
  }
  const response = wholeNumber(v.response_minutes, 'Срок реакции, мин')
  if (response !== undefined) given.response_minutes = minutesOrNull(response, 'Срок реакции, минут')
  const resolution = wholeNumber(v.resolution_minutes, 'Срок решения, мин')
  if (resolution !== undefined) given.resolution_minutes = minutesOrNull(resolution, 'Срок решения, минут')
  const order = wholeNumber(v.sort_order, 'Порядок')
  if (order !== undefined) given.sort_order = integerIn(order, -CATEGORY_SORT_LIMIT, CATEGORY_SORT_LIMIT, 'Порядок')
  if (parent !== null && nameKey(parent) === nameKey(name)) {
    throw new DomainError('validation', 'категория не может быть родителем самой себя')
  }
  return { line: row.line, name, parent, given }
}

function changesOf(category: Category, given: Partial<Fields>): Partial<Fields> {
  const changes: Partial<Fields> = {}
  for (const field of Object.keys(given) as Array<keyof Fields>) {
    const value = given[field]
    if (value !== undefined && value !== category[field]) Object.assign(changes, { [field]: value })
  }
  return changes
}
