import { describe, expect, test } from 'vitest'
import type { Role } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildGroup, buildUser } from '../../test/support/factories.ts'
import { auditRows, expectRefusal } from '../../test/support/state.ts'
import { changeRole } from './change-role.ts'

describe('changeRole', () => {
  test('an admin makes an executor a curator', async () => {
    const { db } = await testDatabase()
    const { user: admin, actor } = await buildActor(db, { role: 'admin' })
    const target = await buildUser(db, { role: 'executor' })

    const changed = await changeRole(db, actor, { userId: target.id, role: 'curator' })

    expect(changed).toMatchObject({ id: target.id, role: 'curator' })
    const last = (await auditRows(db)).at(-1)
    expect(last).toMatchObject({
      action: 'user.role_change',
      actor_id: admin.id,
      subject_id: target.id,
      pdn_related: 1,
    })
    expect(JSON.parse(last?.details ?? '{}')).toMatchObject({ from: 'executor', to: 'curator' })
  })

  test('a demotion to requester takes the person out of their executor groups', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const target = await buildUser(db, { role: 'executor' })
    const colleague = await buildUser(db, { role: 'executor' })
    const group = await buildGroup(db, 'Сети', [target.id, colleague.id])

    await changeRole(db, actor, { userId: target.id, role: 'requester' })

    const members = await db.selectFrom('group_members').select('user_id').where('group_id', '=', group.id).execute()
    expect(members.map((m) => m.user_id)).toEqual([colleague.id])
  })

  test('setting the role a person already has changes and journals nothing', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const target = await buildUser(db, { role: 'executor' })
    const before = (await auditRows(db)).length
    expect(await changeRole(db, actor, { userId: target.id, role: 'executor' })).toEqual(target)
    expect(await auditRows(db)).toHaveLength(before)
  })

  test('an admin cannot demote themself', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, { role: 'admin' })
    await expectRefusal(db, 'conflict', () => changeRole(db, actor, { userId: user.id, role: 'curator' }))
  })

  test('an unknown role is refused', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const target = await buildUser(db)
    await expectRefusal(db, 'validation', () => changeRole(db, actor, { userId: target.id, role: 'superuser' as Role }))
  })

  test('an unknown user is not found', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    await expectRefusal(db, 'not_found', () => changeRole(db, actor, { userId: 999_999, role: 'executor' }))
  })

  test.each(['curator', 'executor', 'requester'] as const)(
    'a %s may not change roles; the attempt is journaled',
    async (role) => {
      const { db } = await testDatabase()
      const { actor } = await buildActor(db, { role })
      const target = await buildUser(db)
      const [denied] = await expectRefusal(db, 'forbidden', () =>
        changeRole(db, actor, { userId: target.id, role: 'admin' }),
      )
      expect(denied).toMatchObject({ action: 'user.role_change', subject_id: target.id })
    },
  )
})
