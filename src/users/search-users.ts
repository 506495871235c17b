import { audit } from '#src/audit/journal.ts'
import type { Db, User } from '#src/db/schema.ts'
import type { Actor } from './actor.ts'
import { authorize } from './authorize.ts'
import { listUsers, type UserListFilter } from './user-store.ts'

/**
 * One page of people for staff who manage them. Names and phones of many people at once are a read of
 * ПДн: journaled with the ids shown (COMPLIANCE.md §4), never with the search text (it may be a name).
 */
export async function searchUsers(
  db: Db,
  actor: Actor,
  filter: UserListFilter,
): Promise<{ items: User[]; total: number }> {
  await authorize(
    db,
    actor,
    'user.view',
    { action: 'user.list', objectType: 'user', pdn: true, description: 'Отказано в просмотре списка пользователей' },
    'Нет прав просматривать данные пользователей',
  )
  const result = await listUsers(db, filter)
  await audit(db, actor, {
    action: 'user.list',
    objectType: 'user',
    pdn: true,
    description: `Просмотр списка пользователей: ${result.items.length} из ${result.total}`,
    details: {
      ids: result.items.map((u) => u.id),
      page: filter.page ?? 1,
      perPage: filter.perPage,
      role: filter.role,
      departmentId: filter.departmentId,
      status: filter.status,
      search: filter.q ? true : undefined,
    },
  })
  return result
}
