import { describe, expect, test } from 'vitest'
import { actorFromUser } from '#src/users/actor.ts'
import { createApiToken, resolveApiToken } from '#src/users/api-tokens.ts'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { journalOf } from '../../test/support/state.ts'
import { getPage, inlineProblems, postForm, webUser } from '../../test/support/web.ts'

describe('«Профиль → API-токены»', () => {
  test('issues a token shown once, lists own tokens without the secret, revokes; journaled', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const me = await webUser(db, { role: 'executor', login: 'exec' })

    expect((await getPage(app, '/profile', me)).text).toContain('href="/profile/tokens"')
    const empty = await getPage(app, '/profile/tokens', me)
    expect(empty.status).toBe(200)
    expect(empty.text).toContain('Токенов нет')
    expect(inlineProblems(empty.text)).toEqual([])

    const issued = await postForm(app, '/profile/tokens', me, { name: 'Скрипт отчётов' })
    expect(issued.status).toBe(200)
    expect(issued.headers.get('cache-control')).toContain('no-store')
    const token = /hd_[A-Za-z0-9_-]{43}/.exec(issued.text)?.[0] ?? ''
    expect(await resolveApiToken(db, token)).toMatchObject({ id: me.user.id })

    const list = await getPage(app, '/profile/tokens', me)
    expect(list.text).toContain('Скрипт отчётов')
    expect(list.text).not.toContain(token)
    const id = /name="token" value="(\d+)"/.exec(list.text)?.[1] ?? ''

    const revoked = await postForm(app, '/profile/tokens/revoke', me, { token: id })
    expect(revoked.status).toBe(303)
    expect(revoked.headers.get('location')).toBe('/profile/tokens?done=revoked')
    expect(await resolveApiToken(db, token)).toBeUndefined()
    expect(await journalOf(db, 'token.create')).toHaveLength(1)
    expect(await journalOf(db, 'token.revoke')).toHaveLength(1)
  })

  test('someone else’s token cannot be revoked from one’s profile; an empty name is refused beside the form', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const me = await webUser(db)
    const other = await buildUser(db, { login: 'other' })
    const theirs = await createApiToken(db, actorFromUser(other, 'web'), { userId: other.id, name: 'Чужой' })

    const refused = await postForm(app, '/profile/tokens/revoke', me, { token: String(theirs.id) })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('Токен не найден')
    expect(await resolveApiToken(db, theirs.token)).toMatchObject({ id: other.id })

    const unnamed = await postForm(app, '/profile/tokens', me, { name: '  ' })
    expect(unnamed.status).toBe(422)
    expect(unnamed.text).toContain('Название токена')
    expect(await db.selectFrom('api_tokens').select('id').where('user_id', '=', me.user.id).execute()).toEqual([])
  })
})
