import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { addMinutes } from '#src/db/time.ts'
import { getSetting, setSetting } from '#src/settings/settings.ts'
import { actorFromUser, systemActor } from '#src/users/actor.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildCategory, buildDepartment, buildGroup, buildUser } from '../../test/support/factories.ts'
import { ticketTrail } from '../../test/support/ticket-factory.ts'
import { createTicket } from './create-ticket.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

const ticketCount = async () =>
  Number(
    (
      await db
        .selectFrom('tickets')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )

describe('createTicket', () => {
  test('a requester files a ticket routed to the category group, journaled, with notices', async () => {
    const department = await buildDepartment(db)
    const { user, actor } = await buildActor(db, { departmentId: department.id }, 'web')
    const executor = await buildUser(db, { role: 'executor' })
    const away = await buildUser(db, { role: 'executor', status: 'deactivated' })
    const group = await buildGroup(db, undefined, [executor.id, away.id])
    const category = await buildCategory(db, { defaultGroupId: group.id, defaultPriority: 'high' })

    const ticket = await createTicket(db, actor, {
      title: '  Не печатает принтер  ',
      description: 'Принтер в ординаторской не печатает',
      categoryId: category.id,
    })

    expect(ticket).toMatchObject({
      title: 'Не печатает принтер',
      status: 'new',
      priority: 'high',
      requester_id: user.id,
      created_by: user.id,
      group_id: group.id,
      department_id: department.id,
      location: user.room,
      source: 'web',
      assignee_id: null,
      response_due_at: addMinutes(ticket.created_at, 60),
      resolution_due_at: addMinutes(ticket.created_at, 8 * 60),
    })
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.events.map((e) => e.kind)).toEqual(['created'])
    expect(trail.audit).toHaveLength(1)
    expect(trail.audit[0]).toMatchObject({
      action: 'ticket.create',
      actor_id: user.id,
      subject_id: user.id,
      result: 'success',
      description: `Создана заявка № ${ticket.id}`,
    })
    expect(Number(trail.audit[0]?.pdn_related)).toBe(1)
    expect(trail.outbox.map((o) => [o.kind, o.recipient])).toEqual([
      ['ticket_created', user.telegram_chat_id],
      ['ticket_new_for_group', executor.telegram_chat_id],
    ])
  })

  test("a normal ticket filed on Friday evening is due on Monday's working hours; a critical one tonight", async () => {
    setTestClock('2026-11-27T15:30:00.000Z') // Friday 18:30 in Moscow
    const user = await buildUser(db)
    const printer = await buildCategory(db, { defaultPriority: 'normal' })
    const ticket = await createTicket(db, actorFromUser(user, 'web'), {
      title: 'Принтер',
      description: 'Не печатает',
      categoryId: printer.id,
    })
    // Four and eighteen working hours from Monday 08:00 МСК (05:00Z).
    expect(ticket.response_due_at).toBe('2026-11-30T09:00:00.000Z')
    expect(ticket.resolution_due_at).toBe('2026-12-01T14:00:00.000Z')
    const outage = await createTicket(db, actorFromUser(user, 'web'), {
      title: 'МИС',
      description: 'Не работает',
      categoryId: printer.id,
      priority: 'critical',
    })
    expect(outage.response_due_at).toBe('2026-11-27T15:45:00.000Z')

    const hours = await getSetting(db, 'tickets.working_hours')
    await setSetting(db, systemActor(), 'tickets.working_hours', {
      ...hours,
      clock: { ...hours.clock, normal: 'always' },
    })
    const again = await createTicket(db, actorFromUser(user, 'web'), {
      title: 'Принтер',
      description: 'Не печатает',
      categoryId: printer.id,
    })
    expect(again.response_due_at).toBe('2026-11-27T19:30:00.000Z')
    await setSetting(db, systemActor(), 'tickets.working_hours', hours)
  })

  test('an empty title is taken from the first line of the description', async () => {
    const { actor } = await buildActor(db, {}, 'bot')
    const category = await buildCategory(db)
    const ticket = await createTicket(db, actor, {
      title: '',
      description: 'Не работает МИС в приёмном\nс утра, на всех ПК',
      categoryId: category.id,
    })
    expect(ticket.title).toBe('Не работает МИС в приёмном')
    expect(ticket.source).toBe('telegram')
    expect(ticket.priority).toBe('normal')
  })

  test('an executor files a ticket on behalf of a caller', async () => {
    const { user: executor, actor } = await buildActor(db, { role: 'executor' }, 'web')
    const caller = await buildUser(db)
    const category = await buildCategory(db)
    const ticket = await createTicket(db, actor, {
      title: 'Звонок',
      description: 'Не включается компьютер',
      categoryId: category.id,
      requesterId: caller.id,
      priority: 'critical',
      location: 'Корпус 2, каб. 14',
    })
    expect(ticket).toMatchObject({ requester_id: caller.id, created_by: executor.id, priority: 'critical' })
    expect(ticket.location).toBe('Корпус 2, каб. 14')
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.audit[0]).toMatchObject({ subject_id: caller.id, actor_id: executor.id })
    expect(trail.outbox.map((o) => o.kind)).toEqual(['ticket_created'])
  })

  test('a requester cannot file on behalf of someone else; the denial is journaled, nothing is created', async () => {
    const { user, actor } = await buildActor(db)
    const other = await buildUser(db)
    const category = await buildCategory(db)
    const before = await ticketCount()
    await expect(
      createTicket(db, actor, { title: 'x', description: 'y', categoryId: category.id, requesterId: other.id }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    expect(await ticketCount()).toBe(before)
    const denied = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('actor_id', '=', user.id)
      .where('result', '=', 'denied')
      .execute()
    expect(denied).toHaveLength(1)
    expect(denied[0]).toMatchObject({ action: 'ticket.create', subject_id: other.id })
  })

  test('a deactivated account cannot file tickets', async () => {
    const user = await buildUser(db, { status: 'deactivated' })
    const category = await buildCategory(db)
    await expect(
      createTicket(db, actorFromUser(user, 'bot'), { title: 'x', description: 'y', categoryId: category.id }),
    ).rejects.toMatchObject({ code: 'forbidden' })
  })

  test.each([
    ['an empty description', { description: '   ' }],
    ['a title over 200 characters', { title: 'т'.repeat(201) }],
    ['a description over 10 000 characters', { description: 'о'.repeat(10_001) }],
    ['a missing category', { categoryId: 999_999 }],
  ])('%s is refused as validation and creates nothing', async (_name, change) => {
    const { actor } = await buildActor(db)
    const category = await buildCategory(db)
    const before = await ticketCount()
    await expect(
      createTicket(db, actor, { title: 'Тема', description: 'Описание', categoryId: category.id, ...change }),
    ).rejects.toMatchObject({ code: 'validation' })
    expect(await ticketCount()).toBe(before)
  })

  test('a disabled category is not offered for new tickets', async () => {
    const { actor } = await buildActor(db)
    const category = await buildCategory(db, { active: false })
    await expect(
      createTicket(db, actor, { title: 'Тема', description: 'Описание', categoryId: category.id }),
    ).rejects.toMatchObject({ code: 'validation' })
  })

  test('a ticket on behalf of a pending account is refused', async () => {
    const { actor } = await buildActor(db, { role: 'curator' })
    const pending = await buildUser(db, { status: 'pending' })
    const category = await buildCategory(db)
    await expect(
      createTicket(db, actor, { title: 'Т', description: 'О', categoryId: category.id, requesterId: pending.id }),
    ).rejects.toMatchObject({ code: 'validation' })
  })

  test('a repeated idempotency key returns the first ticket and creates nothing', async () => {
    const { user, actor } = await buildActor(db)
    const category = await buildCategory(db)
    const input = { title: 'Тема', description: 'Описание', categoryId: category.id, idempotencyKey: 'k-1' }
    const first = await createTicket(db, actor, input)
    const before = await ticketCount()
    const again = await createTicket(db, actor, input)
    expect(again.id).toBe(first.id)
    expect(await ticketCount()).toBe(before)
    const keys = await db.selectFrom('idempotency_keys').selectAll().where('user_id', '=', user.id).execute()
    expect(keys).toEqual([expect.objectContaining({ key: 'k-1', ticket_id: first.id })])
    expect((await ticketTrail(db, first.id)).audit).toHaveLength(1)
  })

  test('concurrent requests with one idempotency key store one ticket', async () => {
    const { user, actor } = await buildActor(db)
    const category = await buildCategory(db)
    const input = { title: 'Тема', description: 'Описание', categoryId: category.id, idempotencyKey: 'same' }
    const results = await Promise.all(Array.from({ length: 6 }, () => createTicket(db, actor, input)))
    expect(new Set(results.map((t) => t.id)).size).toBe(1)
    const mine = await db.selectFrom('tickets').select('id').where('requester_id', '=', user.id).execute()
    expect(mine).toHaveLength(1)
  })

  test('a key reused for a different request is refused, even concurrently; keys stored before hashing replay', async () => {
    const { user, actor } = await buildActor(db)
    const category = await buildCategory(db)
    const base = { description: 'Описание', categoryId: category.id, idempotencyKey: 'k-2' }
    const settled = await Promise.allSettled(
      ['Первая', 'Вторая', 'Первая', 'Вторая'].map((title) => createTicket(db, actor, { ...base, title })),
    )
    const mine = await db.selectFrom('tickets').selectAll().where('requester_id', '=', user.id).execute()
    expect(mine).toHaveLength(1)
    const winner = mine[0]?.title
    for (const [i, result] of settled.entries()) {
      if (['Первая', 'Вторая', 'Первая', 'Вторая'][i] === winner) expect(result).toMatchObject({ status: 'fulfilled' })
      else expect(result).toMatchObject({ status: 'rejected', reason: { code: 'idempotency_key_reused' } })
    }
    await db.updateTable('idempotency_keys').set({ request_hash: null }).where('user_id', '=', user.id).execute()
    const legacy = await createTicket(db, actor, { ...base, title: 'Третья' })
    expect(legacy.id).toBe(mine[0]?.id)
  })

  test('the same key from another person is another ticket', async () => {
    const category = await buildCategory(db)
    const input = { title: 'Тема', description: 'Описание', categoryId: category.id, idempotencyKey: 'shared' }
    const a = await createTicket(db, (await buildActor(db)).actor, input)
    const b = await createTicket(db, (await buildActor(db)).actor, input)
    expect(a.id).not.toBe(b.id)
  })
})
