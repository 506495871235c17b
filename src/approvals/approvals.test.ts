import { beforeEach, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { generateDemo } from '#src/demo/generate.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { takeTicket } from '#src/tickets/take-ticket.ts'
import { updateTicket } from '#src/tickets/update-ticket.ts'
import { type Actor, actorFromUser, systemActor } from '#src/users/actor.ts'
import { setTestClock, T0 } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildCategory, buildDepartment, buildGroup, buildUser } from '../../test/support/factories.ts'
import { deniedAudit, ticketTrail, withoutDenials } from '../../test/support/ticket-factory.ts'
import { countAwaitingFor, listAwaitingFor } from './approval-store.ts'
import { approveTicket } from './approve-ticket.ts'
import { rejectTicket } from './reject-ticket.ts'

let db: Db

/** A hospital with one department headed by a doctor, an IT group, and «Доступ к МИС» requiring approval. */
async function hospital() {
  const executor = await buildActor(db, { role: 'executor' })
  const group = await buildGroup(db, 'Прикладное ПО', [executor.user.id])
  const department = await buildDepartment(db, 'Кардиология')
  const head = await buildActor(db, { role: 'requester', departmentId: department.id, fullName: 'Заведующая Петрова' })
  await db.updateTable('departments').set({ head_user_id: head.user.id }).where('id', '=', department.id).execute()
  const nurse = await buildActor(db, { role: 'requester', departmentId: department.id, fullName: 'Медсестра Иванова' })
  const access = await buildCategory(db, { name: 'Доступ к МИС', defaultGroupId: group.id, resolutionMinutes: 480 })
  await db.updateTable('categories').set({ requires_approval: 1 }).where('id', '=', access.id).execute()
  const plain = await buildCategory(db, { name: 'Принтер', defaultGroupId: group.id, resolutionMinutes: 480 })
  const curator = await buildActor(db, { role: 'curator' })
  return { executor, group, department, head, nurse, access, plain, curator }
}

type Hospital = Awaited<ReturnType<typeof hospital>>

function file(h: Hospital, actor: Actor = h.nurse.actor, extra: { requesterId?: number } = {}) {
  return createTicket(db, actor, {
    description: 'Нужен доступ к МИС для новой медсестры',
    categoryId: h.access.id,
    ...extra,
  })
}

async function outboxKinds(ticketId: number): Promise<Array<[string, number]>> {
  const rows = await db
    .selectFrom('outbox')
    .select(['kind', 'payload'])
    .where('ticket_id', '=', ticketId)
    .orderBy('id')
    .execute()
  return rows.map((r) => [r.kind, (JSON.parse(r.payload) as { userId: number }).userId])
}

beforeEach(async () => {
  db = (await testDatabase()).db
  setTestClock(T0)
})

describe('filing into approval', () => {
  test('a ticket of a category that requires approval waits for the head, with no deadlines, unseen by IT', async () => {
    const h = await hospital()
    const ticket = await file(h)
    expect(ticket).toMatchObject({ status: 'approval', response_due_at: null, resolution_due_at: null })
    // The head hears of it in Telegram, the requester is told it went to approval; the group hears nothing.
    expect(await outboxKinds(ticket.id)).toEqual([
      ['ticket_approval_requested', h.head.user.id],
      ['ticket_awaiting_approval', h.nurse.user.id],
    ])
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.events.map((e) => [e.kind, e.to_value])).toEqual([['created', 'approval']])
    expect(trail.audit.map((a) => a.action)).toEqual(['ticket.create'])
    // Not the executor's to take while it waits.
    await expect(takeTicket(db, h.executor.actor, { ticketId: ticket.id })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
  })

  test('a curator raising the priority of a ticket awaiting approval starts no deadline; the approval does', async () => {
    const h = await hospital()
    const ticket = await file(h)
    const raised = await updateTicket(db, h.curator.actor, { ticketId: ticket.id, priority: 'high' })
    expect(raised).toMatchObject({ priority: 'high', response_due_at: null, resolution_due_at: null })
    const approved = await approveTicket(db, h.head.actor, { ticketId: ticket.id })
    expect(approved.response_due_at).not.toBeNull()
  })

  test('a child category inherits «requires approval» from its parent; other categories file as before', async () => {
    const h = await hospital()
    const child = await buildCategory(db, { name: 'Доступ к МИС: стационар', parentId: h.access.id })
    const viaChild = await createTicket(db, h.nurse.actor, { description: 'Доступ', categoryId: child.id })
    expect(viaChild.status).toBe('approval')
    const printer = await createTicket(db, h.nurse.actor, { description: 'Принтер мнёт', categoryId: h.plain.id })
    expect(printer.status).toBe('new')
    expect(printer.resolution_due_at).not.toBeNull()
  })

  test('a ticket IT files on someone’s behalf waits for that person’s head just the same', async () => {
    const h = await hospital()
    const ticket = await file(h, h.executor.actor, { requesterId: h.nurse.user.id })
    expect(ticket.status).toBe('approval')
    expect(await outboxKinds(ticket.id)).toEqual([
      ['ticket_approval_requested', h.head.user.id],
      ['ticket_awaiting_approval', h.nurse.user.id],
    ])
  })

  test('a department without a head: the curators decide, and the requester is told so', async () => {
    const h = await hospital()
    const orphan = await buildDepartment(db, 'Приёмное')
    const porter = await buildActor(db, { departmentId: orphan.id })
    const ticket = await file(h, porter.actor)
    const rows = await db.selectFrom('outbox').select(['kind', 'payload']).where('ticket_id', '=', ticket.id).execute()
    expect(rows.map((r) => [r.kind, JSON.parse(r.payload)])).toEqual([
      ['ticket_approval_requested', { userId: h.curator.user.id }],
      ['ticket_awaiting_approval', { userId: porter.user.id, byCurators: true }],
    ])
    expect((await listAwaitingFor(db, h.curator.actor)).map((a) => a.id)).toEqual([ticket.id])
    expect(await listAwaitingFor(db, h.head.actor)).toEqual([])
    // The curators' bell says so too, until someone decides.
    const bells = () =>
      db
        .selectFrom('web_notifications')
        .select(['user_id', 'kind', 'read_at'])
        .where('ticket_id', '=', ticket.id)
        .execute()
    expect(await bells()).toEqual([{ user_id: h.curator.user.id, kind: 'approval', read_at: null }])
    await expect(approveTicket(db, h.head.actor, { ticketId: ticket.id })).rejects.toMatchObject({ code: 'not_found' })
    const approved = await approveTicket(db, h.curator.actor, { ticketId: ticket.id })
    expect(approved.status).toBe('new')
    expect(await bells()).toEqual([{ user_id: h.curator.user.id, kind: 'approval', read_at: approved.updated_at }])
  })

  test('a head filing their own request is decided by the curators, not by themselves', async () => {
    const h = await hospital()
    const ticket = await file(h, h.head.actor)
    await expect(approveTicket(db, h.head.actor, { ticketId: ticket.id })).rejects.toMatchObject({
      code: 'forbidden',
    })
    expect((await listAwaitingFor(db, h.curator.actor)).map((a) => a.id)).toEqual([ticket.id])
  })
})

describe('the demo hospital', () => {
  test('has the access categories requiring approval, heads of a few departments and requests awaiting them', async () => {
    await generateDemo(db, systemActor('cli'), { staffPasswordHash: 'x', requesters: 60, tickets: 100, seed: 'a' })
    const categories = await db
      .selectFrom('categories as c')
      .leftJoin('categories as p', 'p.id', 'c.parent_id')
      .select(['c.name', 'c.requires_approval', 'p.name as parent'])
      .where((eb) => eb.or([eb('c.name', '=', 'Доступы'), eb('p.name', '=', 'Доступы')]))
      .orderBy('c.id')
      .execute()
    expect(categories.map((c) => c.name)).toEqual(['Доступы', 'Доступ к МИС', 'Доступ к 1С', 'ЭЦП', 'VPN'])
    expect(categories[0]?.requires_approval).toBe(1)
    const heads = await db
      .selectFrom('departments')
      .select('head_user_id')
      .where('head_user_id', 'is not', null)
      .execute()
    expect(heads.length).toBeGreaterThanOrEqual(2)
    const awaiting = await db
      .selectFrom('tickets')
      .select(['id', 'department_id'])
      .where('status', '=', 'approval')
      .execute()
    expect(awaiting).toHaveLength(2)
    // Each awaits a head who sees it on «На согласовании».
    for (const ticket of awaiting) {
      const department = await db
        .selectFrom('departments')
        .select('head_user_id')
        .where('id', '=', ticket.department_id ?? 0)
        .executeTakeFirstOrThrow()
      const head = await db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', department.head_user_id ?? 0)
        .executeTakeFirstOrThrow()
      expect((await listAwaitingFor(db, actorFromUser(head, 'web'))).map((a) => a.id)).toEqual([ticket.id])
    }
  })
})

describe('deciding', () => {
  test('approved: new, deadlines from the approval, the group told as of a new ticket, on the timeline and in the journal', async () => {
    const h = await hospital()
    const ticket = await file(h)
    const later = T0 + 3 * 60 * 60_000
    setTestClock(later)
    // What an ordinary ticket filed at the moment of approval gets: the approved one must get the same.
    const reference = await createTicket(db, h.nurse.actor, { description: 'Принтер', categoryId: h.plain.id })
    const approved = await approveTicket(db, h.head.actor, { ticketId: ticket.id })
    expect(approved).toMatchObject({
      status: 'new',
      response_due_at: reference.response_due_at,
      resolution_due_at: reference.resolution_due_at,
    })
    expect(Date.parse(approved.resolution_due_at ?? '')).toBeGreaterThan(later)
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.events.map((e) => [e.kind, e.actor_id, e.from_value, e.to_value])).toEqual([
      ['created', h.nurse.user.id, null, 'approval'],
      ['approved', h.head.user.id, 'approval', 'new'],
    ])
    expect(trail.audit.map((a) => [a.action, a.actor_id])).toEqual([
      ['ticket.create', h.nurse.user.id],
      ['ticket.approve', h.head.user.id],
    ])
    expect((await outboxKinds(ticket.id)).slice(2)).toEqual([
      ['ticket_approved', h.nurse.user.id],
      ['ticket_new_for_group', h.executor.user.id],
    ])
    expect(await countAwaitingFor(db, h.head.actor)).toBe(0)
  })

  test('rejected: cancelled with the reason, the requester told; IT never hears of it', async () => {
    const h = await hospital()
    const ticket = await file(h)
    const rejected = await rejectTicket(db, h.head.actor, { ticketId: ticket.id, reason: '  Не работает у нас  ' })
    expect(rejected).toMatchObject({ status: 'cancelled', cancel_reason: 'Не работает у нас' })
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.events.at(-1)).toMatchObject({ kind: 'approval_rejected', actor_id: h.head.user.id })
    expect(trail.audit.at(-1)).toMatchObject({ action: 'ticket.reject_approval', actor_id: h.head.user.id })
    expect((await outboxKinds(ticket.id)).slice(2)).toEqual([['ticket_approval_rejected', h.nurse.user.id]])
  })

  test('a rejection needs a reason; refused, it changes nothing', async () => {
    const h = await hospital()
    const ticket = await file(h)
    const before = await ticketTrail(db, ticket.id)
    await expect(rejectTicket(db, h.head.actor, { ticketId: ticket.id, reason: '   ' })).rejects.toMatchObject({
      code: 'validation',
    })
    expect(await ticketTrail(db, ticket.id)).toEqual(before)
  })

  test('deciding twice, or on a ticket withdrawn by its requester, is refused clearly', async () => {
    const h = await hospital()
    const ticket = await file(h)
    await approveTicket(db, h.head.actor, { ticketId: ticket.id })
    const after = await ticketTrail(db, ticket.id)
    await expect(approveTicket(db, h.head.actor, { ticketId: ticket.id })).rejects.toMatchObject({
      code: 'invalid_transition',
      message: `Заявка № ${ticket.id} уже не ждёт согласования: она в статусе «Новая»`,
    })
    await expect(rejectTicket(db, h.head.actor, { ticketId: ticket.id, reason: 'нет' })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
    expect(await ticketTrail(db, ticket.id)).toEqual(after)

    const withdrawn = await file(h)
    await changeStatus(db, h.nurse.actor, { ticketId: withdrawn.id, status: 'cancelled', reason: 'Уже не нужно' })
    await expect(approveTicket(db, h.head.actor, { ticketId: withdrawn.id })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
  })

  test('someone else — another head, an executor, the requester — decides nothing, and is journaled', async () => {
    const h = await hospital()
    const ticket = await file(h)
    const otherDepartment = await buildDepartment(db, 'Хирургия')
    const otherHead = await buildUser(db, { departmentId: otherDepartment.id })
    await db
      .updateTable('departments')
      .set({ head_user_id: otherHead.id })
      .where('id', '=', otherDepartment.id)
      .execute()
    const before = await ticketTrail(db, ticket.id)
    for (const actor of [actorFromUser(otherHead, 'bot'), h.executor.actor, h.nurse.actor, h.curator.actor]) {
      await expect(approveTicket(db, actor, { ticketId: ticket.id })).rejects.toMatchObject({
        code: expect.stringMatching(/^(forbidden|not_found)$/),
      })
      await expect(rejectTicket(db, actor, { ticketId: ticket.id, reason: 'нет' })).rejects.toMatchObject({
        code: expect.stringMatching(/^(forbidden|not_found)$/),
      })
    }
    expect(withoutDenials(await ticketTrail(db, ticket.id))).toEqual(before)
    expect((await deniedAudit(db, ticket.id)).length).toBe(8)
    // Staff see the ticket, so they are told who decides; a stranger is told nothing of it.
    await expect(approveTicket(db, h.executor.actor, { ticketId: ticket.id })).rejects.toMatchObject({
      code: 'forbidden',
      message: 'Эту заявку согласует заведующий отделением заявителя',
    })
    await expect(approveTicket(db, actorFromUser(otherHead, 'web'), { ticketId: ticket.id })).rejects.toMatchObject({
      code: 'not_found',
    })
  })

  test('a deactivated head no longer decides: the curators do', async () => {
    const h = await hospital()
    const ticket = await file(h)
    await db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', h.head.user.id).execute()
    expect((await listAwaitingFor(db, h.curator.actor)).map((a) => a.id)).toEqual([ticket.id])
    await rejectTicket(db, h.curator.actor, { ticketId: ticket.id, reason: 'Заведующий уволен, подайте заново' })
  })

  test('the head’s list shows the title, description, requester and department of their people’s tickets', async () => {
    const h = await hospital()
    const ticket = await file(h)
    expect(await listAwaitingFor(db, h.head.actor)).toEqual([
      {
        id: ticket.id,
        title: ticket.title,
        description: ticket.description,
        created_at: ticket.created_at,
        requester_id: h.nurse.user.id,
        requester_name: 'Медсестра Иванова',
        department_name: 'Кардиология',
        category_name: 'Доступ к МИС',
        approver_id: h.head.user.id,
      },
    ])
    expect(await countAwaitingFor(db, h.head.actor)).toBe(1)
    expect(await countAwaitingFor(db, h.nurse.actor)).toBe(0)
    expect(await listAwaitingFor(db, h.executor.actor)).toEqual([])
  })
})
