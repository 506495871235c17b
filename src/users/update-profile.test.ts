import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { auditRows, expectRefusal } from '../../test/support/state.ts'
import { actorFromUser } from './actor.ts'
import { updateProfile } from './update-profile.ts'

describe('updateProfile', () => {
  test('a person changes their own room and phone (ПДн, journaled) and language (not ПДн)', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, {}, 'web')
    const contacts = await updateProfile(db, actor, { room: ' Корпус 2, каб. 5 ', phone: '+7 (900) 111-22-33' })
    expect(contacts).toMatchObject({ room: 'Корпус 2, каб. 5', phone: '+79001112233' })
    const language = await updateProfile(db, actor, { language: 'en' })
    expect(language.language).toBe('en')
    expect(await auditRows(db)).toMatchObject([
      { action: 'user.profile_update', subject_id: user.id, pdn_related: 1, details: '{"fields":["room","phone"]}' },
      { action: 'user.profile_update', subject_id: user.id, pdn_related: 0, details: '{"fields":["language"]}' },
    ])
  })

  test('a person picks the web’s theme: journaled, not ПДн; the same choice again changes nothing', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, {}, 'web')
    expect(user.theme).toBe('system')
    expect((await updateProfile(db, actor, { theme: 'dark' })).theme).toBe('dark')
    await updateProfile(db, actor, { theme: 'dark' })
    expect((await updateProfile(db, actor, { theme: 'system' })).theme).toBe('system')
    expect(await auditRows(db)).toMatchObject([
      { action: 'user.profile_update', subject_id: user.id, pdn_related: 0, details: '{"fields":["theme"]}' },
      { action: 'user.profile_update', subject_id: user.id, pdn_related: 0, details: '{"fields":["theme"]}' },
    ])
    await expectRefusal(db, 'validation', () => updateProfile(db, actor, { theme: 'sepia' as 'dark' }))
  })

  test('a bad phone or language is refused; only the person’s own row is ever touched', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db)
    const other = await buildUser(db)
    await expectRefusal(db, 'validation', () => updateProfile(db, actor, { phone: 'нет' }))
    await expectRefusal(db, 'validation', () => updateProfile(db, actor, { language: 'de' as 'en' }))
    const after = await db.selectFrom('users').selectAll().where('id', '=', other.id).executeTakeFirstOrThrow()
    expect(after).toEqual(other)
  })

  test('a deactivated account changes nothing', async () => {
    const { db } = await testDatabase()
    const user = await buildUser(db, { status: 'deactivated' })
    await expect(updateProfile(db, actorFromUser(user, 'web'), { room: 'x' })).rejects.toMatchObject({
      code: 'forbidden',
    })
  })
})
