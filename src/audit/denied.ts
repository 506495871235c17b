import type { Db } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { type AuditEntry, audit } from './journal.ts'

/**
 * Journals a refused attempt (COMPLIANCE.md §4, TESTING.md B4: every denial journaled). Runs in its own
 * transaction because the refused action's transaction is rolled back with the refusal.
 */
export async function auditDenied(db: Db, actor: Actor, entry: Omit<AuditEntry, 'result'>): Promise<void> {
  await audit(db, actor, { ...entry, result: 'denied' })
}
