import { sql } from 'kysely'
import { beforeAll, describe, expect, test } from 'vitest'
import type { Category, Db, Department, ExecutorGroup, Ticket, User } from '#src/db/schema.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { testDatabase, testDialect } from '../../test/support/database.ts'
import { buildCategory, buildDepartment, buildGroup, buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { countTickets, listTicketPage, listTickets, type TicketFilter, ticketSorts } from './ticket-store.ts'

/** One shared, known dataset: each filter is checked against the ids it must return. */
let db: Db
let curator: User
let executor: User
let alice: User
let bob: User
let department: Department
let group: ExecutorGroup
let parent: Category
let child: Category
let other: Category
const t: Record<string, Ticket> = {}

beforeAll(async () => {
  db = (await testDatabase()).db
  curator = await buildUser(db, { role: 'curator' })
  executor = await buildUser(db, { role: 'executor', fullName: 'Иванов Иван' })
  department = await buildDepartment(db, 'Приёмное отделение')
  alice = await buildUser(db, { departmentId: department.id, fullName: 'Алиса Петрова' })
  bob = await buildUser(db)
  group = await buildGroup(db, 'Оргтехника')
  parent = await buildCategory(db, { name: 'Оборудование', defaultGroupId: group.id })
  child = await buildCategory(db, { name: 'Принтеры', parentId: parent.id, defaultGroupId: group.id })
  other = await buildCategory(db, { name: 'МИС' })
  const past = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString()
  t.a1 = await buildTicket(db, { requesterId: alice.id, categoryId: child.id, priority: 'low', createdAt: past(10) })
  t.a2 = await buildTicket(db, {
    requesterId: alice.id,
    categoryId: parent.id,
    priority: 'critical',
    status: 'in_progress',
    assigneeId: executor.id,
    createdAt: past(5),
  })
  t.b1 = await buildTicket(db, {
    requesterId: bob.id,
    categoryId: other.id,
    priority: 'high',
    status: 'resolved',
    assigneeId: executor.id,
    createdAt: past(3),
  })
  t.b2 = await buildTicket(db, { requesterId: bob.id, categoryId: other.id, createdAt: past(1) })
})

const ids = async (user: User, filter: TicketFilter) =>
  (await listTickets(db, actorFromUser(user, 'web'), filter)).items.map((item) => item.id)

describe('listTickets', () => {
  test('staff see every ticket, newest first, with names and overdue flags', async () => {
    const page = await listTickets(db, actorFromUser(curator, 'web'), {})
    expect(page.total).toBe(4)
    expect(page.items.map((i) => i.id)).toEqual([t.b2?.id, t.b1?.id, t.a2?.id, t.a1?.id])
    const a2 = page.items.find((i) => i.id === t.a2?.id)
    expect(a2).toMatchObject({
      requester_name: 'Алиса Петрова',
      department_name: 'Приёмное отделение',
      assignee_name: 'Иванов Иван',
      category_name: 'Оборудование',
      overdue: true,
    })
    expect(page.items.find((i) => i.id === t.b1?.id)?.overdue).toBe(false)
  })

  test('a requester only ever gets their own tickets, whatever the filter says', async () => {
    expect(await ids(alice, {})).toEqual([t.a2?.id, t.a1?.id])
    expect(await ids(alice, { requesterId: bob.id })).toEqual([])
    expect(await ids(alice, { q: `№ ${t.b1?.id}` })).toEqual([])
  })

  test.each<[string, () => TicketFilter, () => Array<string>]>([
    ['status', () => ({ status: ['new'] }), () => ['b2', 'a1']],
    ['several statuses', () => ({ status: ['in_progress', 'resolved'] }), () => ['b1', 'a2']],
    ['priority', () => ({ priority: ['critical', 'high'] }), () => ['b1', 'a2']],
    ['a parent category with its children', () => ({ categoryId: parent.id }), () => ['a2', 'a1']],
    ['a child category', () => ({ categoryId: child.id }), () => ['a1']],
    ['no assignee', () => ({ assigneeId: 'none' }), () => ['b2', 'a1']],
    ['an assignee', () => ({ assigneeId: executor.id }), () => ['b1', 'a2']],
    ['a requester', () => ({ requesterId: bob.id }), () => ['b2', 'b1']],
    ['a department', () => ({ departmentId: department.id }), () => ['a2', 'a1']],
    ['a group', () => ({ groupId: group.id }), () => ['a2', 'a1']],
    ['overdue', () => ({ overdue: true }), () => ['a2', 'a1']],
    ['not overdue', () => ({ overdue: false }), () => ['b2', 'b1']],
    ['created from', () => ({ createdFrom: new Date(Date.now() - 4 * 86_400_000).toISOString() }), () => ['b2', 'b1']],
    [
      'created before',
      () => ({ createdBefore: new Date(Date.now() - 4 * 86_400_000).toISOString() }),
      () => ['a2', 'a1'],
    ],
  ])('the %s filter', async (_name, filter, expected) => {
    expect(await ids(curator, filter())).toEqual(expected().map((key) => t[key]?.id))
  })

  test.each<[TicketFilter['sort'], Array<string>]>([
    ['created_at', ['a1', 'a2', 'b1', 'b2']],
    ['-priority', ['a2', 'b1', 'b2', 'a1']],
    ['priority', ['a1', 'b2', 'b1', 'a2']],
    ['id', ['a1', 'a2', 'b1', 'b2']],
    ['-id', ['b2', 'b1', 'a2', 'a1']],
    ['status', ['b2', 'a1', 'a2', 'b1']],
  ])('sorting by %s', async (sort, expected) => {
    expect(await ids(curator, { sort })).toEqual(expected.map((key) => t[key]?.id))
  })

  test('an unknown sort falls back to the newest first', async () => {
    const sort = 'title; drop table tickets' as TicketFilter['sort']
    expect(await ids(curator, { sort })).toEqual([t.b2?.id, t.b1?.id, t.a2?.id, t.a1?.id])
  })

  test('pages are 1-based and the total counts every match', async () => {
    const actor = actorFromUser(curator, 'web')
    const first = await listTickets(db, actor, { perPage: 3, page: 1, sort: 'id' })
    const second = await listTickets(db, actor, { perPage: 3, page: 2, sort: 'id' })
    expect(first.items.map((i) => i.id)).toEqual([t.a1?.id, t.a2?.id, t.b1?.id])
    expect(second.items.map((i) => i.id)).toEqual([t.b2?.id])
    expect([first.total, second.total]).toEqual([4, 4])
    const clamped = await listTickets(db, actor, { perPage: 10_000, page: -3 })
    expect(clamped.items).toHaveLength(4)
  })

  test('a ticket number finds the ticket', async () => {
    expect(await ids(curator, { q: `№ ${t.b1?.id}` })).toEqual([t.b1?.id])
  })
})

describe('sorting by deadline and by the people', () => {
  test.each<[TicketFilter['sort'], Array<'nearest' | 'later' | 'none'>]>([
    ['resolution_due_at', ['nearest', 'later', 'none']],
    ['-resolution_due_at', ['none', 'later', 'nearest']],
    ['requester', ['none', 'nearest', 'later']],
    ['-requester', ['later', 'nearest', 'none']],
    ['assignee', ['none', 'nearest', 'later']],
    ['-assignee', ['later', 'nearest', 'none']],
  ])('by %s, page after page as on one page', async (sort, expected) => {
    const { db: own } = await testDatabase()
    const staff = actorFromUser(await buildUser(own, { role: 'curator' }), 'web')
    const antonov = await buildUser(own, { role: 'executor', fullName: 'Антонов Пётр' })
    const borisov = await buildUser(own, { role: 'executor', fullName: 'Борисов Олег' })
    const category = await buildCategory(own)
    const inHours = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString()
    const made = {
      // Filed by Яковлева, Борисов on it, due in 3 hours.
      later: await buildTicket(own, {
        requesterId: (await buildUser(own, { fullName: 'Яковлева Анна' })).id,
        assigneeId: borisov.id,
        status: 'in_progress',
        categoryId: category.id,
        resolutionDueAt: inHours(3),
      }),
      // Filed by Абрамов, nobody on it, no deadline (older data).
      none: await buildTicket(own, {
        requesterId: (await buildUser(own, { fullName: 'Абрамов Илья' })).id,
        categoryId: category.id,
        resolutionDueAt: null,
      }),
      // Filed by Мельник, Антонов on it, due in an hour.
      nearest: await buildTicket(own, {
        requesterId: (await buildUser(own, { fullName: 'Мельник Ольга' })).id,
        assigneeId: antonov.id,
        status: 'in_progress',
        categoryId: category.id,
        resolutionDueAt: inHours(1),
      }),
    }
    const wanted = expected.map((key) => made[key].id)
    expect((await listTickets(own, staff, { sort })).items.map((i) => i.id)).toEqual(wanted)
    const walked: number[] = []
    let page = await listTickets(own, staff, { sort, perPage: 1 })
    walked.push(...page.items.map((i) => i.id))
    while (page.next !== null) {
      page = await listTickets(own, staff, { sort, perPage: 1, cursor: page.next })
      walked.push(...page.items.map((i) => i.id))
    }
    expect(walked).toEqual(wanted)
  })
})

describe('paging by cursor', () => {
  /** Thirty tickets with ties in every sort key (pairs share a moment; priorities and statuses repeat). */
  let pagingDb: Db
  let staff: User
  let requester: User
  const printers: number[] = []
  beforeAll(async () => {
    pagingDb = (await testDatabase()).db
    staff = await buildUser(pagingDb, { role: 'curator' })
    requester = await buildUser(pagingDb)
    const other = await buildUser(pagingDb)
    const category = await buildCategory(pagingDb)
    const priorities = ['low', 'normal', 'high', 'critical'] as const
    const statuses = ['new', 'in_progress', 'waiting', 'resolved', 'closed'] as const
    for (let i = 0; i < 30; i++) {
      const printer = i % 3 === 0
      const ticket = await buildTicket(pagingDb, {
        requesterId: i % 2 === 0 ? requester.id : other.id,
        categoryId: category.id,
        priority: priorities[i % 4],
        status: statuses[i % 5],
        title: printer ? `Принтер не печатает ${i}` : `Монитор мигает ${i}`,
        createdAt: new Date(Date.UTC(2026, 0, 1 + Math.floor(i / 2))).toISOString(),
      })
      if (printer) printers.push(ticket.id)
    }
  })

  /** Every page from the first by `next`, then every page back from the last by `prev`. */
  async function walk(filter: TicketFilter, perPage: number) {
    const actor = actorFromUser(staff, 'web')
    const pages: number[][] = []
    let page = await listTickets(pagingDb, actor, { ...filter, perPage })
    expect(page.prev).toBeNull()
    pages.push(page.items.map((i) => i.id))
    while (page.next !== null) {
      page = await listTickets(pagingDb, actor, { ...filter, perPage, cursor: page.next })
      pages.push(page.items.map((i) => i.id))
    }
    const back: number[][] = [pages.at(-1) ?? []]
    while (page.prev !== null) {
      page = await listTickets(pagingDb, actor, { ...filter, perPage, cursor: page.prev })
      back.unshift(page.items.map((i) => i.id))
    }
    return { forward: pages, backward: back }
  }

  test.each(ticketSorts.map((sort) => [sort]))(
    'sorted by %s, pages by next and back by prev hold every ticket once, in the order of one long page',
    async (sort) => {
      const all = await listTickets(pagingDb, actorFromUser(staff, 'web'), { sort, perPage: 200 })
      expect(all.items).toHaveLength(30)
      const { forward, backward } = await walk({ sort }, 7)
      expect(forward.map((p) => p.length)).toEqual([7, 7, 7, 7, 2])
      expect(forward.flat()).toEqual(all.items.map((i) => i.id))
      expect(backward).toEqual(forward)
    },
  )

  test('a search pages by cursor alike: alone, with a status, with a requester, sorted by creation', async () => {
    const newestFirst = [...printers].reverse()
    expect((await walk({ q: 'принтер' }, 3)).forward.flat()).toEqual(newestFirst)
    const actor = actorFromUser(staff, 'web')
    const open = await listTickets(pagingDb, actor, { q: 'принтер', status: ['new', 'waiting'], perPage: 200 })
    expect(open.items.length).toBeGreaterThan(1)
    expect(open.items.every((i) => ['new', 'waiting'].includes(i.status) && i.title.startsWith('Принтер'))).toBe(true)
    expect((await walk({ q: 'принтер', status: ['new', 'waiting'] }, 1)).forward.flat()).toEqual(
      open.items.map((i) => i.id),
    )
    const byRequester = await listTickets(pagingDb, actor, { q: 'принтер', requesterId: requester.id, perPage: 200 })
    expect(byRequester.items.map((i) => i.id)).toEqual(
      newestFirst.filter((id) => byRequester.items.some((i) => i.id === id)),
    )
    expect(byRequester.items.every((i) => i.requester_id === requester.id)).toBe(true)
    expect(byRequester.items.length).toBeGreaterThan(0)
    expect((await walk({ q: 'принтер', sort: '-created_at' }, 4)).forward.flat()).toHaveLength(printers.length)
  })

  test('the total is counted up to a cap and says so past it', async () => {
    const actor = actorFromUser(staff, 'web')
    expect(await countTickets(pagingDb, actor, {}, 10)).toEqual({ count: 10, capped: true })
    expect(await countTickets(pagingDb, actor, {}, 30)).toEqual({ count: 30, capped: false })
    expect(await countTickets(pagingDb, actor, { q: 'принтер' }, 3)).toEqual({ count: 3, capped: true })
    expect(await countTickets(pagingDb, actor, { q: 'принтер', status: ['new'] }, 100)).toEqual({
      count: (await listTickets(pagingDb, actor, { q: 'принтер', status: ['new'], perPage: 200 })).items.length,
      capped: false,
    })
    const page = await listTickets(pagingDb, actor, { perPage: 5 })
    expect([page.total, page.totalCapped]).toEqual([30, false])
  })

  test("a search's first page counts its matches as it reads them, to the same total and cap as a count", async () => {
    const actor = actorFromUser(staff, 'web')
    const first = await listTicketPage(pagingDb, actor, { q: 'принтер', perPage: 2 }, undefined, { countUpTo: 1000 })
    expect(first.items).toHaveLength(2)
    expect(first.next).not.toBeNull()
    if (testDialect() === 'sqlite') {
      expect(first.counted).toEqual(await countTickets(pagingDb, actor, { q: 'принтер' }, 1000))
      expect(first.counted).toEqual({ count: printers.length, capped: false })
      const capped = await listTicketPage(pagingDb, actor, { q: 'принтер', perPage: 2 }, undefined, { countUpTo: 3 })
      expect(capped.counted).toEqual({ count: 3, capped: true })
      // A later page does not see the matches before it: it counts nothing, the list counts apart.
      const later = await listTicketPage(pagingDb, actor, { q: 'принтер', cursor: first.next ?? '' }, undefined, {
        countUpTo: 1000,
      })
      expect(later.counted).toBeUndefined()
    } else {
      // PostgreSQL's search is not driven by an index in id order: the list counts apart.
      expect(first.counted).toBeUndefined()
    }
    const listed = await listTickets(pagingDb, actor, { q: 'принтер', perPage: 2 })
    expect([listed.total, listed.totalCapped]).toEqual([printers.length, false])
  })

  test('a cursor of another sort, or not one of ours, is refused as a bad request', async () => {
    const actor = actorFromUser(staff, 'web')
    const first = await listTickets(pagingDb, actor, { sort: 'priority', perPage: 5 })
    expect(first.next).not.toBeNull()
    await expect(listTickets(pagingDb, actor, { sort: '-created_at', cursor: first.next ?? '' })).rejects.toMatchObject(
      {
        code: 'bad_request',
      },
    )
    for (const cursor of ['garbage!', Buffer.from('[1,2]').toString('base64url'), 'x'.repeat(500)]) {
      await expect(listTickets(pagingDb, actor, { cursor })).rejects.toMatchObject({ code: 'bad_request' })
    }
  })
})

describe('«мои»: the tickets one answers for', () => {
  /**
   * Assigned to the executor, unassigned in either of their two groups, and the rest (assigned to another,
   * unassigned in a group of others, in no group): every sort key tied in pairs, as in the paging tests.
   */
  let mineDb: Db
  let me: User
  const expected = new Set<number>()
  beforeAll(async () => {
    mineDb = (await testDatabase()).db
    me = await buildUser(mineDb, { role: 'executor' })
    const colleague = await buildUser(mineDb, { role: 'executor' })
    const requester = await buildUser(mineDb)
    const [first, second, others] = [
      await buildGroup(mineDb, 'Оргтехника', [me.id, colleague.id]),
      await buildGroup(mineDb, 'МИС', [me.id]),
      await buildGroup(mineDb, 'Сети', [colleague.id]),
    ]
    const priorities = ['low', 'normal', 'high', 'critical'] as const
    const statuses = ['new', 'in_progress', 'waiting', 'resolved', 'closed'] as const
    const kinds = [
      { assigneeId: me.id, groupId: first.id, mine: true },
      { assigneeId: null, groupId: first.id, mine: true },
      { assigneeId: null, groupId: second.id, mine: true },
      { assigneeId: colleague.id, groupId: first.id, mine: false },
      { assigneeId: null, groupId: others.id, mine: false },
      { assigneeId: null, groupId: null, mine: false },
      { assigneeId: me.id, groupId: null, mine: true },
    ]
    for (let i = 0; i < 42; i++) {
      const kind = kinds[i % kinds.length] ?? kinds[0]
      const ticket = await buildTicket(mineDb, {
        requesterId: requester.id,
        priority: priorities[i % 4],
        status: statuses[i % 5],
        assigneeId: kind?.assigneeId,
        createdAt: new Date(Date.UTC(2026, 0, 1 + Math.floor(i / 2))).toISOString(),
      })
      await mineDb
        .updateTable('tickets')
        .set({ group_id: kind?.groupId ?? null })
        .where('id', '=', ticket.id)
        .execute()
      if (kind?.mine) expected.add(ticket.id)
    }
  })

  test.each(ticketSorts.map((sort) => [sort]))(
    'sorted by %s, every page there and back holds exactly those, in the order of the whole list',
    async (sort) => {
      const actor = actorFromUser(me, 'web')
      // The whole list in this sort, by a curator's eyes, narrowed here: the order «мои» must keep.
      const curator = actorFromUser(await buildUser(mineDb, { role: 'curator' }), 'web')
      const all = await listTickets(mineDb, curator, { sort, perPage: 200 })
      const order = all.items.map((item) => item.id).filter((id) => expected.has(id))
      expect(order).toHaveLength(24)

      const forward: number[][] = []
      let page = await listTickets(mineDb, actor, { scope: 'mine', sort, perPage: 5 })
      expect([page.total, page.totalCapped, page.prev]).toEqual([24, false, null])
      forward.push(page.items.map((item) => item.id))
      while (page.next !== null) {
        page = await listTickets(mineDb, actor, { scope: 'mine', sort, perPage: 5, cursor: page.next })
        forward.push(page.items.map((item) => item.id))
      }
      expect(forward.map((ids) => ids.length)).toEqual([5, 5, 5, 5, 4])
      expect(forward.flat()).toEqual(order)
      const backward: number[][] = [forward.at(-1) ?? []]
      while (page.prev !== null) {
        page = await listTickets(mineDb, actor, { scope: 'mine', sort, perPage: 5, cursor: page.prev })
        backward.unshift(page.items.map((item) => item.id))
      }
      expect(backward).toEqual(forward)
      // An old client's page number reads the same page as the cursor walk.
      const third = await listTickets(mineDb, actor, { scope: 'mine', sort, perPage: 5, page: 3 })
      expect(third.items.map((item) => item.id)).toEqual(forward[2])
    },
  )

  test('with other filters too: a status, a search, a count capped', async () => {
    const actor = actorFromUser(me, 'web')
    const open = await listTickets(mineDb, actor, { scope: 'mine', status: ['new', 'in_progress'], perPage: 200 })
    expect(open.items.length).toBeGreaterThan(0)
    expect(open.items.every((item) => expected.has(item.id) && ['new', 'in_progress'].includes(item.status))).toBe(true)
    const every = await listTickets(mineDb, actor, { scope: 'mine', perPage: 200 })
    expect(open.items.map((item) => item.id)).toEqual(
      every.items.filter((item) => ['new', 'in_progress'].includes(item.status)).map((item) => item.id),
    )
    expect(await countTickets(mineDb, actor, { scope: 'mine' }, 10)).toEqual({ count: 10, capped: true })
    expect(await countTickets(mineDb, actor, { scope: 'mine', status: ['new', 'in_progress'] })).toEqual({
      count: open.items.length,
      capped: false,
    })
    // A search of words within «мои» (FTS5 drives it on SQLite, the parts are then conditions on its matches).
    const searched = await listTickets(mineDb, actor, { scope: 'mine', q: 'заявка', perPage: 200 })
    expect(searched.items.map((item) => item.id).sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b))
  })

  test('someone in no group answers for their own tickets alone; an admin with none gets an empty list', async () => {
    const loner = await buildUser(mineDb, { role: 'executor' })
    const theirs = await buildTicket(mineDb, { requesterId: me.id, assigneeId: loner.id })
    const listed = await listTickets(mineDb, actorFromUser(loner, 'web'), { scope: 'mine' })
    expect(listed.items.map((item) => item.id)).toEqual([theirs.id])
    const admin = await buildUser(mineDb, { role: 'admin' })
    const none = await listTickets(mineDb, actorFromUser(admin, 'web'), { scope: 'mine' })
    expect([none.items, none.total, none.next]).toEqual([[], 0, null])
  })
})

// Every new ticket is unassigned: planned as independent columns, the first page of «Не назначенные» read all of
// them and sorted (42 ms at a million tickets). Migration 0024's statistics tell the planner the pairs.
if (testDialect() === 'postgres') {
  describe('the planner on PostgreSQL', () => {
    test('knows that new tickets are unassigned (its estimate of them is near the truth)', async () => {
      const { db } = await testDatabase()
      const user = await buildUser(db, { role: 'executor' })
      // 60 000 tickets in one statement: 1 in 200 new (all unassigned), the rest closed and assigned.
      await sql`insert into tickets (title, description, priority, status, requester_id, assignee_id, source,
          created_by, created_at, updated_at)
        select 'Заявка ' || n, '', 'normal', case when n % 200 = 0 then 'new' else 'closed' end, ${user.id},
          case when n % 200 = 0 then null else ${user.id}::integer end, 'web', ${user.id},
          to_char(timestamp '2024-01-01' + n * interval '13 minutes', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          to_char(timestamp '2024-01-01' + n * interval '13 minutes', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
        from generate_series(1, 60000) as n`.execute(db)
      // What the planner expects of «new and unassigned»: its choice of plan follows from it (at a million, a
      // sort of every new ticket when it expected 42 of 5 216; which plan wins at this size varies).
      const expected = async () => {
        await sql`analyze tickets`.execute(db)
        const rows = await sql<{ 'QUERY PLAN': string }>`explain select id from tickets
          where status = 'new' and assignee_id is null`.execute(db)
        return Number(/rows=(\d+)/.exec(rows.rows[0]?.['QUERY PLAN'] ?? '')?.[1])
      }
      // 300 are: with the statistics the estimate is near that.
      expect(await expected()).toBeGreaterThan(150)
      // Without them, 1/200 of 1/200 of 60 000: about one.
      await sql`drop statistics tickets_status_assignee_stats`.execute(db)
      expect(await expected()).toBeLessThan(10)
    })
  })
}
