import { type Category, type Priority, priorities, type Tx } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import { bySortOrderThenName, integerIn } from '#src/users/fields.ts'

export interface CategoryListFilter {
  /** Only the ones offered for new заявки. */
  activeOnly?: boolean
}

/** Categories in display order: sort order, then name (parents and children in one flat list). */
export async function listCategories(db: Tx, filter: CategoryListFilter = {}): Promise<Category[]> {
  let query = db.selectFrom('categories').selectAll()
  if (filter.activeOnly) query = query.where('active', '=', 1)
  // Tens of rows: a Russian collator here orders names the same way on both databases.
  return (await query.execute()).sort(bySortOrderThenName)
}

export async function findCategory(db: Tx, id: number): Promise<Category | undefined> {
  return db.selectFrom('categories').selectAll().where('id', '=', id).executeTakeFirst()
}

/** A sibling (same parent, other than `exceptId`) whose name differs from this one only in case. */
export async function siblingNamed(
  db: Tx,
  name: string,
  parentId: number | null,
  exceptId?: number,
): Promise<Category | undefined> {
  const lower = name.toLocaleLowerCase('ru')
  const siblings = await db
    .selectFrom('categories')
    .selectAll()
    .where('parent_id', parentId === null ? 'is' : '=', parentId)
    .execute()
  return siblings.find((c) => c.id !== exceptId && c.name.toLocaleLowerCase('ru') === lower)
}

/** Categories have one level: a parent must exist and be a top-level category itself. */
export async function checkParent(db: Tx, parentId: number): Promise<void> {
  const parent = await findCategory(db, parentId)
  if (!parent) throw new DomainError('validation', 'Родительская категория не найдена')
  if (parent.parent_id !== null) {
    throw new DomainError('validation', 'Родительской может быть только категория верхнего уровня')
  }
}

/** A default group must exist and be active (a disabled group would receive заявки nobody sees). */
export async function checkDefaultGroup(db: Tx, groupId: number): Promise<void> {
  const group = await db.selectFrom('executor_groups').select('active').where('id', '=', groupId).executeTakeFirst()
  if (!group || Number(group.active) !== 1) throw new DomainError('validation', 'Группа исполнителей не найдена')
}

export function checkPriority(value: string): Priority {
  const found = priorities.find((p) => p === value)
  if (!found) throw new DomainError('validation', 'Неизвестный приоритет')
  return found
}

/** A deadline override: a whole number of minutes, at most a year, or null for the priority's default. */
export function minutesOrNull(value: number | null, label: string): number | null {
  return value === null ? null : integerIn(value, 1, 365 * 24 * 60, label)
}
