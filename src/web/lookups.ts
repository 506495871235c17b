import type { Tx } from '#src/db/schema.ts'
import type { Person } from './views/ticket-list.tsx'

/** Active IT staff (executors, curators, admins) by name: the assignee choices and filter. */
export async function activeStaff(db: Tx): Promise<Person[]> {
  const rows = await db
    .selectFrom('users')
    .select(['id', 'full_name'])
    .where('status', '=', 'active')
    .where('role', 'in', ['executor', 'curator', 'admin'])
    .execute()
  const collator = new Intl.Collator('ru')
  return rows.sort((a, b) => collator.compare(a.full_name, b.full_name))
}
