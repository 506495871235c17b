import { describe, expect, test } from 'vitest'
import type { Db, User } from '#src/db/schema.ts'
import { renderTicketNotice } from '#src/notify/notice-texts.ts'
import { addMessage } from '#src/tickets/add-message.ts'
import { assignTicket } from '#src/tickets/assign-ticket.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { markDeadlineBreaches } from '#src/tickets/deadline-breaches.ts'
import { takeTicket } from '#src/tickets/take-ticket.ts'
import { type Actor, actorFromUser } from '#src/users/actor.ts'
import { testDatabase } from '../../test/support/database.ts'
import { destroyLeaver } from '../../test/support/destroy.ts'
import { buildUser, type UserOverrides } from '../../test/support/factories.ts'
import { buildTicket, deniedAudit } from '../../test/support/ticket-factory.ts'
import { followTicket } from './follow-ticket.ts'
import { listNotifications } from './list-notifications.ts'
import { MAX_MENTIONS, mentionTokens } from './mentions.ts'
import { unreadCount } from './notification-store.ts'
import { readNotifications } from './read-notifications.ts'

async function person(db: Db, overrides: UserOverrides = {}): Promise<{ user: User; actor: Actor }> {
  const user = await buildUser(db, overrides)
  return { user, actor: actorFromUser(user, 'web') }
}

/** The notifications of a person, oldest first, as [ticket, kind, read]. */
async function bell(db: Db, userId: number) {
  const rows = await db
    .selectFrom('web_notifications')
    .select(['ticket_id', 'kind', 'read_at'])
    .where('user_id', '=', userId)
    .orderBy('id')
    .execute()
  return rows.map((r) => [r.ticket_id, r.kind, r.read_at !== null])
}

/** The Telegram notices of mentions about a ticket: to whom, and which note (in the payload). */
async function mentionNotices(db: Db, ticketId: number) {
  const rows = await db
    .selectFrom('outbox')
    .select(['recipient', 'message_id', 'payload'])
    .where('ticket_id', '=', ticketId)
    .where('kind', '=', 'ticket_mentioned')
    .orderBy('id')
    .execute()
  return rows.map((r) => ({ recipient: r.recipient, message_id: r.message_id, noteId: JSON.parse(r.payload).noteId }))
}

describe('mention parsing', () => {
  test('finds @surnames in any case, with «ё» as «е», and logins, without e-mail addresses or trailing dots', () => {
    expect(
      mentionTokens('@Петров посмотри, @СЁМИН тоже. Копия: @i.ivanov. Почта ivanov@mail.ru, @петров ещё раз'),
    ).toEqual(['петров', 'семин', 'i.ivanov'])
    expect(mentionTokens('Без упоминаний: @ и @@ и a@b')).toEqual([])
    expect(mentionTokens('(@Кузнецова-Ершова)')).toEqual(['кузнецова-ершова'])
  })

  test('a note naming more people than MAX_MENTIONS mentions only the first ones', () => {
    const many = Array.from({ length: MAX_MENTIONS + 5 }, (_, i) => `@Фамилия${i}`).join(' ')
    expect(mentionTokens(many)).toHaveLength(MAX_MENTIONS)
  })
})

describe('mentions in internal notes', () => {
  test('«@петров» in a note rings Petrov’s bell and queues him a Telegram notice; the author is not told', async () => {
    const { db } = await testDatabase()
    const { user: author, actor } = await person(db, { role: 'executor', fullName: 'Сидоров Пётр Ильич' })
    const { user: petrov } = await person(db, { role: 'executor', fullName: 'Петров Иван Сергеевич' })
    const requesterPetrov = await buildUser(db, { fullName: 'Петров Степан Ильич' })
    const gonePetrov = await buildUser(db, { role: 'executor', status: 'deactivated', fullName: 'Петров Олег' })
    const ticket = await buildTicket(db)

    const note = await addMessage(db, actor, {
      ticketId: ticket.id,
      body: '@петров посмотри, пожалуйста. @Сидоров',
      internal: true,
    })

    expect(await bell(db, petrov.id)).toEqual([[ticket.id, 'mention', false]])
    for (const nobody of [author, requesterPetrov, gonePetrov]) expect(await bell(db, nobody.id)).toEqual([])
    // The note rides in the payload: as the row's message it would be marked «доставлено в Telegram» when sent.
    expect(await mentionNotices(db, ticket.id)).toEqual([
      { recipient: petrov.telegram_chat_id, message_id: null, noteId: note.id },
    ])
  })

  test('a surname two colleagues share mentions both; a login mentions exactly one', async () => {
    const { db } = await testDatabase()
    const { actor } = await person(db, { role: 'curator', fullName: 'Сидоров Пётр' })
    const { user: first } = await person(db, { role: 'executor', fullName: 'Петров Иван', login: 'i.petrov' })
    const { user: second } = await person(db, { role: 'admin', fullName: 'Петров Алексей', login: 'a.petrov' })
    const one = await buildTicket(db)
    const other = await buildTicket(db)

    await addMessage(db, actor, { ticketId: one.id, body: 'Нужен @Петров', internal: true })
    await addMessage(db, actor, { ticketId: other.id, body: 'Нужен @A.Petrov', internal: true })

    expect(await bell(db, first.id)).toEqual([[one.id, 'mention', false]])
    expect(await bell(db, second.id)).toEqual([
      [one.id, 'mention', false],
      [other.id, 'mention', false],
    ])
  })

  test('an @ in a message to the requester mentions nobody: only internal notes mention', async () => {
    const { db } = await testDatabase()
    const { actor } = await person(db, { role: 'executor', fullName: 'Сидоров Пётр' })
    const { user: petrov } = await person(db, { role: 'executor', fullName: 'Петров Иван' })
    const ticket = await buildTicket(db)

    await addMessage(db, actor, { ticketId: ticket.id, body: 'Передаю @Петров', internal: false })

    expect(await bell(db, petrov.id)).toEqual([])
    expect(await mentionNotices(db, ticket.id)).toEqual([])
  })

  test('mentioning oneself notifies nobody', async () => {
    const { db } = await testDatabase()
    const { user: petrov, actor } = await person(db, { role: 'executor', fullName: 'Петров Иван' })
    const ticket = await buildTicket(db)
    await addMessage(db, actor, { ticketId: ticket.id, body: 'Напоминание себе, @Петров', internal: true })
    expect(await bell(db, petrov.id)).toEqual([])
    expect(await mentionNotices(db, ticket.id)).toEqual([])
  })

  test('a colleague without Telegram is mentioned in the web alone', async () => {
    const { db } = await testDatabase()
    const { actor } = await person(db, { role: 'executor', fullName: 'Сидоров Пётр' })
    const { user: petrov } = await person(db, { role: 'executor', fullName: 'Петров Иван', telegramChatId: null })
    const ticket = await buildTicket(db)
    await addMessage(db, actor, { ticketId: ticket.id, body: '@Петров', internal: true })
    expect(await bell(db, petrov.id)).toEqual([[ticket.id, 'mention', false]])
    expect(await mentionNotices(db, ticket.id)).toEqual([])
  })
})

describe('assignments, replies, watchers and deadlines', () => {
  test('the new assignee is told of an assignment; whoever takes a ticket is not told of it', async () => {
    const { db } = await testDatabase()
    const { user: curator, actor: curatorActor } = await person(db, { role: 'curator' })
    const { user: executor, actor: executorActor } = await person(db, { role: 'executor' })
    const assigned = await buildTicket(db)
    const taken = await buildTicket(db)

    await assignTicket(db, curatorActor, { ticketId: assigned.id, assigneeId: executor.id })
    await takeTicket(db, executorActor, { ticketId: taken.id })

    expect(await bell(db, executor.id)).toEqual([[assigned.id, 'assigned', false]])
    expect(await bell(db, curator.id)).toEqual([])
  })

  test('the requester’s reply reaches the assignee and the watchers; a watcher’s own reply does not reach them', async () => {
    const { db } = await testDatabase()
    const { user: requester, actor: requesterActor } = await person(db)
    const { user: assignee } = await person(db, { role: 'executor' })
    const { user: watcher, actor: watcherActor } = await person(db, { role: 'executor' })
    const ticket = await buildTicket(db, { requesterId: requester.id, status: 'in_progress', assigneeId: assignee.id })
    await followTicket(db, watcherActor, { ticketId: ticket.id, follow: true })

    await addMessage(db, requesterActor, { ticketId: ticket.id, body: 'Всё ещё не работает', internal: false })
    expect(await bell(db, assignee.id)).toEqual([[ticket.id, 'reply', false]])
    expect(await bell(db, watcher.id)).toEqual([[ticket.id, 'reply', false]])

    // The unread reply would look the same if the watcher's own message refreshed it: its row must stay as it was.
    const theirs = () =>
      db.selectFrom('web_notifications').select(['id', 'event_id']).where('user_id', '=', watcher.id).execute()
    const before = await theirs()
    await addMessage(db, watcherActor, { ticketId: ticket.id, body: 'Сейчас подойду', internal: false })
    expect(await bell(db, watcher.id)).toEqual([[ticket.id, 'reply', false]])
    expect(await theirs()).toEqual(before)
    expect(await unreadCount(db, requester.id)).toBe(0)
  })

  test('news of a ticket refreshes its unread notification instead of adding one; once read, a new one comes', async () => {
    const { db } = await testDatabase()
    const { actor: colleague } = await person(db, { role: 'executor' })
    const { user: watcher, actor: watcherActor } = await person(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'in_progress', assigneeId: null })
    await followTicket(db, watcherActor, { ticketId: ticket.id, follow: true })

    await addMessage(db, colleague, { ticketId: ticket.id, body: 'Заметка 1', internal: true })
    const first = await db.selectFrom('web_notifications').selectAll().where('user_id', '=', watcher.id).execute()
    await changeStatus(db, colleague, { ticketId: ticket.id, status: 'waiting' })
    const after = await db.selectFrom('web_notifications').selectAll().where('user_id', '=', watcher.id).execute()
    expect(after).toHaveLength(1)
    // A fresh row, not the old one updated: the list is ordered (and paged) by id.
    expect(after[0]?.id).toBeGreaterThan(first[0]?.id ?? Number.POSITIVE_INFINITY)
    expect(after[0]?.event_id).toBeGreaterThan(first[0]?.event_id ?? Number.POSITIVE_INFINITY)
    expect(await unreadCount(db, watcher.id)).toBe(1)

    await readNotifications(db, watcherActor, { all: true })
    await changeStatus(db, colleague, { ticketId: ticket.id, status: 'in_progress' })
    expect(await bell(db, watcher.id)).toEqual([
      [ticket.id, 'watch', true],
      [ticket.id, 'watch', false],
    ])
  })

  test('refreshed news comes first in the list and on its page, above what came between', async () => {
    const { db } = await testDatabase()
    const { actor: curator } = await person(db, { role: 'curator' })
    const { user: watcher, actor: watcherActor } = await person(db, { role: 'executor' })
    const followed = await buildTicket(db, { status: 'in_progress', assigneeId: null })
    const assigned = await buildTicket(db)
    await followTicket(db, watcherActor, { ticketId: followed.id, follow: true })

    await addMessage(db, curator, { ticketId: followed.id, body: 'Заметка', internal: true })
    await assignTicket(db, curator, { ticketId: assigned.id, assigneeId: watcher.id })
    await changeStatus(db, curator, { ticketId: followed.id, status: 'waiting' })

    const list = await listNotifications(db, watcherActor)
    expect(list.items.map((n) => [n.ticket_id, n.kind, n.event_kind])).toEqual([
      [followed.id, 'watch', 'status_changed'],
      [assigned.id, 'assigned', 'assigned'],
    ])
    const first = await listNotifications(db, watcherActor, { limit: 1 })
    expect(first.items.map((n) => n.ticket_id)).toEqual([followed.id])
    const rest = await listNotifications(db, watcherActor, { limit: 1, before: first.next ?? 0 })
    expect(rest.items.map((n) => n.ticket_id)).toEqual([assigned.id])
    expect(rest.next).toBeNull()
  })

  test('a breached deadline rings the assignee and the watchers', async () => {
    const { db } = await testDatabase()
    const { user: assignee } = await person(db, { role: 'executor' })
    const { user: watcher, actor: watcherActor } = await person(db, { role: 'curator' })
    const ticket = await buildTicket(db, {
      status: 'in_progress',
      assigneeId: assignee.id,
      resolutionDueAt: '2020-01-01T00:00:00.000Z',
    })
    await followTicket(db, watcherActor, { ticketId: ticket.id, follow: true })

    expect(await markDeadlineBreaches(db)).toBeGreaterThan(0)

    expect(await bell(db, assignee.id)).toEqual([[ticket.id, 'deadline', false]])
    expect(await bell(db, watcher.id)).toEqual([[ticket.id, 'deadline', false]])
  })

  test('a watcher no longer active staff hears nothing', async () => {
    const { db } = await testDatabase()
    const { actor: colleague } = await person(db, { role: 'executor' })
    const { user: watcher, actor: watcherActor } = await person(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'in_progress' })
    await followTicket(db, watcherActor, { ticketId: ticket.id, follow: true })
    await db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', watcher.id).execute()

    await addMessage(db, colleague, { ticketId: ticket.id, body: 'Заметка', internal: true })

    expect(await bell(db, watcher.id)).toEqual([])
  })
})

describe('following', () => {
  test('follow and unfollow change the watchers once, journaled; doing it twice changes nothing', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await person(db, { role: 'executor' })
    const ticket = await buildTicket(db)

    expect(await followTicket(db, actor, { ticketId: ticket.id, follow: true })).toEqual({
      following: true,
      watchers: [{ id: user.id, full_name: user.full_name }],
    })
    await followTicket(db, actor, { ticketId: ticket.id, follow: true })
    const journal = await db
      .selectFrom('audit_log')
      .select('action')
      .where('object_id', '=', String(ticket.id))
      .where('action', 'like', 'ticket.%follow')
      .execute()
    expect(journal.map((r) => r.action)).toEqual(['ticket.follow'])

    expect(await followTicket(db, actor, { ticketId: ticket.id, follow: false })).toEqual({
      following: false,
      watchers: [],
    })
  })

  test('a requester may not follow even their own ticket, nor learn of another’s; both refusals journaled', async () => {
    const { db } = await testDatabase()
    const { user: requester, actor } = await person(db)
    const own = await buildTicket(db, { requesterId: requester.id })
    const foreign = await buildTicket(db)

    await expect(followTicket(db, actor, { ticketId: own.id, follow: true })).rejects.toMatchObject({
      code: 'forbidden',
    })
    await expect(followTicket(db, actor, { ticketId: foreign.id, follow: true })).rejects.toMatchObject({
      code: 'not_found',
    })
    expect(await deniedAudit(db, own.id)).toHaveLength(1)
    expect(await deniedAudit(db, foreign.id)).toHaveLength(1)
    expect(await db.selectFrom('ticket_watchers').selectAll().execute()).toEqual([])
  })
})

describe('reading notifications', () => {
  test('the list shows the ticket and the event as they are now; unread filter, «прочитано» and «все»', async () => {
    const { db } = await testDatabase()
    const { actor: curator } = await person(db, { role: 'curator' })
    const { user: executor, actor } = await person(db, { role: 'executor', fullName: 'Петров Иван' })
    const first = await buildTicket(db, { title: 'Не печатает принтер' })
    const second = await buildTicket(db, { title: 'Нет сети' })
    await assignTicket(db, curator, { ticketId: first.id, assigneeId: executor.id })
    await addMessage(db, curator, { ticketId: second.id, body: '@Петров глянь', internal: true })

    const list = await listNotifications(db, actor)
    expect(list.unread).toBe(2)
    expect(list.items.map((n) => [n.kind, n.ticket_id, n.ticket_title, n.event_kind])).toEqual([
      ['mention', second.id, 'Нет сети', 'note'],
      ['assigned', first.id, 'Не печатает принтер', 'assigned'],
    ])
    const [mention] = list.items
    expect(await readNotifications(db, actor, { id: mention?.id ?? 0 })).toBe(1)
    expect(await readNotifications(db, actor, { id: mention?.id ?? 0 })).toBe(1)
    expect((await listNotifications(db, actor, { unreadOnly: true })).items.map((n) => n.kind)).toEqual(['assigned'])
    expect(await readNotifications(db, actor, { all: true })).toBe(0)
    expect(await unreadCount(db, executor.id)).toBe(0)
  })

  test('someone else’s notification cannot be marked, and pages go by `before`', async () => {
    const { db } = await testDatabase()
    const { actor: curator } = await person(db, { role: 'curator' })
    const { user: executor, actor } = await person(db, { role: 'executor' })
    const { actor: other } = await person(db, { role: 'executor' })
    for (let i = 0; i < 3; i++) {
      const ticket = await buildTicket(db)
      await assignTicket(db, curator, { ticketId: ticket.id, assigneeId: executor.id })
    }
    const page = await listNotifications(db, actor, { limit: 2 })
    expect(page.items).toHaveLength(2)
    expect(page.next).not.toBeNull()
    const rest = await listNotifications(db, actor, { limit: 2, before: page.next ?? 0 })
    expect(rest.items).toHaveLength(1)
    expect(rest.next).toBeNull()

    await expect(readNotifications(db, other, { id: page.items[0]?.id ?? 0 })).rejects.toMatchObject({
      code: 'not_found',
    })
    expect(await unreadCount(db, executor.id)).toBe(3)
  })

  test('a requester has no bell: the list and the marks are refused, and the tries journaled', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await person(db)
    await expect(listNotifications(db, actor)).rejects.toMatchObject({ code: 'forbidden' })
    await expect(readNotifications(db, actor, { all: true })).rejects.toMatchObject({ code: 'forbidden' })
    const denied = await db
      .selectFrom('audit_log')
      .select('action')
      .where('actor_id', '=', user.id)
      .where('result', '=', 'denied')
      .execute()
    expect(denied.map((r) => r.action)).toEqual(['notification.list', 'notification.read'])
  })
})

describe('the Telegram notice of a mention', () => {
  const ticket = {
    id: 42,
    status: 'in_progress' as const,
    title: 'Не печатает принтер',
    priority: 'normal' as const,
    categoryName: null,
    departmentName: null,
    requesterId: 1,
    requesterName: 'Иванова Анна',
    assigneeId: null,
    assigneeName: null,
    resolution: null,
    cancelReason: null,
    rating: null,
  }
  const message = { body: '@Петров посмотри', authorName: 'Сидоров Пётр', attachments: 0 }

  test('says who mentioned the person and what, with a link; under the privacy setting only the number', () => {
    const open = { baseUrl: 'https://helpdesk.example', privacy: false }
    const full = renderTicketNotice('ticket_mentioned', { ticket, toRequester: false, message }, open)
    expect(full.text).toBe(
      [
        'Заявка № 42 · В работе',
        'Вас упомянули в заявке № 42.',
        'Внутренняя заметка от Сидоров Пётр:',
        '@Петров посмотри',
        '«Не печатает принтер»',
      ].join('\n'),
    )
    expect(full.buttons).toEqual([[{ text: 'Открыть', url: 'https://helpdesk.example/tickets/42' }]])
    const bare = renderTicketNotice(
      'ticket_mentioned',
      { ticket, toRequester: false, message },
      { ...open, privacy: true },
    )
    expect(bare.text).not.toContain('посмотри')
    expect(bare.text).not.toContain('Сидоров')
    expect(bare.text).toContain('Вас упомянули в заявке № 42.')
  })
})

describe('destroying a staff member’s data (ст. 21)', () => {
  test('what they followed and what their bell held go with it', async () => {
    const { db } = await testDatabase()
    const { user: leaving, actor: leavingActor } = await person(db, { role: 'executor' })
    const { user: requester, actor: requesterActor } = await person(db)
    const ticket = await buildTicket(db, { requesterId: requester.id, status: 'in_progress' })
    await followTicket(db, leavingActor, { ticketId: ticket.id, follow: true })
    await addMessage(db, requesterActor, { ticketId: ticket.id, body: 'Не работает', internal: false })
    expect(await bell(db, leaving.id)).toEqual([[ticket.id, 'reply', false]])
    await destroyLeaver(db, leaving.id)
    expect(await bell(db, leaving.id)).toEqual([])
    expect(
      await db.selectFrom('ticket_watchers').select('ticket_id').where('user_id', '=', leaving.id).execute(),
    ).toEqual([])
  })
})
