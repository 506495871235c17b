import { beforeAll, describe, expect, test } from 'vitest'
import type { Db, Ticket, User } from '#src/db/schema.ts'
import { type Actor, actorFromUser } from '#src/users/actor.ts'
import { clockAt } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { journalOf } from '../../test/support/state.ts'
import { buildTicket, deniedAudit, ticketTrail, withoutDenials } from '../../test/support/ticket-factory.ts'
import { addMessage } from './add-message.ts'
import { changeStatus } from './change-status.ts'
import { linkTickets } from './link-tickets.ts'
import { mergeTicket } from './merge-ticket.ts'
import { MERGE_UNDO_HOURS, replyTarget, ticketLinksFor, undoableMerges } from './ticket-links-store.ts'
import { unlinkTickets } from './unlink-tickets.ts'
import { unmergeTicket } from './unmerge-ticket.ts'
import { viewTicket } from './view-ticket.ts'

let db: Db
let executor: User
let staff: Actor
let curator: Actor
beforeAll(async () => {
  db = (await testDatabase()).db
  ;({ user: executor, actor: staff } = await buildActor(db, { role: 'executor' }, 'web'))
  ;({ actor: curator } = await buildActor(db, { role: 'curator' }, 'web'))
})

const HOUR = 3_600_000

/** Two tickets of one requester (who has a Telegram chat): the duplicate and the one that stays. */
async function pair(overrides: { status?: Ticket['status']; assigneeId?: number | null } = {}) {
  const requester = await buildUser(db)
  const duplicate = await buildTicket(db, {
    requesterId: requester.id,
    title: 'Не печатает принтер (ещё раз)',
    ...overrides,
  })
  const survivor = await buildTicket(db, { requesterId: requester.id, title: 'Не печатает принтер' })
  return { requester, duplicate, survivor }
}

async function ticketRow(id: number): Promise<Ticket> {
  return db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

describe('mergeTicket', () => {
  test('the duplicate closes, its conversation shows on the other ticket, the requester is told the number', async () => {
    const { requester, duplicate, survivor } = await pair({ status: 'in_progress', assigneeId: executor.id })
    const requesterActor = actorFromUser(requester, 'bot')
    const said = await addMessage(db, requesterActor, {
      ticketId: duplicate.id,
      body: 'Уже второй день',
      internal: false,
    })
    await addMessage(db, staff, { ticketId: duplicate.id, body: 'Проверить картридж', internal: true })

    const merged = await mergeTicket(db, staff, { ticketId: duplicate.id, intoId: survivor.id })
    expect(merged).toMatchObject({ status: 'closed', merged_into_id: survivor.id, assignee_id: executor.id })
    expect(merged.closed_at).not.toBeNull()

    const dup = await ticketTrail(db, duplicate.id)
    expect(dup.events.slice(-2)).toMatchObject([
      { kind: 'status_changed', from_value: 'in_progress', to_value: 'closed', actor_id: executor.id },
      { kind: 'merged', to_value: String(survivor.id) },
    ])
    expect(dup.audit.at(-1)).toMatchObject({ action: 'ticket.merge', subject_id: requester.id, pdn_related: 1 })
    expect(dup.outbox.at(-1)).toMatchObject({ kind: 'ticket_merged', recipient: requester.telegram_chat_id })
    expect(JSON.parse(dup.outbox.at(-1)?.payload ?? '{}')).toMatchObject({ mergedInto: survivor.id })
    expect((await ticketTrail(db, survivor.id)).events.at(-1)).toMatchObject({
      kind: 'merged_in',
      to_value: String(duplicate.id),
    })

    // Staff see the duplicate's text and its whole conversation on the other ticket; the requester not the note.
    const seen = await viewTicket(db, staff, { ticketId: survivor.id })
    expect(seen.merged).toMatchObject([
      { id: duplicate.id, title: duplicate.title, description: duplicate.description },
    ])
    expect(seen.messages.map((m) => [m.ticket_id, m.body])).toEqual([
      [duplicate.id, 'Уже второй день'],
      [duplicate.id, 'Проверить картридж'],
    ])
    expect(seen.links).toMatchObject([{ relation: 'duplicate', ticket: { id: duplicate.id, status: 'closed' } }])
    expect(seen.links[0]?.undo_until).not.toBeNull()
    const theirs = await viewTicket(db, requesterActor, { ticketId: survivor.id })
    expect(theirs.messages.map((m) => m.id)).toEqual([said.id])
    const fromDuplicate = await viewTicket(db, staff, { ticketId: duplicate.id })
    expect(fromDuplicate.links).toMatchObject([{ relation: 'merged_into', ticket: { id: survivor.id } }])
    // A reply in the bot to the duplicate goes on to the other ticket.
    expect(await replyTarget(db, duplicate.id)).toBe(survivor.id)
    expect(await replyTarget(db, survivor.id)).toBe(survivor.id)
  })

  test.each([
    ['itself', 'validation'],
    ['a closed ticket', 'invalid_transition'],
    ['a cancelled ticket', 'invalid_transition'],
    ['another requester’s ticket', 'conflict'],
    ['a number that does not exist', 'validation'],
  ] as const)('merging into %s is refused (%s) and changes nothing', async (target, code) => {
    const { requester, duplicate, survivor } = await pair()
    const into =
      target === 'itself'
        ? duplicate.id
        : target === 'a closed ticket'
          ? (await buildTicket(db, { requesterId: requester.id, status: 'closed' })).id
          : target === 'a cancelled ticket'
            ? (await buildTicket(db, { requesterId: requester.id, status: 'cancelled' })).id
            : target === 'another requester’s ticket'
              ? (await buildTicket(db)).id
              : 99_999_999
    const before = await ticketTrail(db, duplicate.id)
    const refusal = mergeTicket(db, staff, { ticketId: duplicate.id, intoId: into })
    await expect(refusal).rejects.toMatchObject({ code })
    await expect(refusal).rejects.toThrow(/[а-яё]/i)
    expect(await ticketTrail(db, duplicate.id)).toEqual(before)
    expect((await ticketRow(survivor.id)).merged_into_id).toBeNull()
  })

  test('a ticket merged already, or closed, is not merged again', async () => {
    const { requester, duplicate, survivor } = await pair()
    const third = await buildTicket(db, { requesterId: requester.id })
    await mergeTicket(db, staff, { ticketId: duplicate.id, intoId: survivor.id })
    await expect(mergeTicket(db, staff, { ticketId: duplicate.id, intoId: third.id })).rejects.toMatchObject({
      code: 'conflict',
      message: `Заявка № ${duplicate.id} уже объединена с заявкой № ${survivor.id}`,
    })
    // The survivor cannot go into its own duplicate: that one is closed.
    await expect(mergeTicket(db, staff, { ticketId: survivor.id, intoId: duplicate.id })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
    const closed = await buildTicket(db, { requesterId: requester.id, status: 'closed' })
    await expect(mergeTicket(db, staff, { ticketId: closed.id, intoId: third.id })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
  })

  test('a requester may not merge even their own tickets: forbidden, journaled, nothing changes', async () => {
    const { user, actor } = await buildActor(db)
    const duplicate = await buildTicket(db, { requesterId: user.id })
    const survivor = await buildTicket(db, { requesterId: user.id })
    const before = await ticketTrail(db, duplicate.id)
    await expect(mergeTicket(db, actor, { ticketId: duplicate.id, intoId: survivor.id })).rejects.toMatchObject({
      code: 'forbidden',
    })
    expect(withoutDenials(await ticketTrail(db, duplicate.id))).toEqual(before)
    expect(await deniedAudit(db, duplicate.id)).toMatchObject([{ action: 'ticket.merge', actor_id: user.id }])
  })

  test('a chain of merges: the last ticket shows both duplicates, replies follow the chain', async () => {
    const { requester, duplicate, survivor } = await pair()
    const last = await buildTicket(db, { requesterId: requester.id })
    await mergeTicket(db, staff, { ticketId: duplicate.id, intoId: survivor.id })
    await mergeTicket(db, staff, { ticketId: survivor.id, intoId: last.id })
    expect((await viewTicket(db, staff, { ticketId: last.id })).merged.map((m) => m.id)).toEqual([
      survivor.id,
      duplicate.id,
    ])
    expect(await replyTarget(db, duplicate.id)).toBe(last.id)
  })
})

describe('unmergeTicket', () => {
  test('restores the duplicate exactly as it was, takes its conversation off the other ticket, and says so', async () => {
    const { requester, duplicate, survivor } = await pair({ status: 'waiting', assigneeId: executor.id })
    const before = await ticketRow(duplicate.id)
    await mergeTicket(db, staff, { ticketId: duplicate.id, intoId: survivor.id })
    const restored = await unmergeTicket(db, staff, { ticketId: duplicate.id })

    const { updated_at: _before, ...was } = before
    const { updated_at: _after, ...now } = await ticketRow(duplicate.id)
    expect(now).toEqual(was)
    expect(restored).toMatchObject({
      status: 'waiting',
      assignee_id: executor.id,
      merged_into_id: null,
      closed_at: null,
    })
    const link = await db.selectFrom('ticket_links').selectAll().where('ticket_id', '=', duplicate.id).execute()
    expect(link).toMatchObject([{ kind: 'duplicate', undone_by: executor.id }])
    expect(link[0]?.undone_at).not.toBeNull()

    const dup = await ticketTrail(db, duplicate.id)
    expect(dup.events.slice(-2)).toMatchObject([
      { kind: 'status_changed', from_value: 'closed', to_value: 'waiting' },
      { kind: 'unmerged', to_value: String(survivor.id) },
    ])
    expect(dup.audit.at(-1)).toMatchObject({ action: 'ticket.unmerge', subject_id: requester.id })
    expect(dup.outbox.at(-1)).toMatchObject({ kind: 'ticket_unmerged' })
    const seen = await viewTicket(db, staff, { ticketId: survivor.id })
    expect(seen.merged).toEqual([])
    expect(seen.links).toEqual([])
    expect((await ticketTrail(db, survivor.id)).events.at(-1)).toMatchObject({ kind: 'unmerged_in' })
    expect(await replyTarget(db, duplicate.id)).toBe(duplicate.id)
    // Undone once: not twice.
    await expect(unmergeTicket(db, staff, { ticketId: duplicate.id })).rejects.toMatchObject({ code: 'conflict' })
    // And it may be merged again.
    await expect(mergeTicket(db, staff, { ticketId: duplicate.id, intoId: survivor.id })).resolves.toMatchObject({
      merged_into_id: survivor.id,
    })
  })

  test(`may be undone for ${MERGE_UNDO_HOURS} hours, then it is refused in Russian and nothing changes`, async () => {
    clockAt(0)
    const early = await pair()
    const late = await pair()
    await mergeTicket(db, staff, { ticketId: early.duplicate.id, intoId: early.survivor.id })
    await mergeTicket(db, staff, { ticketId: late.duplicate.id, intoId: late.survivor.id })
    const journal = await journalOf(db, 'ticket.merge')

    clockAt(MERGE_UNDO_HOURS * HOUR - 60_000)
    expect([...(await undoableMerges(db, journal)).values()]).toEqual(
      expect.arrayContaining([early.duplicate.id, late.duplicate.id]),
    )
    await expect(unmergeTicket(db, staff, { ticketId: early.duplicate.id })).resolves.toMatchObject({ status: 'new' })

    clockAt(MERGE_UNDO_HOURS * HOUR + 60_000)
    const before = await ticketTrail(db, late.duplicate.id)
    await expect(unmergeTicket(db, staff, { ticketId: late.duplicate.id })).rejects.toMatchObject({
      code: 'conflict',
      message: `Объединение можно отменить только в течение ${MERGE_UNDO_HOURS} часов — этот срок прошёл`,
    })
    expect(await ticketTrail(db, late.duplicate.id)).toEqual(before)
    expect([...(await undoableMerges(db, journal)).values()]).not.toContain(late.duplicate.id)
  })

  test('a duplicate changed since the merge (reopened) is not undone: its reopening ended the merge', async () => {
    const { duplicate, survivor } = await pair()
    await mergeTicket(db, staff, { ticketId: duplicate.id, intoId: survivor.id })
    await changeStatus(db, curator, { ticketId: duplicate.id, status: 'in_progress' })
    await expect(unmergeTicket(db, staff, { ticketId: duplicate.id })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('изменилась после объединения'),
    })

    // A ticket of its own again: the other one lists it no more, the link is stamped undone, both timelines say so.
    expect(await ticketRow(duplicate.id)).toMatchObject({ status: 'in_progress', merged_into_id: null })
    const [link] = await db.selectFrom('ticket_links').selectAll().where('ticket_id', '=', duplicate.id).execute()
    expect(link?.undone_at).not.toBeNull()
    const dup = await ticketTrail(db, duplicate.id)
    expect(dup.events.slice(-2)).toMatchObject([
      { kind: 'status_changed', from_value: 'closed', to_value: 'in_progress' },
      { kind: 'unmerged', to_value: String(survivor.id) },
    ])
    expect(dup.audit.at(-1)).toMatchObject({ action: 'ticket.reopen' })
    expect((await ticketTrail(db, survivor.id)).events.at(-1)).toMatchObject({
      kind: 'unmerged_in',
      to_value: String(duplicate.id),
    })
    const seen = await viewTicket(db, staff, { ticketId: survivor.id })
    expect(seen.merged).toEqual([])
    expect(seen.links).toEqual([])
    expect((await viewTicket(db, staff, { ticketId: duplicate.id })).links).toEqual([])

    // Resolved and closed again, the requester's replies to it stay on it.
    await changeStatus(db, curator, { ticketId: duplicate.id, status: 'resolved', resolution: 'Заменён картридж' })
    await changeStatus(db, curator, { ticketId: duplicate.id, status: 'closed' })
    expect(await replyTarget(db, duplicate.id)).toBe(duplicate.id)
    // The other way round now: no circle, each conversation shown once.
    await changeStatus(db, curator, { ticketId: duplicate.id, status: 'in_progress' })
    await mergeTicket(db, staff, { ticketId: survivor.id, intoId: duplicate.id })
    expect((await viewTicket(db, staff, { ticketId: duplicate.id })).merged.map((m) => m.id)).toEqual([survivor.id])
    expect(await replyTarget(db, survivor.id)).toBe(duplicate.id)
    expect(await replyTarget(db, duplicate.id)).toBe(duplicate.id)
  })

  test('a reopened duplicate may be merged again', async () => {
    const { requester, duplicate, survivor } = await pair()
    const third = await buildTicket(db, { requesterId: requester.id })
    await mergeTicket(db, staff, { ticketId: duplicate.id, intoId: survivor.id })
    await changeStatus(db, curator, { ticketId: duplicate.id, status: 'in_progress' })
    await expect(mergeTicket(db, staff, { ticketId: duplicate.id, intoId: third.id })).resolves.toMatchObject({
      status: 'closed',
      merged_into_id: third.id,
    })
    expect((await viewTicket(db, staff, { ticketId: third.id })).merged.map((m) => m.id)).toEqual([duplicate.id])
    expect((await viewTicket(db, staff, { ticketId: survivor.id })).merged).toEqual([])
    expect(await replyTarget(db, duplicate.id)).toBe(third.id)
    // Its undo restores the status it had when merged this time.
    await expect(unmergeTicket(db, staff, { ticketId: duplicate.id })).resolves.toMatchObject({
      status: 'in_progress',
      merged_into_id: null,
    })
  })

  test('a merge stored before with the close time and the assignee in `previous` is still undone', async () => {
    const { duplicate, survivor } = await pair({ status: 'waiting', assigneeId: executor.id })
    await mergeTicket(db, staff, { ticketId: duplicate.id, intoId: survivor.id })
    await db
      .updateTable('ticket_links')
      .set({ previous: JSON.stringify({ status: 'waiting', closed_at: null, assignee_id: executor.id }) })
      .where('ticket_id', '=', duplicate.id)
      .execute()
    await expect(unmergeTicket(db, staff, { ticketId: duplicate.id })).resolves.toMatchObject({
      status: 'waiting',
      assignee_id: executor.id,
      closed_at: null,
      merged_into_id: null,
    })
  })

  test('a circle of merges (made by hand) is listed once each and replies do not loop', async () => {
    const { duplicate: a, survivor: b } = await pair()
    await db.updateTable('tickets').set({ status: 'closed', merged_into_id: b.id }).where('id', '=', a.id).execute()
    await db.updateTable('tickets').set({ status: 'closed', merged_into_id: a.id }).where('id', '=', b.id).execute()
    expect((await viewTicket(db, staff, { ticketId: a.id })).merged.map((m) => m.id)).toEqual([b.id])
    expect((await viewTicket(db, staff, { ticketId: b.id })).merged.map((m) => m.id)).toEqual([a.id])
    expect(await replyTarget(db, a.id)).toBe(b.id)
    expect(await replyTarget(db, b.id)).toBe(a.id)
  })

  test('a ticket never merged: conflict; a requester: forbidden and journaled', async () => {
    const { user, actor } = await buildActor(db)
    const duplicate = await buildTicket(db, { requesterId: user.id })
    await expect(unmergeTicket(db, staff, { ticketId: duplicate.id })).rejects.toMatchObject({ code: 'conflict' })
    const survivor = await buildTicket(db, { requesterId: user.id })
    await mergeTicket(db, staff, { ticketId: duplicate.id, intoId: survivor.id })
    await expect(unmergeTicket(db, actor, { ticketId: duplicate.id })).rejects.toMatchObject({ code: 'forbidden' })
    expect(await deniedAudit(db, duplicate.id)).toMatchObject([{ action: 'ticket.unmerge' }])
  })
})

describe('linkTickets and unlinkTickets', () => {
  test('related tickets of different requesters: both timelines, one journal row, listed both ways', async () => {
    const a = await buildTicket(db)
    const b = await buildTicket(db)
    const link = await linkTickets(db, staff, { ticketId: b.id, otherId: a.id, kind: 'related' })
    expect(link).toMatchObject({ relation: 'related', ticket: { id: a.id, status: 'new' }, undo_until: null })
    expect(await ticketLinksFor(db, staff, a.id)).toMatchObject([
      { id: link.id, relation: 'related', ticket: { id: b.id } },
    ])
    expect((await ticketTrail(db, a.id)).events.at(-1)).toMatchObject({
      kind: 'linked',
      from_value: 'related',
      to_value: String(b.id),
    })
    expect((await ticketTrail(db, b.id)).audit.at(-1)).toMatchObject({ action: 'ticket.link' })
    // A requester sees a link only to a ticket of their own.
    const requester = await db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', a.requester_id)
      .executeTakeFirstOrThrow()
    expect(await ticketLinksFor(db, actorFromUser(requester, 'web'), a.id)).toEqual([])

    await expect(linkTickets(db, staff, { ticketId: a.id, otherId: b.id, kind: 'child' })).rejects.toMatchObject({
      code: 'conflict',
    })
    await unlinkTickets(db, staff, { ticketId: a.id, linkId: link.id })
    expect(await ticketLinksFor(db, staff, a.id)).toEqual([])
    expect((await ticketTrail(db, b.id)).events.at(-1)).toMatchObject({ kind: 'unlinked', to_value: String(a.id) })
    await expect(unlinkTickets(db, staff, { ticketId: a.id, linkId: link.id })).rejects.toMatchObject({
      code: 'conflict',
    })
    // Unlinked, they may be linked again.
    await expect(linkTickets(db, staff, { ticketId: a.id, otherId: b.id, kind: 'child' })).resolves.toMatchObject({
      relation: 'child',
    })
  })

  test('a parent and its children: one parent a ticket, and no circles', async () => {
    const [a, b, c, d] = [await buildTicket(db), await buildTicket(db), await buildTicket(db), await buildTicket(db)]
    if (!a || !b || !c || !d) throw new Error('tickets')
    await linkTickets(db, staff, { ticketId: a.id, otherId: b.id, kind: 'child' })
    await linkTickets(db, staff, { ticketId: c.id, otherId: b.id, kind: 'parent' })
    expect((await ticketLinksFor(db, staff, b.id)).map((l) => [l.relation, l.ticket.id])).toEqual([
      ['parent', a.id],
      ['child', c.id],
    ])
    expect((await ticketTrail(db, c.id)).events.at(-1)).toMatchObject({ kind: 'linked', from_value: 'parent' })
    await expect(linkTickets(db, staff, { ticketId: d.id, otherId: b.id, kind: 'child' })).rejects.toMatchObject({
      code: 'conflict',
      message: `У заявки № ${b.id} уже есть родительская заявка № ${a.id}: сначала уберите ту связь`,
    })
    // c is a's grandchild: a cannot become c's child.
    const before = await ticketTrail(db, a.id)
    await expect(linkTickets(db, staff, { ticketId: c.id, otherId: a.id, kind: 'child' })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('получился бы круг'),
    })
    expect(await ticketTrail(db, a.id)).toEqual(before)
    await expect(linkTickets(db, staff, { ticketId: a.id, otherId: a.id, kind: 'related' })).rejects.toMatchObject({
      code: 'validation',
    })
  })

  test('a merge is not unlinked: it is undone; a requester may not link', async () => {
    const { duplicate, survivor } = await pair()
    await mergeTicket(db, staff, { ticketId: duplicate.id, intoId: survivor.id })
    const [merge] = await ticketLinksFor(db, staff, survivor.id)
    await expect(unlinkTickets(db, staff, { ticketId: survivor.id, linkId: merge?.id ?? 0 })).rejects.toMatchObject({
      code: 'conflict',
    })
    const { user, actor } = await buildActor(db)
    const own = await buildTicket(db, { requesterId: user.id })
    const other = await buildTicket(db, { requesterId: user.id })
    await expect(
      linkTickets(db, actor, { ticketId: own.id, otherId: other.id, kind: 'related' }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    expect(await deniedAudit(db, own.id)).toMatchObject([{ action: 'ticket.link' }])
  })
})
