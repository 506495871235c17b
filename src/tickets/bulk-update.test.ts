import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildCategory, buildGroup, buildUser } from '../../test/support/factories.ts'
import { buildTicket, ticketTrail } from '../../test/support/ticket-factory.ts'
import { BULK_LIMIT, bulkActionOf, bulkUpdate } from './bulk-update.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

const journalOf = (action: string) =>
  db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute()

describe('bulkUpdate', () => {
  test('assigns each ticket by its own rules: a closed one is refused with its reason, the rest done', async () => {
    const { actor } = await buildActor(db, { role: 'curator' })
    const executor = await buildUser(db, { role: 'executor' })
    const open = [await buildTicket(db), await buildTicket(db), await buildTicket(db)]
    const closed = await buildTicket(db, { status: 'closed' })
    const ids = [open[0]?.id ?? 0, closed.id, open[1]?.id ?? 0, open[2]?.id ?? 0]
    const before = (await journalOf('ticket.assign')).length

    const outcome = await bulkUpdate(db, actor, ids, { kind: 'assign', assigneeId: executor.id })

    expect(outcome.done).toEqual(open.map((t) => t.id))
    expect(outcome.refused).toEqual([{ ticketId: closed.id, code: 'invalid_transition', message: expect.any(String) }])
    for (const ticket of open) {
      expect((await ticketTrail(db, ticket.id)).ticket).toMatchObject({
        assignee_id: executor.id,
        status: 'in_progress',
      })
    }
    expect((await ticketTrail(db, closed.id)).ticket?.assignee_id).toBeNull()
    // A journal row per ticket done, as on its page, and one for the whole.
    expect((await journalOf('ticket.assign')).length - before).toBe(3)
    const [bulk] = (await journalOf('ticket.bulk')).slice(-1)
    expect(bulk).toMatchObject({ actor_id: actor.id, result: 'success' })
    expect(JSON.parse(bulk?.details ?? '{}')).toMatchObject({
      kind: 'assign',
      done: open.map((t) => t.id),
      refused: [{ ticket_id: closed.id, code: 'invalid_transition' }],
    })
  })

  test('an internal note on each, a priority, a category, a group: each with its event', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const group = await buildGroup(db, 'Печать')
    const category = await buildCategory(db, { name: 'Картриджи' })
    const tickets = [await buildTicket(db), await buildTicket(db)]
    const ids = tickets.map((t) => t.id)

    await bulkUpdate(db, actor, ids, { kind: 'note', text: 'Проверили все разом' })
    await bulkUpdate(db, actor, ids, { kind: 'priority', priority: 'high' })
    await bulkUpdate(db, actor, ids, { kind: 'category', categoryId: category.id })
    const grouped = await bulkUpdate(db, actor, ids, { kind: 'group', groupId: group.id })

    expect(grouped).toEqual({ done: ids, refused: [] })
    for (const id of ids) {
      const trail = await ticketTrail(db, id)
      expect(trail.ticket).toMatchObject({ priority: 'high', category_id: category.id, group_id: group.id })
      expect(trail.messages.map((m) => [m.kind, m.body])).toEqual([['internal', 'Проверили все разом']])
      expect(trail.events.map((e) => e.kind)).toEqual(
        expect.arrayContaining(['note', 'priority_changed', 'category_changed', 'group_changed']),
      )
    }
  })

  test('a requester is refused, journaled as denied; nothing, or too many, is refused before any ticket', async () => {
    const requester = await buildActor(db, { role: 'requester' })
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    await expect(bulkUpdate(db, requester.actor, [ticket.id], { kind: 'take' })).rejects.toMatchObject({
      code: 'forbidden',
    })
    const [denied] = (await journalOf('ticket.bulk')).filter((r) => r.actor_id === requester.actor.id)
    expect(denied).toMatchObject({ result: 'denied' })

    const { actor } = await buildActor(db, { role: 'curator' })
    await expect(bulkUpdate(db, actor, [], { kind: 'take' })).rejects.toMatchObject({ code: 'validation' })
    const many = Array.from({ length: BULK_LIMIT + 1 }, (_, i) => i + 1)
    await expect(bulkUpdate(db, actor, many, { kind: 'take' })).rejects.toMatchObject({ code: 'validation' })
  })

  test('what a request lacks is named: no assignee, no status, no note text', () => {
    expect(() => bulkActionOf({ kind: 'assign' })).toThrow(/исполнителя/)
    expect(() => bulkActionOf({ kind: 'status' })).toThrow(/статус/)
    expect(() => bulkActionOf({ kind: 'note', text: '  ' })).toThrow(/текст заметки/)
    expect(bulkActionOf({ kind: 'assign', assigneeId: null })).toEqual({ kind: 'assign', assigneeId: null })
    expect(bulkActionOf({ kind: 'status', status: 'resolved', text: 'Заменили' })).toEqual({
      kind: 'status',
      status: 'resolved',
      text: 'Заменили',
    })
  })
})
