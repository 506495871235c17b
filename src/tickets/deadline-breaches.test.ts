import { beforeAll, describe, expect, test } from 'vitest'
import type { Db, User } from '#src/db/schema.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { buildTicket, ticketTrail } from '../../test/support/ticket-factory.ts'
import { markDeadlineBreaches } from './deadline-breaches.ts'
import { takeTicket } from './take-ticket.ts'

let db: Db
let curator: User
beforeAll(async () => {
  db = (await testDatabase()).db
  curator = await buildUser(db, { role: 'curator' })
  await buildUser(db, { role: 'curator', status: 'deactivated' })
})

const created = '2026-11-02T08:00:00.000Z'
const at = setTestClock

describe('markDeadlineBreaches', () => {
  test('a critical ticket without a response is marked after 15 minutes, once, and the curators are told of the response', async () => {
    const requester = await buildUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.id, priority: 'critical', createdAt: created })

    at('2026-11-02T08:14:00.000Z')
    expect(await markDeadlineBreaches(db)).toBe(0)
    at('2026-11-02T08:16:00.000Z')
    expect(await markDeadlineBreaches(db)).toBe(1)
    expect(await markDeadlineBreaches(db)).toBe(0)

    const trail = await ticketTrail(db, ticket.id)
    expect(trail.ticket).toMatchObject({
      response_breached_at: '2026-11-02T08:16:00.000Z',
      resolution_breached_at: null,
    })
    expect(trail.events).toMatchObject([{ kind: 'deadline_breached', to_value: 'response' }])
    expect(trail.audit).toMatchObject([
      { action: 'ticket.deadline_breached', channel: 'system', subject_id: requester.id },
    ])
    expect(trail.outbox.map((o) => [o.kind, o.recipient])).toEqual([['deadline_breached', curator.telegram_chat_id]])

    at('2026-11-02T12:00:01.000Z')
    expect(await markDeadlineBreaches(db)).toBe(1)
    const later = await ticketTrail(db, ticket.id)
    expect(later.ticket?.resolution_breached_at).toBe('2026-11-02T12:00:01.000Z')
    expect(later.events.map((e) => e.to_value)).toEqual(['response', 'resolution'])
    // The missed resolution is told by the escalation's levels (src/duty), not to every curator here.
    expect(later.outbox.map((o) => [o.kind, o.recipient])).toEqual([['deadline_breached', curator.telegram_chat_id]])
  })

  test('a ticket answered in time is not marked for the response', async () => {
    const executor = await buildUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, { priority: 'high', createdAt: created })
    at('2026-11-02T08:30:00.000Z')
    await takeTicket(db, actorFromUser(executor, 'web'), { ticketId: ticket.id })
    at('2026-11-02T09:30:00.000Z')
    await markDeadlineBreaches(db)
    expect((await ticketTrail(db, ticket.id)).ticket?.response_breached_at).toBeNull()
  })

  test('resolved, closed and cancelled tickets are never marked', async () => {
    const tickets = await Promise.all(
      (['resolved', 'closed', 'cancelled'] as const).map((status) =>
        buildTicket(db, { status, priority: 'critical', createdAt: created }),
      ),
    )
    at('2026-12-01T00:00:00.000Z')
    await markDeadlineBreaches(db)
    for (const ticket of tickets) {
      expect((await ticketTrail(db, ticket.id)).ticket).toMatchObject({
        response_breached_at: null,
        resolution_breached_at: null,
      })
    }
  })
})
