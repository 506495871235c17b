import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { expectRefusal, journalOf, outboxOf } from '../../test/support/state.ts'
import { passwordLinkMessages, viewPasswordLink } from './password-links.ts'
import { resetPassword } from './reset-password.ts'
import { createSession, resolveSession } from './sessions.ts'

const baseUrl = 'https://helpdesk.example'

describe('resetPassword', () => {
  test('ends the sessions, issues a new link (the old one dies), sends it in Telegram and is journaled', async () => {
    const { db } = await testDatabase()
    const { actor: admin } = await buildActor(db, { role: 'admin' }, 'web')
    const user = await buildUser(db, { login: 'ivanov', telegramChatId: '555000111' })
    const session = await createSession(db, user.id, { ip: null, userAgent: null })

    const first = await resetPassword(db, admin, { userId: user.id, baseUrl })
    const second = await resetPassword(db, admin, { userId: user.id, baseUrl })

    expect(await resolveSession(db, session.token)).toBeUndefined()
    expect(await viewPasswordLink(db, first.link.token)).toHaveProperty('problem')
    expect(await viewPasswordLink(db, second.link.token)).toMatchObject({ login: 'ivanov' })
    expect(second.sentToTelegram).toBe(true)
    expect((await outboxOf(db, 'bot_message')).map((m) => m.recipient)).toEqual(['555000111', '555000111'])
    const journal = await journalOf(db, 'user.password_reset')
    expect(journal).toHaveLength(2)
    expect(journal[0]).toMatchObject({ actor_id: admin.id, subject_id: user.id })
  })

  test('refused to non-admins (journaled), for an account without a login, an inactive or a missing one', async () => {
    const { db } = await testDatabase()
    const user = await buildUser(db, { login: 'petrov' })
    for (const role of ['curator', 'executor', 'requester'] as const) {
      const { actor } = await buildActor(db, { role })
      await expectRefusal(db, 'forbidden', () => resetPassword(db, actor, { userId: user.id, baseUrl }))
    }
    const { actor: admin } = await buildActor(db, { role: 'admin' })
    const noLogin = await buildUser(db)
    const gone = await buildUser(db, { login: 'gone', status: 'deactivated' })
    await expectRefusal(db, 'validation', () => resetPassword(db, admin, { userId: noLogin.id, baseUrl }))
    await expectRefusal(db, 'validation', () => resetPassword(db, admin, { userId: gone.id, baseUrl }))
    await expectRefusal(db, 'not_found', () => resetPassword(db, admin, { userId: 999_999, baseUrl }))
  })

  test('an LDAP account is refused: its password is set in Active Directory; no link, its sessions stay', async () => {
    const { db } = await testDatabase()
    const { actor: admin } = await buildActor(db, { role: 'admin' }, 'web')
    const user = await buildUser(db, { login: 'sidorov', telegramChatId: '555000222' })
    await db.updateTable('users').set({ auth_source: 'ldap' }).where('id', '=', user.id).execute()
    const session = await createSession(db, user.id, { ip: null, userAgent: null })

    // Nothing changes (no link, no session ended, no message) and nothing is journaled.
    await expectRefusal(db, 'conflict', () => resetPassword(db, admin, { userId: user.id, baseUrl }))
    await expect(resetPassword(db, admin, { userId: user.id, baseUrl })).rejects.toThrow(passwordLinkMessages.ldap)
    expect(await resolveSession(db, session.token)).toBeDefined()
    expect(await outboxOf(db, 'bot_message')).toEqual([])
  })
})
