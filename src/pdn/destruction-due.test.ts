import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { setClock } from '#src/db/time.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildConsent, buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { listDueForDestruction, queueDestruction, recordDueDestructions } from './destruction-due.ts'
import { registerSubjectRequest } from './register-subject-request.ts'
import { setSubjectRequestStatus } from './set-subject-request-status.ts'

const DAY = 24 * 60 * 60_000

async function at(db: Db, iso: string) {
  return (await listDueForDestruction(db, iso)).map((d) => ({
    userId: d.userId,
    reasons: d.reasons.map((r) => r.reason),
    dueAt: d.dueAt.slice(0, 10),
  }))
}

describe('«К уничтожению»: what falls due by the retention settings', () => {
  test('a withdrawn consent is due at once with its 30-day deadline; a later agreement cancels it', async () => {
    const { db } = await testDatabase()
    const restore = setClock(() => new Date('2026-03-01T09:00:00Z'))
    try {
      const withdrew = await buildUser(db, { status: 'deactivated' })
      await buildConsent(db, withdrew.id, 'given')
      await buildConsent(db, withdrew.id, 'withdrawn')
      const agreedAgain = await buildUser(db)
      await buildConsent(db, agreedAgain.id, 'withdrawn')
      await buildConsent(db, agreedAgain.id, 'given')
      expect(await at(db, '2026-03-01T09:00:00Z')).toEqual([
        { userId: withdrew.id, reasons: ['consent_withdrawn'], dueAt: '2026-03-31' },
      ])
    } finally {
      restore()
    }
  })

  test('deactivated people after 3 years, later while their closed tickets must be kept 5 years; never while a ticket is open', async () => {
    const { db } = await testDatabase()
    const restore = setClock(() => new Date('2020-01-10T09:00:00Z'))
    try {
      const plain = await buildUser(db, { status: 'deactivated' })
      const withTicket = await buildUser(db, { status: 'deactivated' })
      await buildTicket(db, { requesterId: withTicket.id, status: 'closed' })
      await db.updateTable('tickets').set({ closed_at: '2020-01-10T09:00:00.000Z' }).execute()
      const withOpen = await buildUser(db, { status: 'deactivated' })
      await buildTicket(db, { requesterId: withOpen.id, status: 'in_progress' })
      await buildUser(db, { status: 'active' })

      expect(await at(db, '2022-12-31T00:00:00Z')).toEqual([])
      expect(await at(db, '2023-01-11T00:00:00Z')).toEqual([
        { userId: plain.id, reasons: ['retention_deactivated'], dueAt: '2023-01-10' },
      ])
      expect(await at(db, '2025-01-11T00:00:00Z')).toEqual([
        { userId: plain.id, reasons: ['retention_deactivated'], dueAt: '2023-01-10' },
        { userId: withTicket.id, reasons: ['retention_closed_tickets'], dueAt: '2025-01-10' },
      ])
    } finally {
      restore()
    }
  })

  test('a rejected registration after 30 days; the daily job journals the ids of what fell due', async () => {
    const { db } = await testDatabase()
    const rejected = await buildUser(db, { status: 'rejected' })
    await db
      .updateTable('users')
      .set({ updated_at: new Date(Date.now() - 31 * DAY).toISOString() })
      .where('id', '=', rejected.id)
      .execute()
    const fresh = await buildUser(db, { status: 'rejected' })
    expect((await at(db, new Date().toISOString())).map((d) => d.userId)).toEqual([rejected.id])
    expect(fresh.id).not.toBe(rejected.id)

    expect(await recordDueDestructions(db)).toBe(1)
    const rows = await db.selectFrom('audit_log').selectAll().where('action', '=', 'pdn.destruction_due').execute()
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ actor_id: null, channel: 'system' })
    expect(JSON.parse(rows[0]?.details ?? '{}')).toEqual({ ids: [rejected.id] })
    // Nothing was destroyed: the job only lists.
    const row = await db.selectFrom('users').select('pseudonymised_at').where('id', '=', rejected.id).executeTakeFirst()
    expect(row?.pseudonymised_at).toBeNull()
  })

  test('a destruction request registered under «Запросы субъектов» is due by its deadline until refused; queued once', async () => {
    const { db } = await testDatabase()
    const admin = actorFromUser(await buildUser(db, { role: 'admin' }), 'web')
    const person = await buildUser(db)
    const other = await buildUser(db)
    const request = await registerSubjectRequest(db, admin, {
      kind: 'destruction',
      channel: 'letter',
      subjectId: person.id,
      receivedOn: new Date().toISOString().slice(0, 10),
    })
    const refused = await registerSubjectRequest(db, admin, {
      kind: 'destruction',
      channel: 'letter',
      subjectId: other.id,
      receivedOn: new Date().toISOString().slice(0, 10),
    })
    await setSubjectRequestStatus(db, admin, { requestId: refused.id, status: 'refused', answer: 'Нет оснований' })
    // The same request queued as well (R's code may do both): one reason, not two.
    await db
      .transaction()
      .execute((tx) => queueDestruction(tx, admin, { userId: person.id, reason: 'Запрос', requestId: request.id }))
    const due = await listDueForDestruction(db)
    expect(due.map((d) => [d.userId, d.reasons.map((r) => [r.reason, r.note, r.dueAt.slice(0, 10)])])).toEqual([
      [person.id, [['request', `запрос № ${request.id}`, request.due_on]]],
    ])
  })
})
