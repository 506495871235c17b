import { sql } from 'kysely'
import { beforeAll, describe, expect, test } from 'vitest'
import { dialectOf } from '#src/db/database.ts'
import { up as indexOlderPlaces } from '#src/db/migrations/0031-search-places.ts'
import type { Db, User } from '#src/db/schema.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildCategory, buildDepartment, buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { addMessage } from './add-message.ts'
import { createTicket } from './create-ticket.ts'
import { ftsQuery, highlightParts, relevance, searchTerms, snippet } from './ticket-search.ts'
import { listTicketPage, listTickets, RELEVANCE_WINDOW } from './ticket-store.ts'
import { updateTicket } from './update-ticket.ts'

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

describe('places, relevance and highlights (issue 13)', () => {
  test('the place is searched: «214» and «приёмное» find the ticket; a changed place is found by its new name', async () => {
    const category = await buildCategory(db)
    const ticket = await createTicket(db, actorFromUser(requester, 'web'), {
      title: 'Не включается монитор',
      description: 'С утра',
      categoryId: category.id,
      location: 'Приёмное отделение, каб. 214',
    })
    expect(await search(staff, '214')).toContain(ticket.id)
    expect(await search(staff, 'приёмное монитор')).toContain(ticket.id)
    expect(await search(requester, 'каб 214')).toContain(ticket.id)
    await updateTicket(db, actorFromUser(staff, 'web'), { ticketId: ticket.id, location: 'Корпус 2, ординаторская' })
    expect(await search(staff, '214')).not.toContain(ticket.id)
    expect(await search(staff, 'корпус ординаторская')).toContain(ticket.id)
  })

  test('migration 0031 indexes the places of tickets indexed before it', async () => {
    const ticket = await buildTicket(db, { title: 'Старая заявка', description: 'Без места в индексе' })
    await db.updateTable('tickets').set({ location: 'Реанимация-Восток' }).where('id', '=', ticket.id).execute()
    // As tickets were indexed before 0031: the title and description alone.
    if (dialectOf(db) === 'postgres') {
      await sql`update ticket_search set public_text = ${'Старая заявка\nБез места в индексе'} where ticket_id = ${ticket.id}`.execute(
        db,
      )
    } else {
      await sql`update ticket_fts set description = ${'Без места в индексе'} where rowid = ${ticket.id}`.execute(db)
    }
    expect(await search(staff, 'реанимация-восток')).not.toContain(ticket.id)
    await indexOlderPlaces(db)
    expect(await search(staff, 'реанимация-восток')).toContain(ticket.id)
  })

  test('«сначала самые подходящие»: a word in the title outranks one in the description; ties go to the newer', async () => {
    const category = await buildCategory(db)
    const file = (title: string, description: string) =>
      createTicket(db, actorFromUser(requester, 'web'), { title, description, categoryId: category.id })
    const inDescription = await file('Не работает мышь', 'И ещё сканер-планшет шумит')
    const inTitle = await file('Сканер-планшет не видит компьютер', 'С утра')
    const inBoth = await file('Сканер-планшет сломан', 'Сканер-планшет не включается, сканер-планшет гудит')
    const newerInDescription = await file('Клавиатура', 'Сканер-планшет тоже')
    const actor = actorFromUser(staff, 'web')
    const byRelevance = await listTickets(db, actor, { q: 'планшет', sort: 'relevance', status: ['new'] })
    const ids = byRelevance.items.map((item) => item.id)
    expect(ids.slice(0, 4)).toEqual([inBoth.id, inTitle.id, newerInDescription.id, inDescription.id])
    // The usual order of a search is by number, newest first.
    const byNumber = await listTickets(db, actor, { q: 'планшет', status: ['new'] })
    expect(byNumber.items.map((item) => item.id).slice(0, 4)).toEqual(
      [inBoth.id, inTitle.id, newerInDescription.id, inDescription.id].sort((a, b) => b - a),
    )
  })

  test('relevance pages go by cursor within the matches, and a forged cursor is refused', async () => {
    const category = await buildCategory(db)
    for (let i = 0; i < 5; i++) {
      await createTicket(db, actorFromUser(requester, 'web'), {
        title: i % 2 === 0 ? `Томограф-гентри номер ${i}` : `Заявка ${i}`,
        description: 'томограф-гентри',
        categoryId: category.id,
      })
    }
    const actor = actorFromUser(staff, 'web')
    const filter = { q: 'гентри', sort: 'relevance' as const, perPage: 2 }
    const first = await listTicketPage(db, actor, filter)
    expect(first.items).toHaveLength(2)
    expect(first.prev).toBeNull()
    const second = await listTicketPage(db, actor, { ...filter, cursor: first.next ?? undefined })
    const third = await listTicketPage(db, actor, { ...filter, cursor: second.next ?? undefined })
    // An old client's page number reaches the same page as the cursor.
    const byNumber = await listTicketPage(db, actor, { ...filter, page: 2 })
    expect(byNumber.items.map((item) => item.id)).toEqual(second.items.map((item) => item.id))
    const all = [...first.items, ...second.items, ...third.items].map((item) => item.title)
    expect(new Set(all).size).toBe(5)
    expect(all.slice(0, 3).every((title) => title.startsWith('Томограф'))).toBe(true)
    expect(third.next).toBeNull()
    expect(second.prev).not.toBeNull()
    const forged = Buffer.from(JSON.stringify(['relevance', RELEVANCE_WINDOW, 1, 'a'])).toString('base64url')
    await expect(listTicketPage(db, actor, { ...filter, cursor: forged })).rejects.toMatchObject({
      code: 'bad_request',
    })
    // Without words there is nothing to weigh: the list keeps its usual order.
    await expect(listTicketPage(db, actor, { sort: 'relevance' })).resolves.toBeDefined()
  })

  test('highlights mark the words a search matched, as the index matches them', () => {
    expect(highlightParts('Принтера не печатают в 214', 'принтеры 214')).toEqual([
      { text: 'Принтера', hit: true },
      { text: ' не печатают в ', hit: false },
      { text: '214', hit: true },
    ])
    expect(highlightParts('Монитор', '')).toEqual([{ text: 'Монитор', hit: false }])
    const long = `${'слово '.repeat(60)}сломался картридж ${'ещё '.repeat(60)}`
    const line = snippet(long, 'картриджи')
    expect(line).toMatch(/^….*сломался картридж.*…$/)
    expect(line?.length).toBeLessThan(160)
    expect(snippet('Нет совпадений', 'картридж')).toBeUndefined()
    const ticket = {
      id: 1,
      title: 'Картридж',
      description: '',
      location: null,
      requester_id: 1,
      assignee_id: null,
      department_id: null,
    }
    expect(relevance(ticket, 'картридж')).toBeGreaterThan(relevance({ ...ticket, title: 'Принтер' }, 'картридж'))
    const named = new Map([['емельянова', { people: [1], departments: [] }]])
    expect(relevance(ticket, 'емельянова', named)).toBeGreaterThan(relevance(ticket, 'емельянова'))
  })
})
