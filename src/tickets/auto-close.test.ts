import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { setSetting } from '#src/settings/settings.ts'
import { systemActor } from '#src/users/actor.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { buildTicket, ticketTrail } from '../../test/support/ticket-factory.ts'
import { autoCloseResolved } from './auto-close.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

const resolvedAt = '2026-11-01T09:00:00.000Z'
const at = setTestClock

describe('autoCloseResolved', () => {
  test('closes a ticket resolved more than 3 days ago, as the system, with event, journal and notice', async () => {
    const requester = await buildUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.id, status: 'resolved', resolvedAt })
    const fresh = await buildTicket(db, { status: 'resolved', resolvedAt: '2026-11-03T09:00:00.000Z' })

    at('2026-11-04T09:00:01.000Z')
    expect(await autoCloseResolved(db)).toBe(1)

    const trail = await ticketTrail(db, ticket.id)
    expect(trail.ticket).toMatchObject({ status: 'closed', closed_at: '2026-11-04T09:00:01.000Z' })
    expect(trail.events).toMatchObject([
      { kind: 'status_changed', actor_id: null, from_value: 'resolved', to_value: 'closed' },
    ])
    expect(trail.audit).toMatchObject([
      { action: 'ticket.close', actor_id: null, channel: 'system', subject_id: requester.id },
    ])
    expect(trail.outbox).toMatchObject([{ kind: 'ticket_closed', recipient: requester.telegram_chat_id }])
    expect((await ticketTrail(db, fresh.id)).ticket?.status).toBe('resolved')
    expect(await autoCloseResolved(db)).toBe(0)
  })

  test('the waiting period is the auto_close_days setting', async () => {
    await setSetting(db, systemActor(), 'tickets.auto_close_days', 10)
    const ticket = await buildTicket(db, { status: 'resolved', resolvedAt })
    at('2026-11-05T09:00:00.000Z')
    expect(await autoCloseResolved(db)).toBe(0)
    at('2026-11-11T09:00:01.000Z')
    expect(await autoCloseResolved(db)).toBeGreaterThanOrEqual(1)
    expect((await ticketTrail(db, ticket.id)).ticket?.status).toBe('closed')
    await setSetting(db, systemActor(), 'tickets.auto_close_days', 3)
  })

  test('tickets in other statuses are left alone', async () => {
    const open = await buildTicket(db, { status: 'in_progress', resolvedAt })
    at('2026-12-31T00:00:00.000Z')
    await autoCloseResolved(db)
    expect((await ticketTrail(db, open.id)).ticket?.status).toBe('in_progress')
  })
})
