import { auditDenied } from '#src/audit/denied.ts'
import type { AuditEntry } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { type Action, can } from './permissions.ts'

/**
 * Refuses unless `can(actor, permission)`, journaling the refusal. The users-domain permissions do not
 * depend on any row, so the check runs before the use case opens its transaction: nothing has been
 * done when the refusal is journaled, in its own small transaction (docs/contracts.md).
 */
export async function authorize(
  db: Db,
  actor: Actor,
  permission: Action,
  attempt: Omit<AuditEntry, 'result'>,
  message: string,
): Promise<void> {
  if (can(actor, permission)) return
  await auditDenied(db, actor, attempt)
  throw new DomainError('forbidden', message)
}
