import type { Db } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import { auditDenied } from './denied.ts'
import { audit, type VerifyResult, verifyJournal } from './journal.ts'

/**
 * Verifies the journal's chain for an admin (or the console: `helpdesk audit verify`) and journals the
 * check with its outcome. It reads every row: run on demand, not per page view.
 */
export async function checkJournal(db: Db, actor: Actor): Promise<VerifyResult> {
  if (!can(actor, 'audit.view')) {
    await auditDenied(db, actor, {
      action: 'audit.verify',
      objectType: 'audit_log',
      description: 'Отказ в проверке журнала аудита',
    })
    throw new DomainError('forbidden', 'Журнал аудита доступен только администратору')
  }
  const result = await verifyJournal(db)
  await audit(db, actor, {
    action: 'audit.verify',
    objectType: 'audit_log',
    result: result.ok ? 'success' : 'error',
    description: result.ok
      ? `Проверка журнала аудита: цел, записей: ${result.count}`
      : `Проверка журнала аудита: нарушен, ${result.reason}`,
    details: result.ok ? { count: result.count } : { count: result.count, firstBadId: result.firstBadId },
  })
  return result
}
