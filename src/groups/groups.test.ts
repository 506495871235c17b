import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildGroup, buildUser } from '../../test/support/factories.ts'
import { auditRows, expectRefusal } from '../../test/support/state.ts'
import { createGroup } from './create-group.ts'
import { groupMemberIds, listGroups } from './group-store.ts'
import { updateGroup } from './update-group.ts'

describe('createGroup', () => {
  test.each(['curator', 'admin'] as const)('a %s creates a group with staff members, journaled', async (role) => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, { role })
    const executor = await buildUser(db, { role: 'executor' })
    const curator = await buildUser(db, { role: 'curator' })

    const group = await createGroup(db, actor, {
      name: ' Сети ',
      description: 'ЛВС, Wi-Fi, телефония',
      memberIds: [curator.id, executor.id, executor.id],
    })

    expect(group).toMatchObject({ name: 'Сети', description: 'ЛВС, Wi-Fi, телефония', active: 1 })
    expect(group.memberIds).toEqual([executor.id, curator.id].sort((a, b) => a - b))
    expect(await groupMemberIds(db, group.id)).toEqual(group.memberIds)
    const last = (await auditRows(db)).at(-1)
    expect(last).toMatchObject({
      action: 'group.create',
      actor_id: user.id,
      object_id: String(group.id),
      pdn_related: 0,
    })
  })

  test.each([
    ['a requester', { role: 'requester' as const }],
    ['a pending executor', { role: 'executor' as const, status: 'pending' as const }],
    ['a deactivated executor', { role: 'executor' as const, status: 'deactivated' as const }],
  ])('%s cannot be a member', async (_name, overrides) => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const member = await buildUser(db, overrides)
    await expectRefusal(db, 'validation', () => createGroup(db, actor, { name: 'МИС', memberIds: [member.id] }))
  })

  test('an unknown member id is refused', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    await expectRefusal(db, 'validation', () => createGroup(db, actor, { name: 'МИС', memberIds: [999_999] }))
  })

  test('refusals: forbidden, empty name, duplicate name', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const executor = await buildActor(db, { role: 'executor' })
    await buildGroup(db, 'Оргтехника')
    const [denied] = await expectRefusal(db, 'forbidden', () => createGroup(db, executor.actor, { name: '1С' }))
    expect(denied).toMatchObject({ action: 'group.create' })
    await expectRefusal(db, 'validation', () => createGroup(db, actor, { name: '' }))
    await expectRefusal(db, 'conflict', () => createGroup(db, actor, { name: 'оргтехника' }))
  })
})

describe('updateGroup', () => {
  test('a curator renames a group, replaces its members and disables it', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const a = await buildUser(db, { role: 'executor' })
    const b = await buildUser(db, { role: 'executor' })
    const group = await buildGroup(db, 'МИС', [a.id])

    const updated = await updateGroup(db, actor, { id: group.id, name: 'МИС и 1С', memberIds: [b.id], active: false })

    expect(updated).toMatchObject({ name: 'МИС и 1С', active: 0, memberIds: [b.id] })
    expect(await groupMemberIds(db, group.id)).toEqual([b.id])
    const details = JSON.parse((await auditRows(db)).at(-1)?.details ?? '{}')
    expect(details).toEqual({ changes: { name: 'МИС и 1С', active: 0 }, memberIds: { from: [a.id], to: [b.id] } })
  })

  test('a deactivated member may stay while the group is edited, but cannot be added anew', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const gone = await buildUser(db, { role: 'executor', status: 'deactivated' })
    const group = await buildGroup(db, 'Сети', [gone.id])
    const other = await buildGroup(db, 'МИС')
    const kept = await updateGroup(db, actor, { id: group.id, name: 'Сети и связь', memberIds: [gone.id] })
    expect(kept.memberIds).toEqual([gone.id])
    await expectRefusal(db, 'validation', () => updateGroup(db, actor, { id: other.id, memberIds: [gone.id] }))
  })

  test('an empty member list empties the group; a description can be cleared', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const a = await buildUser(db, { role: 'executor' })
    const group = await createGroup(db, actor, { name: 'Сети', description: 'ЛВС', memberIds: [a.id] })
    const updated = await updateGroup(db, actor, { id: group.id, description: null, memberIds: [] })
    expect(updated).toMatchObject({ description: null, memberIds: [] })
  })

  test('refusals: forbidden, not found, invalid, conflict', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    const requester = await buildActor(db)
    const group = await buildGroup(db, 'Сети')
    await buildGroup(db, 'МИС')
    await expectRefusal(db, 'forbidden', () => updateGroup(db, requester.actor, { id: group.id, name: 'Х' }))
    await expectRefusal(db, 'not_found', () => updateGroup(db, actor, { id: 999_999, name: 'Х' }))
    await expectRefusal(db, 'validation', () => updateGroup(db, actor, { id: group.id, name: '  ' }))
    await expectRefusal(db, 'validation', () =>
      updateGroup(db, actor, { id: group.id, memberIds: [requester.user.id] }),
    )
    await expectRefusal(db, 'conflict', () => updateGroup(db, actor, { id: group.id, name: 'мис' }))
  })
})

describe('listGroups', () => {
  test('lists every group by name with its members', async () => {
    const { db } = await testDatabase()
    const a = await buildUser(db, { role: 'executor' })
    const b = await buildUser(db, { role: 'executor' })
    await buildGroup(db, 'Сети', [b.id, a.id])
    await buildGroup(db, '1С')
    await buildGroup(db, 'Оргтехника', [a.id])
    const groups = await listGroups(db)
    expect(groups.map((g) => [g.name, g.memberIds])).toEqual([
      ['1С', []],
      ['Оргтехника', [a.id]],
      ['Сети', [a.id, b.id]],
    ])
  })
})
