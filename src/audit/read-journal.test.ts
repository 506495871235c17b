import { describe, expect, test } from 'vitest'
import { setClock } from '#src/db/time.ts'
import { systemActor } from '#src/users/actor.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor } from '../../test/support/factories.ts'
import { audit } from './journal.ts'
import { readJournal } from './read-journal.ts'

async function arranged() {
  const { db } = await testDatabase()
  const { actor: admin, user } = await buildActor(db, { role: 'admin', fullName: 'Админова Алла' }, 'web')
  const entries = [
    ['2023-01-10T09:00:00.000Z', 'user.register', true, 'Регистрация пользователя № 5'],
    ['2023-01-20T22:30:00.000Z', 'user.confirm', true, 'Подтверждена регистрация пользователя № 5'],
    ['2023-02-05T10:00:00.000Z', 'settings.update', false, 'Изменены настройки: 100%_готово'],
    ['2023-03-01T08:00:00.000Z', 'user_x.test', false, 'Служебная запись'],
  ] as const
  for (const [at, action, pdn, description] of entries) {
    const restore = setClock(() => new Date(at))
    await audit(db, action === 'user.register' ? systemActor('bot') : admin, { action, pdn, description })
    restore()
  }
  return { db, admin, adminUser: user }
}

describe('readJournal', () => {
  test('filters by period, ПДн, text (any case, wildcards literal), actor and action', async () => {
    const { db, admin, adminUser } = await arranged()
    const ids = async (filter: Parameters<typeof readJournal>[2]) =>
      (await readJournal(db, admin, { to: '2024-01-01T00:00:00.000Z', ...filter })).map((e) => e.id)
    expect(await ids({})).toEqual([4, 3, 2, 1])
    expect(await ids({ limit: 2 })).toEqual([4, 3])
    expect(await ids({ pdnOnly: true })).toEqual([2, 1])
    expect(await ids({ search: 'РЕГИСТРАЦИЯ' })).toEqual([2, 1])
    expect(await ids({ search: '100%_' })).toEqual([3])
    expect(await ids({ search: '%' })).toEqual([3])
    expect(await ids({ from: '2023-01-20T21:00:00.000Z', to: '2023-02-05T10:00:00.000Z' })).toEqual([2])
    expect(await ids({ actorId: 'system' })).toEqual([1])
    expect(await ids({ actorId: adminUser.id })).toEqual([4, 3, 2])
    expect(await ids({ action: 'user.' })).toEqual([2, 1])
    expect(await ids({ action: 'user_x.test' })).toEqual([4])
    const [entry] = await readJournal(db, admin, { action: 'user.confirm' })
    expect(entry?.actor_name).toBe('Админова Алла')
  })

  test('every read is journaled as a ПДн action, an export as an export', async () => {
    const { db, admin } = await arranged()
    await readJournal(db, admin, { pdnOnly: true, search: 'Иванов' })
    await readJournal(db, admin, {}, { purpose: 'export' })
    const reads = await db.selectFrom('audit_log').selectAll().where('id', '>', 4).orderBy('id').execute()
    expect(reads.map((r) => [r.action, r.pdn_related])).toEqual([
      ['audit.read', 1],
      ['audit.export', 1],
    ])
    // The searched text may be a name: only the fact of a search is kept.
    expect(reads[0]?.details).not.toContain('Иванов')
  })

  test('only an admin (or the console) may read; a refusal is journaled', async () => {
    const { db } = await arranged()
    const { actor: curator } = await buildActor(db, { role: 'curator' })
    await expect(readJournal(db, curator, {})).rejects.toMatchObject({ code: 'forbidden' })
    const denied = await db.selectFrom('audit_log').selectAll().where('result', '=', 'denied').execute()
    expect(denied).toHaveLength(1)
    expect(await readJournal(db, systemActor('cli'), { limit: 1 })).toHaveLength(1)
  })
})
