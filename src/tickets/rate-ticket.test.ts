import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor } from '../../test/support/factories.ts'
import { buildTicket, deniedAudit, ticketTrail, withoutDenials } from '../../test/support/ticket-factory.ts'
import { rateTicket } from './rate-ticket.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

describe('rateTicket', () => {
  test('the requester rates a closed ticket once, with a comment', async () => {
    const { user, actor } = await buildActor(db, {}, 'bot')
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'closed' })
    const rated = await rateTicket(db, actor, { ticketId: ticket.id, score: 5, comment: ' Спасибо! ' })
    expect(rated).toMatchObject({ rating: 5, rating_comment: 'Спасибо!', status: 'closed' })
    expect(rated.rated_at).not.toBeNull()
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.events).toMatchObject([{ kind: 'rated', to_value: '5' }])
    expect(trail.audit).toMatchObject([{ action: 'ticket.rate', subject_id: user.id }])
    await expect(rateTicket(db, actor, { ticketId: ticket.id, score: 1 })).rejects.toMatchObject({ code: 'conflict' })
  })

  test('a resolved ticket can be rated too', async () => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'resolved' })
    expect((await rateTicket(db, actor, { ticketId: ticket.id, score: 3 })).rating).toBe(3)
  })

  test.each([0, 6, 2.5, Number.NaN])('a score of %s is refused', async (score) => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'closed' })
    await expect(rateTicket(db, actor, { ticketId: ticket.id, score })).rejects.toMatchObject({ code: 'validation' })
  })

  test('a comment over 1000 characters is refused', async () => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'closed' })
    await expect(
      rateTicket(db, actor, { ticketId: ticket.id, score: 4, comment: 'к'.repeat(1001) }),
    ).rejects.toMatchObject({ code: 'validation' })
  })

  test('an open ticket cannot be rated', async () => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'in_progress' })
    await expect(rateTicket(db, actor, { ticketId: ticket.id, score: 4 })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
  })

  test("staff cannot rate a requester's ticket: forbidden, journaled, nothing changes", async () => {
    const { actor } = await buildActor(db, { role: 'admin' })
    const ticket = await buildTicket(db, { status: 'closed' })
    const before = await ticketTrail(db, ticket.id)
    await expect(rateTicket(db, actor, { ticketId: ticket.id, score: 5 })).rejects.toMatchObject({ code: 'forbidden' })
    expect(withoutDenials(await ticketTrail(db, ticket.id))).toEqual(before)
    expect(await deniedAudit(db, ticket.id)).toMatchObject([{ action: 'ticket.rate' }])
  })
})
