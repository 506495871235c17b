import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor } from '../../test/support/factories.ts'
import { buildTicket, deniedAudit, ticketTrail, withoutDenials } from '../../test/support/ticket-factory.ts'
import { commentRating } from './comment-rating.ts'
import { rateTicket } from './rate-ticket.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

describe('commentRating', () => {
  test('the requester adds a comment to the rating given, once', async () => {
    const { user, actor } = await buildActor(db, {}, 'bot')
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'closed' })
    await rateTicket(db, actor, { ticketId: ticket.id, score: 4 })
    const commented = await commentRating(db, actor, { ticketId: ticket.id, comment: '  Быстро, спасибо  ' })
    expect(commented).toMatchObject({ rating: 4, rating_comment: 'Быстро, спасибо' })
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.events.map((e) => e.kind)).toEqual(['rated', 'rating_commented'])
    expect(trail.audit).toMatchObject([{ action: 'ticket.rate' }, { action: 'ticket.rate', subject_id: user.id }])
    await expect(commentRating(db, actor, { ticketId: ticket.id, comment: 'Ещё' })).rejects.toMatchObject({
      code: 'conflict',
    })
  })

  test('no comment before a rating, and none empty or over 1000 characters', async () => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'closed' })
    await expect(commentRating(db, actor, { ticketId: ticket.id, comment: 'Хорошо' })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
    await rateTicket(db, actor, { ticketId: ticket.id, score: 5 })
    for (const comment of ['   ', 'к'.repeat(1001)]) {
      await expect(commentRating(db, actor, { ticketId: ticket.id, comment })).rejects.toMatchObject({
        code: 'validation',
      })
    }
  })

  test('nobody but the requester comments: refused, journaled, nothing changes', async () => {
    const { user, actor: requester } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'closed' })
    await rateTicket(db, requester, { ticketId: ticket.id, score: 2 })
    const before = await ticketTrail(db, ticket.id)
    const { actor: admin } = await buildActor(db, { role: 'admin' })
    await expect(commentRating(db, admin, { ticketId: ticket.id, comment: 'Подделка' })).rejects.toMatchObject({
      code: 'forbidden',
    })
    const { actor: stranger } = await buildActor(db)
    await expect(commentRating(db, stranger, { ticketId: ticket.id, comment: 'Подделка' })).rejects.toMatchObject({
      code: 'not_found',
    })
    expect(withoutDenials(await ticketTrail(db, ticket.id))).toEqual(before)
    expect(await deniedAudit(db, ticket.id)).toHaveLength(2)
  })
})
