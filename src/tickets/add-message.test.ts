import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { buildTicket, deniedAudit, ticketTrail, withoutDenials } from '../../test/support/ticket-factory.ts'
import { addMessage } from './add-message.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

describe('addMessage', () => {
  test("staff's external message reaches the requester, pending delivery, and counts as the first response", async () => {
    const { user: executor, actor } = await buildActor(db, { role: 'executor' }, 'web')
    const requester = await buildUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.id })

    const message = await addMessage(db, actor, { ticketId: ticket.id, body: ' Перезагрузите ПК ', internal: false })

    expect(message).toMatchObject({
      kind: 'external',
      body: 'Перезагрузите ПК',
      author_id: executor.id,
      source: 'web',
      delivery_status: 'pending',
    })
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.ticket?.first_response_at).toBe(message.created_at)
    expect(trail.events.map((e) => [e.kind, e.to_value])).toEqual([['message', String(message.id)]])
    expect(trail.audit).toMatchObject([{ action: 'ticket.message', subject_id: requester.id }])
    expect(trail.outbox).toMatchObject([
      { kind: 'ticket_message', recipient: requester.telegram_chat_id, message_id: message.id },
    ])
  })

  test('a requester without Telegram gets no notice and the message has no delivery status', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const requester = await buildUser(db, { telegramChatId: null })
    const ticket = await buildTicket(db, { requesterId: requester.id })
    const message = await addMessage(db, actor, { ticketId: ticket.id, body: 'Ответ', internal: false })
    expect(message.delivery_status).toBeNull()
    expect((await ticketTrail(db, ticket.id)).outbox).toEqual([])
  })

  test("the requester's answer brings a waiting ticket back into work and goes to the assignee", async () => {
    const { user: requester, actor } = await buildActor(db, {}, 'bot')
    const executor = await buildUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, { requesterId: requester.id, status: 'waiting', assigneeId: executor.id })

    const message = await addMessage(db, actor, { ticketId: ticket.id, body: 'Перезагрузила', internal: false })

    expect(message).toMatchObject({ source: 'telegram', delivery_status: null })
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.ticket?.status).toBe('in_progress')
    expect(trail.events.map((e) => [e.kind, e.from_value, e.to_value])).toEqual([
      ['message', null, String(message.id)],
      ['status_changed', 'waiting', 'in_progress'],
    ])
    expect(trail.outbox).toMatchObject([{ kind: 'ticket_message', recipient: executor.telegram_chat_id }])
  })

  test('an internal note is kept from the requester: no notice, no first response', async () => {
    const { actor } = await buildActor(db, { role: 'curator' })
    const ticket = await buildTicket(db)
    const note = await addMessage(db, actor, { ticketId: ticket.id, body: 'Картридж на складе', internal: true })
    expect(note).toMatchObject({ kind: 'internal', delivery_status: null })
    const trail = await ticketTrail(db, ticket.id)
    expect(trail.ticket?.first_response_at).toBeNull()
    expect(trail.outbox).toEqual([])
    expect(trail.events.map((e) => e.kind)).toEqual(['note'])
    expect(trail.audit).toMatchObject([{ action: 'ticket.note' }])
  })

  test('a requester cannot write internal notes: forbidden, journaled, nothing changes', async () => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id })
    const before = await ticketTrail(db, ticket.id)
    await expect(addMessage(db, actor, { ticketId: ticket.id, body: 'Секрет', internal: true })).rejects.toMatchObject({
      code: 'forbidden',
    })
    expect(withoutDenials(await ticketTrail(db, ticket.id))).toEqual(before)
    expect(await deniedAudit(db, ticket.id)).toMatchObject([{ action: 'ticket.note', actor_id: user.id }])
  })

  test("a requester writing to someone else's ticket gets not_found, and the probe is journaled", async () => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db)
    const before = await ticketTrail(db, ticket.id)
    await expect(addMessage(db, actor, { ticketId: ticket.id, body: 'Привет', internal: false })).rejects.toMatchObject(
      { code: 'not_found' },
    )
    expect(withoutDenials(await ticketTrail(db, ticket.id))).toEqual(before)
    expect(await deniedAudit(db, ticket.id)).toMatchObject([{ action: 'ticket.message', actor_id: user.id }])
  })

  test.each([
    ['an empty body', '  \n '],
    ['a body over 10 000 characters', 'б'.repeat(10_001)],
  ])('%s is refused', async (_name, body) => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db)
    const before = await ticketTrail(db, ticket.id)
    await expect(addMessage(db, actor, { ticketId: ticket.id, body, internal: false })).rejects.toMatchObject({
      code: 'validation',
    })
    expect(await ticketTrail(db, ticket.id)).toEqual(before)
  })

  test('the requester cannot write to a closed ticket', async () => {
    const { user, actor } = await buildActor(db)
    const ticket = await buildTicket(db, { requesterId: user.id, status: 'closed' })
    await expect(addMessage(db, actor, { ticketId: ticket.id, body: 'Снова', internal: false })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
  })
})
