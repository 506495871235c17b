import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { createApiToken, resolveApiToken, revokeApiToken } from './api-tokens.ts'
import { hashToken } from './sessions.ts'

describe('API tokens', () => {
  test('anyone active may issue a token for themself; it is shown once and stored hashed', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db)
    const created = await createApiToken(db, actor, { userId: user.id, name: ' Интеграция ' })
    expect(created.token).toMatch(/^hd_[A-Za-z0-9_-]{43}$/)
    const row = await db.selectFrom('api_tokens').selectAll().executeTakeFirstOrThrow()
    expect(row).toMatchObject({
      id: created.id,
      user_id: user.id,
      name: 'Интеграция',
      token_hash: hashToken(created.token),
    })
    expect(JSON.stringify(row)).not.toContain(created.token)
    expect((await resolveApiToken(db, created.token))?.id).toBe(user.id)
    const journal = await db.selectFrom('audit_log').select(['action', 'result', 'subject_id']).execute()
    expect(journal).toEqual([{ action: 'token.create', result: 'success', subject_id: user.id }])
  })

  test('only an admin issues tokens for someone else; a refusal is journaled', async () => {
    const { db } = await testDatabase()
    const { actor: curator } = await buildActor(db, { role: 'curator' })
    const { actor: admin } = await buildActor(db, { role: 'admin' })
    const other = await buildUser(db)
    await expect(createApiToken(db, curator, { userId: other.id, name: 'x' })).rejects.toMatchObject({
      code: 'forbidden',
    })
    expect(await db.selectFrom('api_tokens').selectAll().execute()).toEqual([])
    const created = await createApiToken(db, admin, { userId: other.id, name: 'x' })
    expect((await resolveApiToken(db, created.token))?.id).toBe(other.id)
    const journal = await db.selectFrom('audit_log').select(['action', 'result']).orderBy('id').execute()
    expect(journal).toEqual([
      { action: 'token.create', result: 'denied' },
      { action: 'token.create', result: 'success' },
    ])
  })

  test('no token for an inactive user, none from an inactive actor, and an empty name is invalid', async () => {
    const { db } = await testDatabase()
    const { actor: admin } = await buildActor(db, { role: 'admin' })
    const pending = await buildUser(db, { status: 'pending' })
    await expect(createApiToken(db, admin, { userId: pending.id, name: 'x' })).rejects.toMatchObject({
      code: 'conflict',
    })
    await expect(createApiToken(db, admin, { userId: 999_999, name: 'x' })).rejects.toMatchObject({ code: 'not_found' })
    const { user: gone, actor: goneActor } = await buildActor(db, { status: 'deactivated' })
    await expect(createApiToken(db, goneActor, { userId: gone.id, name: 'x' })).rejects.toMatchObject({
      code: 'forbidden',
    })
    await expect(createApiToken(db, admin, { userId: pending.id, name: '   ' })).rejects.toMatchObject({
      code: 'validation',
    })
  })

  test('a revoked token, a token of a deactivated user and a made-up token resolve to nothing', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db)
    const created = await createApiToken(db, actor, { userId: user.id, name: 'x' })
    await revokeApiToken(db, actor, { tokenId: created.id })
    expect(await resolveApiToken(db, created.token)).toBeUndefined()
    expect(await resolveApiToken(db, `hd_${'A'.repeat(43)}`)).toBeUndefined()
    expect(await resolveApiToken(db, 'Bearer nonsense')).toBeUndefined()

    const { user: other, actor: otherActor } = await buildActor(db)
    const second = await createApiToken(db, otherActor, { userId: other.id, name: 'x' })
    await db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', other.id).execute()
    expect(await resolveApiToken(db, second.token)).toBeUndefined()
  })

  test('someone else’s token cannot be revoked (and is reported as missing)', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db)
    const { actor: stranger } = await buildActor(db)
    const created = await createApiToken(db, actor, { userId: user.id, name: 'x' })
    await expect(revokeApiToken(db, stranger, { tokenId: created.id })).rejects.toMatchObject({ code: 'not_found' })
    expect((await resolveApiToken(db, created.token))?.id).toBe(user.id)
  })

  test('last_used_at is written at most once a minute', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db)
    const created = await createApiToken(db, actor, { userId: user.id, name: 'x' })
    await resolveApiToken(db, created.token)
    const first = await db.selectFrom('api_tokens').select('last_used_at').executeTakeFirstOrThrow()
    expect(first.last_used_at).not.toBeNull()
    await resolveApiToken(db, created.token)
    const second = await db.selectFrom('api_tokens').select('last_used_at').executeTakeFirstOrThrow()
    expect(second.last_used_at).toBe(first.last_used_at)
  })
})
