import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { ticketStatuses } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { buildTicket, deniedAudit, ticketTrail, withoutDenials } from '../../test/support/ticket-factory.ts'
import { changeStatus } from './change-status.ts'
import { canTransition } from './rules.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

const pairs = ticketStatuses.flatMap((from) => ticketStatuses.map((to) => [from, to] as const))

describe('changeStatus', () => {
  test.each(pairs)('an admin moving %s → %s gets what the rules table says', async (from, to) => {
    const { actor } = await buildActor(db, { role: 'admin' })
    const executor = await buildUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: from, assigneeId: from === 'new' ? null : executor.id })
    const before = await ticketTrail(db, ticket.id)
    const attempt = changeStatus(db, actor, { ticketId: ticket.id, status: to, resolution: 'Готово', reason: 'Дубль' })
    if (canTransition(from, to)) {
      await expect(attempt).resolves.toMatchObject({ status: to })
    } else {
      await expect(attempt).rejects.toMatchObject({ code: 'invalid_transition' })
      expect(await ticketTrail(db, ticket.id)).toEqual(before)
    }
  })

  test('an executor resolves with a result: stamped, journaled, the requester is told', async () => {
    const { user: executor, actor } = await buildActor(db, { role: 'executor' })
    const requester = await buildUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.id, status: 'in_progress', assigneeId: executor.id })

    const resolved = await changeStatus(db, actor, {
      ticketId: ticket.id,
      status: 'resolved',
      resolution: 'Заменён картридж',
    })

    expect(resolved).toMatchObject({ status: 'resolved', resolution: 'Заменён картридж' })
    expect(resolved.resolved_at).not.toBeNull()
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.events).toMatchObject([{ kind: 'status_changed', from_value: 'in_progress', to_value: 'resolved' }])
    expect(trail.audit).toMatchObject([
      {
        action: 'ticket.resolve',
        subject_id: requester.id,
        description: `Заявка № ${ticket.id}: статус «В работе» → «Решена»`,
      },
    ])
    expect(trail.outbox).toMatchObject([{ kind: 'ticket_resolved', recipient: requester.telegram_chat_id }])
  })

  test('resolving without a result is refused and changes nothing', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'in_progress' })
    const before = await ticketTrail(db, ticket.id)
    await expect(
      changeStatus(db, actor, { ticketId: ticket.id, status: 'resolved', resolution: '   ' }),
    ).rejects.toMatchObject({ code: 'validation' })
    expect(await ticketTrail(db, ticket.id)).toEqual(before)
  })

  test('asking the requester moves the ticket to waiting and tells them', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const requester = await buildUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.id, status: 'in_progress' })
    await changeStatus(db, actor, { ticketId: ticket.id, status: 'waiting' })
    expect((await ticketTrail(db, ticket.id)).outbox).toMatchObject([{ kind: 'ticket_waiting' }])
  })

  test('the requester confirms their resolved ticket: closed, and asked for a rating', async () => {
    const { user, actor } = await buildActor(db, {}, 'bot')
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'resolved' })
    const closed = await changeStatus(db, actor, { ticketId: ticket.id, status: 'closed' })
    expect(closed.status).toBe('closed')
    expect(closed.closed_at).not.toBeNull()
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.audit).toMatchObject([{ action: 'ticket.close', actor_id: user.id }])
    expect(trail.outbox.map((o) => [o.kind, o.recipient])).toEqual([['ticket_rate_request', user.telegram_chat_id]])
  })

  test('the requester reopens their resolved ticket: back in work, the assignee is told', async () => {
    const { user, actor } = await buildActor(db)
    const executor = await buildUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'resolved', assigneeId: executor.id })
    const reopened = await changeStatus(db, actor, { ticketId: ticket.id, status: 'in_progress' })
    expect(reopened).toMatchObject({ status: 'in_progress', resolved_at: null, assignee_id: executor.id })
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.audit).toMatchObject([{ action: 'ticket.reopen' }])
    expect(trail.outbox.map((o) => [o.kind, o.recipient])).toEqual([['ticket_reopened', executor.telegram_chat_id]])
  })

  test('the requester cancels their new ticket with a reason', async () => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id })
    const cancelled = await changeStatus(db, actor, { ticketId: ticket.id, status: 'cancelled', reason: 'Само прошло' })
    expect(cancelled).toMatchObject({ status: 'cancelled', cancel_reason: 'Само прошло' })
    expect(cancelled.cancelled_at).not.toBeNull()
    expect((await ticketTrail(db, ticket.id)).audit).toMatchObject([{ action: 'ticket.cancel' }])
  })

  test('cancelling without a reason is refused', async () => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id })
    await expect(changeStatus(db, actor, { ticketId: ticket.id, status: 'cancelled' })).rejects.toMatchObject({
      code: 'validation',
    })
    expect((await ticketTrail(db, ticket.id)).ticket?.status).toBe('new')
  })

  test('the requester cannot cancel a ticket already in work: forbidden, journaled, nothing changes', async () => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'in_progress' })
    const before = await ticketTrail(db, ticket.id)
    await expect(
      changeStatus(db, actor, { ticketId: ticket.id, status: 'cancelled', reason: 'Передумала' }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    expect(withoutDenials(await ticketTrail(db, ticket.id))).toEqual(before)
    expect(await deniedAudit(db, ticket.id)).toMatchObject([
      { action: 'ticket.cancel', actor_id: user.id, subject_id: user.id },
    ])
  })

  test('the requester cannot resolve their own ticket', async () => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'in_progress' })
    await expect(
      changeStatus(db, actor, { ticketId: ticket.id, status: 'resolved', resolution: 'Сама починила' }),
    ).rejects.toMatchObject({ code: 'forbidden' })
  })

  test("a requester changing someone else's ticket gets not_found", async () => {
    const { actor } = await buildActor(db)
    const ticket = await buildTicket(db, { status: 'resolved' })
    await expect(changeStatus(db, actor, { ticketId: ticket.id, status: 'closed' })).rejects.toMatchObject({
      code: 'not_found',
    })
  })

  test('only a curator reopens a closed ticket', async () => {
    const executor = await buildActor(db, { role: 'executor' })
    const curator = await buildActor(db, { role: 'curator' })
    const requester = await buildUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.id, status: 'closed', assigneeId: executor.user.id })
    await expect(
      changeStatus(db, executor.actor, { ticketId: ticket.id, status: 'in_progress' }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    const reopened = await changeStatus(db, curator.actor, { ticketId: ticket.id, status: 'in_progress' })
    expect(reopened).toMatchObject({ status: 'in_progress', closed_at: null })
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.outbox.map((o) => o.recipient).sort()).toEqual(
      [requester.telegram_chat_id, executor.user.telegram_chat_id].sort(),
    )
  })

  test('an invalid move names both statuses in Russian', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db)
    await expect(
      changeStatus(db, actor, { ticketId: ticket.id, status: 'resolved', resolution: 'x' }),
    ).rejects.toMatchObject({
      code: 'invalid_transition',
      message: 'Нельзя перевести заявку из статуса «Новая» в «Решена»',
    })
  })

  test('staff putting a new ticket in work take it themselves', async () => {
    const { user, actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db)
    const updated = await changeStatus(db, actor, { ticketId: ticket.id, status: 'in_progress' })
    expect(updated).toMatchObject({ status: 'in_progress', assignee_id: user.id })
    expect(updated.first_response_at).not.toBeNull()
  })

  test('returning a ticket to new clears its assignee', async () => {
    const { user, actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'in_progress', assigneeId: user.id })
    const updated = await changeStatus(db, actor, { ticketId: ticket.id, status: 'new' })
    expect(updated).toMatchObject({ status: 'new', assignee_id: null })
  })
})
