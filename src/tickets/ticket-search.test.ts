import { beforeAll, describe, expect, test } from 'vitest'
import type { Db, User } from '#src/db/schema.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildCategory, buildDepartment, buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { addMessage } from './add-message.ts'
import { createTicket } from './create-ticket.ts'
import { ftsQuery, searchTerms } from './ticket-search.ts'
import { listTickets } from './ticket-store.ts'

let db: Db
let staff: User
let requester: User
beforeAll(async () => {
  db = (await testDatabase()).db
  staff = await buildUser(db, { role: 'executor' })
  requester = await buildUser(db)
})

const search = async (user: User, q: string) =>
  (await listTickets(db, actorFromUser(user, 'web'), { q })).items.map((item) => item.id)

describe('full-text search', () => {
  test('«принтер» finds «Принтера не печатают», for staff and for its requester', async () => {
    const category = await buildCategory(db)
    const ticket = await createTicket(db, actorFromUser(requester, 'web'), {
      title: 'Принтера не печатают',
      description: 'В ординаторской второго этажа',
      categoryId: category.id,
    })
    expect(await search(staff, 'принтер')).toContain(ticket.id)
    expect(await search(requester, 'Принтер')).toContain(ticket.id)
    expect(await search(staff, 'принтер ординаторской')).toContain(ticket.id)
    expect(await search(staff, 'принтер бухгалтерия')).not.toContain(ticket.id)
  })

  test('another form of the word finds it too: «принтеры», «печатает»', async () => {
    const ticket = await buildTicket(db, { title: 'Принтера не печатают', description: 'Третий день' })
    expect(await search(staff, 'принтеры')).toContain(ticket.id)
    expect(await search(staff, 'печатает')).toContain(ticket.id)
    expect(await search(staff, 'сканеры')).not.toContain(ticket.id)
  })

  test('external messages are searchable by everyone who sees the ticket', async () => {
    const ticket = await buildTicket(db, { requesterId: requester.id })
    await addMessage(db, actorFromUser(staff, 'web'), {
      ticketId: ticket.id,
      body: 'Замените тонер-картридж',
      internal: false,
    })
    expect(await search(requester, 'картридж')).toContain(ticket.id)
    expect(await search(staff, 'тонер')).toContain(ticket.id)
  })

  test('staff find tickets by the requester’s or executor’s surname and by the department, in any form', async () => {
    const department = await buildDepartment(db, 'Гнойная хирургия')
    const filer = await buildUser(db, { fullName: 'Емельянова Алла Петровна', departmentId: department.id })
    const executor = await buildUser(db, { role: 'executor', fullName: 'Жуков-Лавров Пётр' })
    const filed = await buildTicket(db, { requesterId: filer.id, title: 'Не печатает принтер' })
    const assigned = await buildTicket(db, { assigneeId: executor.id, title: 'Нет сети в ординаторской' })
    const other = await buildTicket(db, { title: 'Емельянов просит монитор' })
    expect(await search(staff, 'Емельянова')).toEqual(expect.arrayContaining([filed.id]))
    expect(await search(staff, 'емельяновой')).toContain(filed.id)
    expect(await search(staff, 'Алла Емельянова')).toEqual([filed.id])
    expect(await search(staff, 'принтер Емельянова')).toEqual([filed.id])
    expect(await search(staff, 'сети Емельянова')).toEqual([])
    expect(await search(staff, 'Лавров')).toEqual([assigned.id])
    expect(await search(staff, 'хирургия принтер')).toEqual([filed.id])
    // The text is searched as before: «Емельянов» in a title, and the person's word-prefix («Емельянов…»).
    expect(await search(staff, 'Емельянов')).toEqual(expect.arrayContaining([filed.id, other.id]))
    // A name is not a requester's way into others' tickets, nor a way to their own by someone else's name.
    expect(await search(filer, 'Жуков')).toEqual([])
  })

  test('a person blocked at their request (ст. 21) is not found by name', async () => {
    const blocked = await buildUser(db, { fullName: 'Скрытова Мария' })
    const ticket = await buildTicket(db, { requesterId: blocked.id, title: 'Мышь' })
    expect(await search(staff, 'Скрытова')).toEqual([ticket.id])
    await db.updateTable('users').set({ blocked_at: '2026-01-01T00:00:00.000Z' }).where('id', '=', blocked.id).execute()
    expect(await search(staff, 'Скрытова')).toEqual([])
  })

  test("a requester's search never matches a staff internal note", async () => {
    const ticket = await buildTicket(db, { requesterId: requester.id })
    await addMessage(db, actorFromUser(staff, 'web'), {
      ticketId: ticket.id,
      body: 'Коммутатор в серверной перегревается',
      internal: true,
    })
    expect(await search(staff, 'коммутатор')).toContain(ticket.id)
    expect(await search(requester, 'коммутатор')).not.toContain(ticket.id)
    expect(await search(requester, 'серверной')).toEqual([])
  })

  test('search reaches only tickets the requester may see', async () => {
    const { user: neighbour } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: neighbour.id, title: 'Сломался томограф' })
    expect(await search(staff, 'томограф')).toEqual([ticket.id])
    expect(await search(requester, 'томограф')).toEqual([])
  })

  test.each([
    '"*(:^',
    '"',
    '*',
    'NEAR(принтер',
    'принтер OR NOT AND',
    "'); drop table tickets; --",
    '{title} : x',
    'a:* & !b | (c',
    '\\\u0000\u202e',
    '   ',
    'слово'.repeat(100),
  ])('FTS syntax junk %j does not throw', async (q) => {
    await expect(listTickets(db, actorFromUser(staff, 'web'), { q })).resolves.toBeDefined()
    await expect(listTickets(db, actorFromUser(requester, 'web'), { q })).resolves.toBeDefined()
  })

  test('queries are reduced to words and quoted prefix terms', () => {
    expect(searchTerms('"*(:^ Принтер, не-печатает!')).toEqual(['принтер', 'не', 'печатает'])
    expect(ftsQuery(['принтер'], false)).toBe('{title description messages} : ("принтер"*)')
    expect(ftsQuery(['принтеры', 'не'], true)).toBe('{title description messages notes} : ("принтер"* "не"*)')
    expect(ftsQuery(['hp1020'], false)).toBe('{title description messages} : ("hp1020"*)')
  })
})
