import { auditDenied } from '#src/audit/denied.ts'
import type { Db } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'

/**
 * The bell is IT staff's: those who see internal notes (`ticket.view_internal`), of which notifications speak.
 * Anyone else is refused (`forbidden`: a 403 in the API, the 404 page in the web), and the try journaled.
 */
export async function requireStaff(db: Db, actor: Actor, action: string, objectType = 'notification'): Promise<number> {
  if (actor.id === null || !can(actor, 'ticket.view_internal')) {
    await auditDenied(db, actor, {
      action,
      objectType,
      description: `Отказано в действии ${action}`,
    })
    throw new DomainError('forbidden', 'Уведомления доступны только сотрудникам ИТ')
  }
  return actor.id
}
