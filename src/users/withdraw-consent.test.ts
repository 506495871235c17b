import { describe, expect, test } from 'vitest'
import type { Db, User } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildConsent, buildUser } from '../../test/support/factories.ts'
import { auditRows, expectRefusal, outboxOf } from '../../test/support/state.ts'
import { actorFromUser } from './actor.ts'
import { createApiToken } from './api-tokens.ts'
import { consumeLoginLink, createLoginLink } from './login-links.ts'
import { reactivateUser } from './reactivate-user.ts'
import { createSession, resolveSession } from './sessions.ts'
import { withdrawConsent } from './withdraw-consent.ts'

const evidence = { update_id: 501, message_id: 77 }

/** A person who consented through the bot, as registration leaves them. */
async function consented(db: Db, overrides: Parameters<typeof buildUser>[1] = {}): Promise<User> {
  const user = await buildUser(db, overrides)
  await buildConsent(db, user.id)
  return user
}

async function consentRows(db: Db, userId: number) {
  return db.selectFrom('consent_records').selectAll().where('user_id', '=', userId).orderBy('id').execute()
}

describe('withdrawConsent', () => {
  test('the person withdraws: recorded with evidence, account off, access revoked, curators and admins told', async () => {
    const { db } = await testDatabase()
    const curator = await buildUser(db, { role: 'curator', telegramChatId: '810000001' })
    const admin = await buildUser(db, { role: 'admin', telegramChatId: '810000002' })
    await buildUser(db, { role: 'executor', telegramChatId: '810000003' })
    await buildUser(db, { role: 'curator', status: 'deactivated', telegramChatId: '810000004' })
    const person = await consented(db)
    const session = await createSession(db, person.id, { ip: null, userAgent: null })
    await createApiToken(
      db,
      { id: null, role: 'system', status: 'active', channel: 'cli', ip: null },
      {
        userId: person.id,
        name: 'тест',
      },
    )
    const link = await createLoginLink(db, actorFromUser(person, 'bot'), { userId: person.id })

    const result = await withdrawConsent(db, actorFromUser(person, 'bot'), { userId: person.id, evidence })

    expect(result.user).toMatchObject({ id: person.id, status: 'deactivated' })
    expect(result.user.deactivated_at).not.toBeNull()
    const [given, withdrawn] = await consentRows(db, person.id)
    expect(given).toMatchObject({ status: 'given', withdrawn_at: expect.any(String) })
    expect(withdrawn).toMatchObject({
      id: result.recordId,
      status: 'withdrawn',
      channel: 'bot',
      consent_text_id: given?.consent_text_id,
    })
    expect(JSON.parse(withdrawn?.evidence ?? '{}')).toEqual(evidence)
    expect(await resolveSession(db, session.token)).toBeUndefined()
    const tokens = await db.selectFrom('api_tokens').select('revoked_at').where('user_id', '=', person.id).execute()
    expect(tokens.every((t) => t.revoked_at !== null)).toBe(true)
    await expect(consumeLoginLink(db, { token: link.token, ip: null, userAgent: null })).rejects.toMatchObject({
      name: 'DomainError',
    })

    const entry = (await auditRows(db)).find((r) => r.action === 'consent.withdraw')
    expect(entry).toMatchObject({ actor_id: person.id, subject_id: person.id, pdn_related: 1, channel: 'bot' })
    expect(JSON.parse(entry?.details ?? '{}')).toMatchObject({
      from: 'active',
      to: 'deactivated',
      sessionsRevoked: 1,
      apiTokensRevoked: 1,
    })
    expect(await outboxOf(db, 'consent_withdrawn')).toEqual([
      { recipient: '810000001', payload: { userId: curator.id, subjectId: person.id } },
      { recipient: '810000002', payload: { userId: admin.id, subjectId: person.id } },
    ])
  })

  test('withdrawn consent keeps the account from being switched back on', async () => {
    const { db } = await testDatabase()
    const person = await consented(db)
    await withdrawConsent(db, actorFromUser(person, 'bot'), { userId: person.id, evidence })
    const { actor: admin } = await buildActor(db, { role: 'admin' })
    await expect(reactivateUser(db, admin, { userId: person.id })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
  })

  test('a pending person may withdraw too; a deactivated one keeps their status', async () => {
    const { db } = await testDatabase()
    const pending = await consented(db, { status: 'pending' })
    const off = await consented(db, { status: 'deactivated' })
    expect(
      (await withdrawConsent(db, actorFromUser(pending, 'bot'), { userId: pending.id, evidence })).user.status,
    ).toBe('deactivated')
    const kept = await withdrawConsent(db, actorFromUser(off, 'bot'), { userId: off.id, evidence })
    expect(kept.user).toMatchObject({ status: 'deactivated', deactivated_at: off.deactivated_at })
    expect((await consentRows(db, off.id)).at(-1)?.status).toBe('withdrawn')
  })

  test('an admin withdraws on a written statement (channel «paper»)', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' }, 'web')
    const person = await consented(db)
    await withdrawConsent(db, actor, { userId: person.id, evidence: { statement: 'вх. № 15' } })
    expect((await consentRows(db, person.id)).at(-1)).toMatchObject({ status: 'withdrawn', channel: 'paper' })
  })

  test('someone else may not withdraw a person’s consent: refused, journaled, nothing changed', async () => {
    const { db } = await testDatabase()
    const person = await consented(db)
    for (const role of ['requester', 'executor', 'curator'] as const) {
      const { actor } = await buildActor(db, { role }, 'bot')
      const [denied] = await expectRefusal(db, 'forbidden', () =>
        withdrawConsent(db, actor, { userId: person.id, evidence }),
      )
      expect(denied).toMatchObject({ action: 'consent.withdraw', subject_id: person.id })
    }
  })

  test('withdrawing twice, or without a consent, is a conflict that changes nothing', async () => {
    const { db } = await testDatabase()
    const person = await consented(db)
    await withdrawConsent(db, actorFromUser(person, 'bot'), { userId: person.id, evidence })
    await expectRefusal(db, 'conflict', () =>
      withdrawConsent(db, actorFromUser(person, 'bot'), { userId: person.id, evidence }),
    )
    const never = await buildUser(db)
    await expectRefusal(db, 'conflict', () =>
      withdrawConsent(db, actorFromUser(never, 'bot'), { userId: never.id, evidence }),
    )
  })
})
