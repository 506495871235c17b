import { expect } from 'vitest'
import type { AuditRow, Db, User } from '#src/db/schema.ts'
import type { ErrorCode } from '#src/errors.ts'

/**
 * Proof that a refused call changed nothing: every row of the tables the users domain writes, before
 * and after, plus the audit rows the refusal added (one `denied` row for a permission refusal, none
 * for a validation, not-found or conflict refusal).
 */
const tables = [
  'users',
  'departments',
  'executor_groups',
  'group_members',
  'categories',
  'consent_texts',
  'consent_records',
  'outbox',
  'sessions',
  'api_tokens',
] as const

export async function dataSnapshot(db: Db): Promise<Record<string, string[]>> {
  const snapshot: Record<string, string[]> = {}
  for (const table of tables) {
    const rows = await db.selectFrom(table).selectAll().execute()
    snapshot[table] = rows.map((row) => JSON.stringify(row)).sort()
  }
  return snapshot
}

export async function auditRows(db: Db, afterId = 0): Promise<AuditRow[]> {
  return db.selectFrom('audit_log').selectAll().where('id', '>', afterId).orderBy('id').execute()
}

async function lastAuditId(db: Db): Promise<number> {
  const row = await db.selectFrom('audit_log').select('id').orderBy('id', 'desc').limit(1).executeTakeFirst()
  return row ? Number(row.id) : 0
}

/** Runs a call that must be refused with `code`; checks that no data changed; returns the new audit rows. */
export async function expectRefusal(db: Db, code: ErrorCode, call: () => Promise<unknown>): Promise<AuditRow[]> {
  const before = await dataSnapshot(db)
  const lastId = await lastAuditId(db)
  await expect(call()).rejects.toMatchObject({ name: 'DomainError', code })
  expect(await dataSnapshot(db)).toEqual(before)
  const added = await auditRows(db, lastId)
  if (code === 'forbidden') {
    expect(added).toHaveLength(1)
    expect(added[0]).toMatchObject({ result: 'denied' })
  } else {
    expect(added).toEqual([])
  }
  return added
}

/** The outbox rows of one kind, as (recipient chat id, payload) pairs sorted by recipient. */
export async function outboxOf(db: Db, kind: string): Promise<Array<{ recipient: string; payload: unknown }>> {
  const rows = await db.selectFrom('outbox').select(['recipient', 'payload']).where('kind', '=', kind).execute()
  return rows
    .map((r) => ({ recipient: r.recipient, payload: JSON.parse(r.payload) }))
    .sort((a, b) => a.recipient.localeCompare(b.recipient))
}

/** The journal entries of one action with one result (success unless said), oldest first. */
export async function journalOf(db: Db, action: string, result: AuditRow['result'] = 'success'): Promise<AuditRow[]> {
  return db
    .selectFrom('audit_log')
    .selectAll()
    .where('action', '=', action)
    .where('result', '=', result)
    .orderBy('id')
    .execute()
}

/** A user's row as it is now. */
export async function userRow(db: Db, id: number): Promise<User> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}
