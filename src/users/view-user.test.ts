import { describe, expect, test } from 'vitest'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { auditRows, expectRefusal } from '../../test/support/state.ts'
import { viewUser } from './view-user.ts'

describe('viewUser', () => {
  test.each(['executor', 'curator', 'admin'] as const)(
    'a %s sees a profile, and the read is journaled as ПДн',
    async (role) => {
      const { db } = await testDatabase()
      const { user: viewer, actor } = await buildActor(db, { role }, 'web')
      const person = await buildUser(db, { fullName: 'Смирнова Ольга' })

      const shown = await viewUser(db, actor, { userId: person.id })

      expect(shown).toMatchObject({ id: person.id, full_name: 'Смирнова Ольга' })
      const last = (await auditRows(db)).at(-1)
      expect(last).toMatchObject({
        action: 'user.view',
        actor_id: viewer.id,
        channel: 'web',
        subject_id: person.id,
        pdn_related: 1,
        result: 'success',
      })
      expect(last?.description).not.toContain('Смирнова')
    },
  )

  test('a requester may not see profiles; the attempt is journaled', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db)
    const person = await buildUser(db)
    const [denied] = await expectRefusal(db, 'forbidden', () => viewUser(db, actor, { userId: person.id }))
    expect(denied).toMatchObject({ action: 'user.view', subject_id: person.id, pdn_related: 1 })
  })

  test('an unknown user is not found, and nothing is journaled', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'curator' })
    await expectRefusal(db, 'not_found', () => viewUser(db, actor, { userId: 999_999 }))
  })
})
