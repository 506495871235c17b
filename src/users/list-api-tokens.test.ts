import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor } from '../../test/support/factories.ts'
import { expectRefusal, journalOf } from '../../test/support/state.ts'
import { createApiToken, resolveApiToken, revokeApiToken } from './api-tokens.ts'
import { listApiTokens } from './list-api-tokens.ts'

describe('listApiTokens', () => {
  test('a person lists their own (name, created, last used, revoked; never the token); an admin anyone’s, journaled', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, { role: 'executor', login: 'exec' })
    const { actor: admin } = await buildActor(db, { role: 'admin' })
    const { user: other, actor: otherActor } = await buildActor(db)
    const first = await createApiToken(db, actor, { userId: user.id, name: 'Скрипт' })
    const second = await createApiToken(db, actor, { userId: user.id, name: 'Zabbix' })
    await createApiToken(db, otherActor, { userId: other.id, name: 'Чужой' })
    await resolveApiToken(db, first.token)
    await revokeApiToken(db, actor, { tokenId: second.id })

    const mine = await listApiTokens(db, actor, { userId: user.id })
    expect(mine.map((t) => [t.name, t.lastUsedAt !== null, t.revokedAt !== null])).toEqual([
      ['Zabbix', false, true],
      ['Скрипт', true, false],
    ])
    expect(JSON.stringify(mine)).not.toContain(first.token)
    expect(JSON.stringify(mine)).not.toMatch(/hash/)
    expect(await journalOf(db, 'token.list')).toEqual([])

    expect(await listApiTokens(db, admin, {})).toHaveLength(3)
    expect(await listApiTokens(db, admin, { userId: other.id })).toMatchObject([{ name: 'Чужой' }])
    expect(await journalOf(db, 'token.list')).toHaveLength(2)
  })

  test('someone else’s tokens or everyone’s are refused to a non-admin, journaled', async () => {
    const { db } = await testDatabase()
    const { actor: curator } = await buildActor(db, { role: 'curator' })
    const { user: other } = await buildActor(db)
    await expectRefusal(db, 'forbidden', () => listApiTokens(db, curator, { userId: other.id }))
    await expectRefusal(db, 'forbidden', () => listApiTokens(db, curator, {}))
  })
})
