import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { buildTicket, deniedAudit, ticketTrail, withoutDenials } from '../../test/support/ticket-factory.ts'
import { reportNotSolved } from './report-not-solved.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

describe('reportNotSolved («Не решено» on the web)', () => {
  test('the requester sends a resolved ticket back to work with what is wrong, in one go', async () => {
    const { user, actor } = await buildActor(db, {}, 'web')
    const executor = await buildUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'resolved', assigneeId: executor.id })
    const reopened = await reportNotSolved(db, actor, { ticketId: ticket.id, comment: ' Печатает полосами ' })
    expect(reopened).toMatchObject({ status: 'in_progress', resolved_at: null, assignee_id: executor.id })
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.messages).toMatchObject([{ author_id: user.id, kind: 'external', body: 'Печатает полосами' }])
    expect(trail.events.map((e) => [e.kind, e.to_value])).toEqual([
      ['status_changed', 'in_progress'],
      ['message', String(trail.messages[0]?.id)],
    ])
    expect(trail.audit.map((row) => row.action)).toEqual(['ticket.reopen', 'ticket.message'])
  })

  test('without a comment nothing happens', async () => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'resolved' })
    const before = await ticketTrail(db, ticket.id)
    await expect(reportNotSolved(db, actor, { ticketId: ticket.id, comment: '  ' })).rejects.toMatchObject({
      code: 'validation',
    })
    expect(await ticketTrail(db, ticket.id)).toEqual(before)
  })

  test('a closed ticket stays closed (only a curator reopens it): nothing changes, the refusal is journaled once', async () => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'closed' })
    const before = await ticketTrail(db, ticket.id)
    await expect(reportNotSolved(db, actor, { ticketId: ticket.id, comment: 'Опять' })).rejects.toMatchObject({
      code: 'forbidden',
    })
    expect(withoutDenials(await ticketTrail(db, ticket.id))).toEqual(before)
    expect(await deniedAudit(db, ticket.id)).toMatchObject([{ action: 'ticket.reopen', actor_id: user.id }])
  })

  test('someone else’s ticket does not exist for a requester', async () => {
    const { actor } = await buildActor(db)
    const ticket = await buildTicket(db, { status: 'resolved' })
    await expect(reportNotSolved(db, actor, { ticketId: ticket.id, comment: 'Не моё' })).rejects.toMatchObject({
      code: 'not_found',
    })
    expect((await ticketTrail(db, ticket.id)).ticket?.status).toBe('resolved')
  })
})
