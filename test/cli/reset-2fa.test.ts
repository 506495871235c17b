import { describe, expect, test } from 'vitest'
import { createSession, resolveSession } from '#src/users/sessions.ts'
import { sealSecret } from '#src/users/totp.ts'
import { buildUser } from '../support/factories.ts'
import { CLI_TIMEOUT, freshEnv, helpdesk, withFileDatabase } from './helpers.ts'

describe('helpdesk users reset-2fa', { timeout: CLI_TIMEOUT }, () => {
  test('clears the factor and the recovery codes, ends the sessions, journals it and queues the Telegram notice', async () => {
    const env = await freshEnv()
    expect(await helpdesk(env, ['migrate'])).toMatchObject({ code: 0 })
    const { userId, token } = await withFileDatabase(env, async (db) => {
      const user = await buildUser(db, { login: 'poteryala', telegramChatId: '777000111' })
      await db
        .updateTable('users')
        .set({ totp_secret: sealSecret('k'.repeat(40), 'JBSWY3DPEHPK3PXP'), totp_enabled: 1, totp_last_step: 5 })
        .where('id', '=', user.id)
        .execute()
      await db
        .insertInto('totp_recovery_codes')
        .values({ user_id: user.id, code_hash: 'x', used_at: null, created_at: new Date().toISOString() })
        .execute()
      const session = await createSession(db, user.id, { ip: null, userAgent: null })
      return { userId: user.id, token: session.token }
    })
    const run = await helpdesk(env, ['users', 'reset-2fa', '--id', String(userId)])
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(run.stdout).toContain(`Пользователь ${userId}: двухфакторная защита сброшена, завершено сеансов: 1`)
    await withFileDatabase(env, async (db) => {
      const row = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow()
      expect([row.totp_enabled, row.totp_secret, row.totp_last_step]).toEqual([0, null, null])
      expect(await db.selectFrom('totp_recovery_codes').selectAll().execute()).toEqual([])
      expect(await resolveSession(db, token)).toBeUndefined()
      const journal = await db
        .selectFrom('audit_log')
        .select(['channel', 'subject_id'])
        .where('action', '=', 'auth.totp_reset')
        .execute()
      expect(journal).toEqual([{ channel: 'cli', subject_id: userId }])
      const notices = await db
        .selectFrom('outbox')
        .select(['recipient', 'kind'])
        .where('kind', '=', 'totp_reset')
        .execute()
      expect(notices).toEqual([{ recipient: '777000111', kind: 'totp_reset' }])
    })
    const unknown = await helpdesk(env, ['users', 'reset-2fa', '--id', '99999'])
    expect(unknown).toMatchObject({ code: 1, stderr: 'Ошибка: Пользователь 99999 не найден\n' })
  })
})
