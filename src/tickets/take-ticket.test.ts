import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { buildTicket, deniedAudit, ticketTrail, withoutDenials } from '../../test/support/ticket-factory.ts'
import { takeTicket } from './take-ticket.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

describe('takeTicket', () => {
  test('an executor takes a new ticket: assignee, in work, first response, event, journal, notice', async () => {
    const { user: executor, actor } = await buildActor(db, { role: 'executor' })
    const requester = await buildUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.id })

    const taken = await takeTicket(db, actor, { ticketId: ticket.id })

    expect(taken).toMatchObject({ assignee_id: executor.id, status: 'in_progress' })
    expect(taken.first_response_at).not.toBeNull()
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.events.map((e) => [e.kind, e.from_value, e.to_value])).toEqual([
      ['taken', null, String(executor.id)],
      ['status_changed', 'new', 'in_progress'],
    ])
    expect(trail.audit).toMatchObject([{ action: 'ticket.take', subject_id: requester.id, result: 'success' }])
    expect(trail.outbox).toMatchObject([{ kind: 'ticket_taken', recipient: requester.telegram_chat_id }])
  })

  test('a requester cannot take a ticket: forbidden, journaled, nothing changes', async () => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id })
    const before = await ticketTrail(db, ticket.id)
    await expect(takeTicket(db, actor, { ticketId: ticket.id })).rejects.toMatchObject({ code: 'forbidden' })
    expect(withoutDenials(await ticketTrail(db, ticket.id))).toEqual(before)
    expect(await deniedAudit(db, ticket.id)).toMatchObject([{ action: 'ticket.take', actor_id: user.id }])
  })

  test('a ticket taken by someone else cannot be taken again', async () => {
    const other = await buildUser(db, { role: 'executor' })
    const { actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'in_progress', assigneeId: other.id })
    const before = await ticketTrail(db, ticket.id)
    await expect(takeTicket(db, actor, { ticketId: ticket.id })).rejects.toMatchObject({ code: 'conflict' })
    expect(await ticketTrail(db, ticket.id)).toEqual(before)
  })

  test.each(['waiting', 'resolved', 'closed', 'cancelled'] as const)('a %s ticket cannot be taken', async (status) => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status })
    await expect(takeTicket(db, actor, { ticketId: ticket.id })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
  })

  test('of two executors taking the same ticket at once, exactly one gets it', async () => {
    const first = await buildActor(db, { role: 'executor' })
    const second = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db)
    const results = await Promise.allSettled([
      takeTicket(db, first.actor, { ticketId: ticket.id }),
      takeTicket(db, second.actor, { ticketId: ticket.id }),
    ])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'conflict' } })
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.events.filter((e) => e.kind === 'taken')).toHaveLength(1)
    expect([first.user.id, second.user.id]).toContain(trail.ticket?.assignee_id)
  })

  test('a missing ticket is not found', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    await expect(takeTicket(db, actor, { ticketId: 987_654 })).rejects.toMatchObject({ code: 'not_found' })
  })
})
