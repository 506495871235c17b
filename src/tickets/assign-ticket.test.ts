import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { buildTicket, deniedAudit, ticketTrail, withoutDenials } from '../../test/support/ticket-factory.ts'
import { assignTicket } from './assign-ticket.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

describe('assignTicket', () => {
  test('a curator assigns a new ticket: in work, events, journal, notices to the assignee and requester', async () => {
    const { actor } = await buildActor(db, { role: 'curator' })
    const executor = await buildUser(db, { role: 'executor' })
    const requester = await buildUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.id })

    const assigned = await assignTicket(db, actor, { ticketId: ticket.id, assigneeId: executor.id })

    expect(assigned).toMatchObject({ assignee_id: executor.id, status: 'in_progress' })
    expect(assigned.first_response_at).not.toBeNull()
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.events.map((e) => [e.kind, e.from_value, e.to_value])).toEqual([
      ['assigned', null, String(executor.id)],
      ['status_changed', 'new', 'in_progress'],
    ])
    expect(trail.audit).toMatchObject([{ action: 'ticket.assign', subject_id: requester.id }])
    expect(trail.outbox.map((o) => [o.kind, o.recipient])).toEqual([
      ['ticket_assigned', executor.telegram_chat_id],
      ['ticket_taken', requester.telegram_chat_id],
    ])
  })

  test('reassigning keeps the status and tells only the new assignee', async () => {
    const { actor } = await buildActor(db, { role: 'admin' })
    const first = await buildUser(db, { role: 'executor' })
    const second = await buildUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'waiting', assigneeId: first.id })
    const assigned = await assignTicket(db, actor, { ticketId: ticket.id, assigneeId: second.id })
    expect(assigned).toMatchObject({ assignee_id: second.id, status: 'waiting' })
    expect((await ticketTrail(db, ticket.id)).outbox.map((o) => [o.kind, o.recipient])).toEqual([
      ['ticket_assigned', second.telegram_chat_id],
    ])
  })

  test('unassigning moves the ticket back to new', async () => {
    const { actor } = await buildActor(db, { role: 'curator' })
    const executor = await buildUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'in_progress', assigneeId: executor.id })
    const cleared = await assignTicket(db, actor, { ticketId: ticket.id, assigneeId: null })
    expect(cleared).toMatchObject({ assignee_id: null, status: 'new' })
    expect((await ticketTrail(db, ticket.id)).events.map((e) => e.kind)).toEqual(['assigned', 'status_changed'])
  })

  test('an executor cannot assign to someone else: forbidden, journaled, nothing changes', async () => {
    const { user, actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db)
    const before = await ticketTrail(db, ticket.id)
    await expect(assignTicket(db, actor, { ticketId: ticket.id, assigneeId: 99 })).rejects.toMatchObject({
      code: 'forbidden',
    })
    expect(withoutDenials(await ticketTrail(db, ticket.id))).toEqual(before)
    expect(await deniedAudit(db, ticket.id)).toMatchObject([{ action: 'ticket.assign', actor_id: user.id }])
  })

  test.each([
    ['a requester', { role: 'requester' as const }],
    ['a deactivated executor', { role: 'executor' as const, status: 'deactivated' as const }],
  ])('%s cannot be the assignee', async (_name, overrides) => {
    const { actor } = await buildActor(db, { role: 'curator' })
    const candidate = await buildUser(db, overrides)
    const ticket = await buildTicket(db)
    await expect(assignTicket(db, actor, { ticketId: ticket.id, assigneeId: candidate.id })).rejects.toMatchObject({
      code: 'validation',
    })
  })

  test.each(['resolved', 'closed', 'cancelled'] as const)('a %s ticket cannot be assigned', async (status) => {
    const { actor } = await buildActor(db, { role: 'curator' })
    const executor = await buildUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status })
    const before = await ticketTrail(db, ticket.id)
    await expect(assignTicket(db, actor, { ticketId: ticket.id, assigneeId: executor.id })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
    expect(await ticketTrail(db, ticket.id)).toEqual(before)
  })
})
