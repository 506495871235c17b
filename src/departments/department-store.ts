import type { Department, Tx } from '#src/db/schema.ts'
import { bySortOrderThenName } from '#src/users/fields.ts'

export interface DepartmentListFilter {
  /** Only the ones offered for new registrations and profiles. */
  activeOnly?: boolean
}

/** Departments in display order: sort order, then name. */
export async function listDepartments(db: Tx, filter: DepartmentListFilter = {}): Promise<Department[]> {
  let query = db.selectFrom('departments').selectAll()
  if (filter.activeOnly) query = query.where('active', '=', 1)
  // A hospital has tens of departments: ordering by a Russian collator here is the same on both databases.
  return (await query.execute()).sort(bySortOrderThenName)
}

export async function findDepartment(db: Tx, id: number): Promise<Department | undefined> {
  return db.selectFrom('departments').selectAll().where('id', '=', id).executeTakeFirst()
}

/** The department (other than `exceptId`) whose name differs from this one only in case, if any. */
export async function departmentNamed(db: Tx, name: string, exceptId?: number): Promise<Department | undefined> {
  const lower = name.toLocaleLowerCase('ru')
  const all = await db.selectFrom('departments').selectAll().execute()
  return all.find((d) => d.id !== exceptId && d.name.toLocaleLowerCase('ru') === lower)
}
