import { describe, expect, test } from 'vitest'
import { setClock } from '#src/db/time.ts'
import { systemActor } from '#src/users/actor.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor } from '../../test/support/factories.ts'
import { audit } from './journal.ts'
import { exportJournal, type JournalEntry, type JournalFilter, readJournal } from './read-journal.ts'

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

/** Every page of an export, as read. */
async function drain(pages: AsyncIterable<JournalEntry[]>, between?: () => Promise<void>): Promise<JournalEntry[][]> {
  const read: JournalEntry[][] = []
  for await (const page of pages) {
    read.push(page)
    await between?.()
  }
  return read
}

describe('exportJournal', () => {
  test('read in small pages it carries exactly the single read, newest first, none twice, rows written meanwhile left out', async () => {
    const { db, admin } = await arranged()
    for (let i = 1; i <= 20; i++) {
      await audit(db, systemActor(), { action: 'test.tick', pdn: i % 2 === 0, description: `Отметка ${i}` })
    }
    const { count, pages } = await exportJournal(db, admin, {}, { pageSize: 3 })
    // Rows journaled while the export is read (between its pages) are after its own row, not in it.
    const read = await drain(pages, async () => {
      await audit(db, systemActor(), { action: 'test.late', description: 'Запись во время выгрузки' })
    })
    const [exportRow, ...others] = await db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'audit.export')
      .execute()
    expect(others).toEqual([])
    const whole = (await readJournal(db, admin, {})).filter((e) => e.id < Number(exportRow?.id))
    const ids = read.flat().map((e) => e.id)
    expect(whole.length).toBeGreaterThan(20)
    expect(ids).toEqual(whole.map((e) => e.id))
    expect(new Set(ids).size).toBe(ids.length)
    expect(read.flat()).toEqual(whole)
    expect(read.length).toBeGreaterThan(5)
    expect(read.every((page) => page.length <= 3)).toBe(true)
    expect(count).toBe(whole.length)
    expect(
      await db.selectFrom('audit_log').select('description').where('action', '=', 'audit.export').execute(),
    ).toEqual([{ description: `Выгрузка журнала аудита, записей: ${whole.length}` }])
  })

  test('the filters and the row cap read in pages select what one read selects, a rare match found across windows', async () => {
    const { db, admin } = await arranged()
    for (let i = 1; i <= 40; i++) {
      await audit(db, systemActor(), {
        action: i === 3 ? 'test.rare' : 'test.tick',
        pdn: i % 3 === 0,
        description: `Отметка ${i}`,
      })
    }
    // None of these matches the export's or the read's own journal row.
    const filters: JournalFilter[] = [
      { action: 'test.' },
      { action: 'test.', limit: 7 },
      { action: 'test.tick', pdnOnly: true, limit: 5 },
      { search: 'ОТМЕТКА 1' },
      { action: 'test.rare' },
      { actorId: 'system', action: 'user.' },
      { action: 'nothing.' },
    ]
    for (const filter of filters) {
      for (const pageSize of [1, 2, 1000]) {
        const { count, pages } = await exportJournal(db, admin, filter, { pageSize })
        const ids = (await drain(pages)).flat().map((e) => e.id)
        const single = (await readJournal(db, admin, filter)).map((e) => e.id)
        expect({ filter, pageSize, ids }).toEqual({ filter, pageSize, ids: single })
        expect(count).toBe(single.length)
      }
    }
  })

  test('only an admin (or the console) may export; a refusal is journaled and nothing is read', async () => {
    const { db } = await arranged()
    const { actor: curator } = await buildActor(db, { role: 'curator' })
    await expect(exportJournal(db, curator, {})).rejects.toMatchObject({ code: 'forbidden' })
    expect(await db.selectFrom('audit_log').select('action').where('result', '=', 'denied').execute()).toEqual([
      { action: 'audit.read' },
    ])
    expect(await db.selectFrom('audit_log').select('id').where('action', '=', 'audit.export').execute()).toEqual([])
  })
})
