import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { addMinutes } from '#src/db/time.ts'
import { setSetting, settingDefaults } from '#src/settings/settings.ts'
import { systemActor } from '#src/users/actor.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildCategory, buildDepartment, buildGroup, buildUser } from '../../test/support/factories.ts'
import { buildTicket, deniedAudit, ticketTrail, withoutDenials } from '../../test/support/ticket-factory.ts'
import { listTickets } from './ticket-store.ts'
import { updateTicket } from './update-ticket.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

const created = '2026-11-20T08:00:00.000Z'

describe('updateTicket', () => {
  test('staff move a ticket to another department and place; a requester cannot (issue 13)', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const requester = await buildActor(db)
    const surgery = await buildDepartment(db, 'Хирургия для заявки')
    const closed = await buildDepartment(db, 'Закрытое отделение')
    await db.updateTable('departments').set({ active: 0 }).where('id', '=', closed.id).execute()
    const ticket = await buildTicket(db, { requesterId: requester.user.id })

    const moved = await updateTicket(db, actor, { ticketId: ticket.id, departmentId: surgery.id, location: ' Пост 3 ' })
    expect(moved).toMatchObject({ department_id: surgery.id, location: 'Пост 3' })
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.events.map((e) => [e.kind, e.to_value])).toEqual([
      ['department_changed', String(surgery.id)],
      ['location_changed', null],
    ])
    expect(trail.audit.at(-1)?.description).toContain('место')
    // The place may be a room (ПДн): the journal says it changed, not what it is.
    expect(JSON.stringify(trail.audit)).not.toContain('Пост 3')

    const cleared = await updateTicket(db, actor, { ticketId: ticket.id, departmentId: null, location: '' })
    expect(cleared).toMatchObject({ department_id: null, location: null })
    await expect(updateTicket(db, actor, { ticketId: ticket.id, departmentId: closed.id })).rejects.toMatchObject({
      code: 'validation',
    })
    await expect(updateTicket(db, actor, { ticketId: ticket.id, departmentId: 999_999 })).rejects.toMatchObject({
      code: 'validation',
    })
    await expect(
      updateTicket(db, requester.actor, { ticketId: ticket.id, departmentId: surgery.id }),
    ).rejects.toMatchObject({ code: 'forbidden' })
  })

  test('raising the priority recomputes the deadlines from creation', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { priority: 'normal', createdAt: created })
    // Normal runs on working hours: eighteen of them from Friday 11:00 in Moscow are Tuesday 11:00.
    expect(ticket.resolution_due_at).toBe('2026-11-24T08:00:00.000Z')

    const updated = await updateTicket(db, actor, { ticketId: ticket.id, priority: 'critical' })

    expect(updated).toMatchObject({
      priority: 'critical',
      response_due_at: addMinutes(created, 15),
      resolution_due_at: addMinutes(created, 4 * 60),
    })
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.events.map((e) => [e.kind, e.from_value, e.to_value])).toEqual([
      ['priority_changed', 'normal', 'critical'],
    ])
    expect(trail.audit).toMatchObject([
      { action: 'ticket.update', description: `Заявка № ${ticket.id} изменена: приоритет «Обычный» → «Критический»` },
    ])
  })

  test('a new category brings its deadline override and group, and the group hears of an unassigned ticket', async () => {
    const { actor, user: curator } = await buildActor(db, { role: 'curator' })
    const member = await buildUser(db, { role: 'executor' })
    // The curator who moves it is a member too, and is not told of their own move.
    const group = await buildGroup(db, undefined, [member.id, curator.id])
    const category = await buildCategory(db, { defaultGroupId: group.id, responseMinutes: 30, resolutionMinutes: 600 })
    const ticket = await buildTicket(db, { createdAt: created })

    const updated = await updateTicket(db, actor, { ticketId: ticket.id, categoryId: category.id })

    expect(updated).toMatchObject({
      category_id: category.id,
      group_id: group.id,
      response_due_at: addMinutes(created, 30),
      // Ten working hours of a normal ticket: six on Friday from 11:00 in Moscow, four on Monday.
      resolution_due_at: '2026-11-23T09:00:00.000Z',
    })
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.events.map((e) => e.kind)).toEqual(['category_changed'])
    expect(trail.outbox).toMatchObject([{ kind: 'ticket_new_for_group', recipient: member.telegram_chat_id }])
  })

  test('the deadlines follow the setting an admin changed', async () => {
    const deadlines = { ...settingDefaults['tickets.deadlines'], high: { responseMinutes: 45, resolutionMinutes: 300 } }
    await setSetting(db, systemActor(), 'tickets.deadlines', deadlines)
    const { actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { createdAt: created })
    const updated = await updateTicket(db, actor, { ticketId: ticket.id, priority: 'high' })
    expect(updated.resolution_due_at).toBe(addMinutes(created, 300))
    await setSetting(db, systemActor(), 'tickets.deadlines', settingDefaults['tickets.deadlines'])
  })

  test('a new title is journaled and searchable', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { title: 'Проблема' })
    const updated = await updateTicket(db, actor, { ticketId: ticket.id, title: 'Сломался сканер штрихкодов' })
    expect(updated.title).toBe('Сломался сканер штрихкодов')
    expect((await ticketTrail(db, ticket.id)).events).toMatchObject([{ kind: 'title_changed', from_value: 'Проблема' }])
    const found = await listTickets(db, actor, { q: 'сканер' })
    expect(found.items.map((t) => t.id)).toEqual([ticket.id])
  })

  test('nothing to change changes nothing', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { priority: 'low' })
    const before = await ticketTrail(db, ticket.id)
    await updateTicket(db, actor, { ticketId: ticket.id, priority: 'low' })
    expect(await ticketTrail(db, ticket.id)).toEqual(before)
  })

  test('a requester cannot change the priority of their own ticket: forbidden, journaled', async () => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id })
    const before = await ticketTrail(db, ticket.id)
    await expect(updateTicket(db, actor, { ticketId: ticket.id, priority: 'critical' })).rejects.toMatchObject({
      code: 'forbidden',
    })
    expect(withoutDenials(await ticketTrail(db, ticket.id))).toEqual(before)
    expect(await deniedAudit(db, ticket.id)).toHaveLength(1)
  })

  test.each([
    ['an empty title', { title: ' ' }],
    ['a missing category', { categoryId: 424_242 }],
  ])('%s is refused', async (_name, change) => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db)
    await expect(updateTicket(db, actor, { ticketId: ticket.id, ...change })).rejects.toMatchObject({
      code: 'validation',
    })
  })

  test('a disabled category cannot be chosen', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const disabled = await buildCategory(db, { active: false })
    const ticket = await buildTicket(db)
    await expect(updateTicket(db, actor, { ticketId: ticket.id, categoryId: disabled.id })).rejects.toMatchObject({
      code: 'validation',
    })
  })

  test('a closed ticket cannot be changed', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'closed' })
    await expect(updateTicket(db, actor, { ticketId: ticket.id, priority: 'high' })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
  })
})
