import { sql } from 'kysely'
import { describe, expect, test } from 'vitest'
import { testDatabase, testDialect } from '../../test/support/database.ts'
import { buildActor } from '../../test/support/factories.ts'
import { auditRows } from '../../test/support/state.ts'
import { checkJournal } from './check-journal.ts'
import { audit } from './journal.ts'

describe('checkJournal', () => {
  test('an admin checks the chain; the check is journaled with its outcome', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, { role: 'admin' }, 'web')
    await audit(db, actor, { action: 'test.one', description: 'Первая' })
    await audit(db, actor, { action: 'test.two', description: 'Вторая' })
    expect(await checkJournal(db, actor)).toEqual({ ok: true, count: 2 })
    expect((await auditRows(db)).at(-1)).toMatchObject({ action: 'audit.verify', actor_id: user.id, result: 'success' })

    if (testDialect() === 'postgres') await sql`alter table audit_log disable trigger all`.execute(db)
    else await sql`drop trigger audit_log_no_update`.execute(db)
    await sql`update audit_log set description = 'Подмена' where id = 2`.execute(db)
    expect(await checkJournal(db, actor)).toMatchObject({ ok: false, firstBadId: 2 })
    expect((await auditRows(db)).at(-1)).toMatchObject({ action: 'audit.verify', result: 'error' })
  })

  test.each(['curator', 'executor', 'requester'] as const)('a %s may not; the attempt is journaled', async (role) => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role })
    await expect(checkJournal(db, actor)).rejects.toMatchObject({ code: 'forbidden' })
    expect(await auditRows(db)).toMatchObject([{ action: 'audit.verify', result: 'denied' }])
  })
})
