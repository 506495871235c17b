import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildDepartment, buildUser } from '../../test/support/factories.ts'
import { auditRows, expectRefusal } from '../../test/support/state.ts'
import { updateUser } from './update-user.ts'

describe('updateUser', () => {
  test('an admin corrects a person’s data; the journal names the changed fields only', async () => {
    const { db } = await testDatabase()
    const { user: admin, actor } = await buildActor(db, { role: 'admin' }, 'web')
    const department = await buildDepartment(db, 'Реанимация')
    const person = await buildUser(db, { fullName: 'Петров Пётр', phone: '+79000000001' })
    const updated = await updateUser(db, actor, {
      userId: person.id,
      fullName: '  Петров Пётр Ильич ',
      departmentId: department.id,
      phone: '8 900 000-00-01',
      room: '',
    })
    expect(updated).toMatchObject({
      full_name: 'Петров Пётр Ильич',
      department_id: department.id,
      phone: '+79000000001',
      room: null,
      position: person.position,
    })
    const [entry] = await auditRows(db)
    expect(entry).toMatchObject({ action: 'user.update', actor_id: admin.id, subject_id: person.id, pdn_related: 1 })
    expect(JSON.parse(entry?.details ?? '{}')).toEqual({ fields: ['full_name', 'department_id', 'room'] })
    expect(`${entry?.description}${entry?.details}`).not.toContain('Ильич')
  })

  test('nothing to change writes nothing', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const person = await buildUser(db)
    await updateUser(db, actor, { userId: person.id, room: person.room })
    expect(await auditRows(db)).toEqual([])
  })

  test('an empty name, a bad phone or an unknown department is refused and changes nothing', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const person = await buildUser(db)
    await expectRefusal(db, 'validation', () => updateUser(db, actor, { userId: person.id, fullName: '  ' }))
    await expectRefusal(db, 'validation', () => updateUser(db, actor, { userId: person.id, phone: '12' }))
    await expectRefusal(db, 'validation', () => updateUser(db, actor, { userId: person.id, departmentId: 999_999 }))
    await expectRefusal(db, 'not_found', () => updateUser(db, actor, { userId: 999_999, room: 'x' }))
  })

  test.each(['curator', 'executor', 'requester'] as const)('a %s may not; the attempt is journaled', async (role) => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role })
    const person = await buildUser(db)
    const [denied] = await expectRefusal(db, 'forbidden', () => updateUser(db, actor, { userId: person.id, room: 'x' }))
    expect(denied).toMatchObject({ action: 'user.update', subject_id: person.id })
  })
})
