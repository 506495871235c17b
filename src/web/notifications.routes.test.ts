import type { Hono } from 'hono'
import { afterAll, describe, expect, test } from 'vitest'
import type { AppEnv } from '#src/api/env.ts'
import type { Db } from '#src/db/schema.ts'
import { addMessage } from '#src/tickets/add-message.ts'
import { assignTicket } from '#src/tickets/assign-ticket.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { changeRole } from '#src/users/change-role.ts'
import { deactivateUser } from '#src/users/deactivate-user.ts'
import { hashToken, revokeUserSessions } from '#src/users/sessions.ts'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { getPage, postForm, type WebUser, webUser } from '../../test/support/web.ts'

/** Far longer than a poll (400 ms): only a broken feed waits this long. */
const PATIENCE_MS = 10_000

const streams: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const close of streams) await close()
})

/** An event stream read as text until a pattern shows up. */
async function openStream(app: Hono<AppEnv>, url: string, who: WebUser) {
  const response = await app.request(url, { headers: { cookie: who.cookie } })
  const reader = response.body?.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let pending: Promise<{ done: boolean; value?: Uint8Array }> | undefined
  const close = async () => {
    await reader?.cancel().catch(() => {})
  }
  streams.push(close)
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    text: () => text,
    close,
    async until(pattern: RegExp): Promise<string> {
      const deadline = Date.now() + PATIENCE_MS
      while (!pattern.test(text)) {
        if (!reader) throw new Error('no stream')
        pending ??= reader.read()
        let timer: NodeJS.Timeout | undefined
        const timeout = new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()))
        })
        const result = await Promise.race([pending, timeout])
        clearTimeout(timer)
        if (result === undefined) throw new Error(`nothing matched ${pattern}; the stream carried: ${text}`)
        pending = undefined
        if (result.done) throw new Error(`the stream ended; it carried: ${text}`)
        text += decoder.decode(result.value, { stream: true })
      }
      return text
    },
  }
}

/** The number the page's bell shows, or null without a bell. */
function bellOf(html: string): string | null {
  const bell = /<a class="bell"[\s\S]*?<\/a>/.exec(html)?.[0]
  if (!bell) return null
  return /<span class="bell__count"[^>]*>([^<]*)<\/span>/.exec(bell)?.[1] ?? null
}

async function journal(db: Db, action: string): Promise<number> {
  const rows = await db.selectFrom('audit_log').select('id').where('action', '=', action).execute()
  return rows.length
}

describe('the bell and /notifications', () => {
  test('staff see a bell with their unread count on every page; a requester has none and no page', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const executor = await webUser(db, { role: 'executor' })
    const requester = await webUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    await assignTicket(db, actorFromUser(curator.user, 'web'), { ticketId: ticket.id, assigneeId: executor.user.id })

    for (const path of ['/', '/tickets', '/profile']) {
      const page = await getPage(app, path, executor)
      expect(bellOf(page.text), path).toBe('1')
      expect(page.text).toContain('Уведомления: непрочитанных 1')
    }
    expect(bellOf((await getPage(app, '/tickets', curator)).text)).toBe('0')
    expect((await getPage(app, '/tickets', requester)).text).not.toContain('class="bell"')
    expect((await getPage(app, '/notifications', requester)).status).toBe(404)
    expect((await getPage(app, '/notifications/events', requester)).status).toBe(404)
  })

  test('only a page a browser navigates to counts: not what a script fetches, nor a file', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const executor = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db)
    await assignTicket(db, actorFromUser(curator.user, 'web'), { ticketId: ticket.id, assigneeId: executor.user.id })

    expect(bellOf((await getPage(app, '/tickets', executor)).text)).toBe('1')
    // The same address fetched by a script: no counts are read, so the layout has no bell to draw.
    const fetched = await getPage(app, '/tickets', executor, { accept: '*/*' })
    expect(fetched.status).toBe(200)
    expect(bellOf(fetched.text)).toBeNull()
    // A download is asked for as a page, but a file is no page.
    const file = await getPage(app, `/tickets/${ticket.id}/files/999999`, executor)
    expect(file.status).toBe(404)
    expect(bellOf(file.text)).toBeNull()
    // The ticket's page still reads what the bell said of it.
    expect((await getPage(app, `/tickets/${ticket.id}`, executor)).status).toBe(200)
    expect(bellOf((await getPage(app, '/tickets', executor)).text)).toBe('0')
  })

  test('the page lists what happened; «Прочитано», «Отметить все» and opening the ticket mark them read', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator', fullName: 'Сидоров Пётр' })
    const executor = await webUser(db, { role: 'executor', fullName: 'Петров Иван' })
    const staff = actorFromUser(curator.user, 'web')
    const first = await buildTicket(db, { title: 'Не печатает принтер' })
    const second = await buildTicket(db, { title: 'Нет сети в ординаторской' })
    const third = await buildTicket(db, { title: 'Сломалась мышь' })
    await assignTicket(db, staff, { ticketId: first.id, assigneeId: executor.user.id })
    await addMessage(db, staff, { ticketId: second.id, body: '@Петров, посмотри', internal: true })
    await assignTicket(db, staff, { ticketId: third.id, assigneeId: executor.user.id })

    const listsBefore = await journal(db, 'notification.list')
    const page = await getPage(app, '/notifications', executor)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Вас упомянули во внутренней заметке')
    expect(page.text).toContain('Нет сети в ординаторской')
    expect(page.text).toContain('Вам назначена заявка')
    expect(page.text).toContain('Сидоров Пётр')
    expect(page.text).toContain('Отметить все прочитанными')
    expect(bellOf(page.text)).toBe('3')
    expect(await journal(db, 'notification.list')).toBe(listsBefore + 1)

    // Opening the ticket reads what it brought; the page's own bell already says so.
    const ticketPage = await getPage(app, `/tickets/${second.id}`, executor)
    expect(bellOf(ticketPage.text)).toBe('2')

    const ids = [...page.text.matchAll(/action="\/notifications\/(\d+)\/read"/g)].map((m) => m[1])
    const done = await postForm(app, `/notifications/${ids[0]}/read`, executor, { unread: '1' })
    expect(done.status).toBe(303)
    expect(done.location).toBe('/notifications?unread=1')
    const unread = await getPage(app, '/notifications?unread=1', executor)
    expect(unread.text).toContain('Не печатает принтер')
    expect(unread.text).not.toContain('Сломалась мышь')
    expect(bellOf(unread.text)).toBe('1')

    expect((await postForm(app, '/notifications/read-all', executor)).status).toBe(303)
    const empty = await getPage(app, '/notifications?unread=1', executor)
    expect(empty.text).toContain('Непрочитанных уведомлений нет.')
    expect(bellOf(empty.text)).toBe('0')
    // Without the CSRF token nothing is marked.
    expect((await postForm(app, '/notifications/read-all', executor, {}, { csrf: null })).status).toBe(403)
  })

  test('in English', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const executor = await webUser(db, { role: 'executor' })
    await db.updateTable('users').set({ language: 'en' }).where('id', '=', executor.user.id).execute()
    const page = await getPage(app, '/notifications', executor)
    expect(page.text).toContain('Notifications: 0 unread')
    expect(page.text).toContain('No notifications yet.')
  })
})

describe('following from the ticket page', () => {
  test('«Следить» adds the person to the watchers shown; «Не следить» takes them off', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const executor = await webUser(db, { role: 'executor', fullName: 'Петров Иван' })
    const requester = await webUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.user.id })

    expect((await getPage(app, `/tickets/${ticket.id}`, executor)).text).toContain('>Следить<')
    const follow = await postForm(app, `/tickets/${ticket.id}/watch`, executor, { follow: '1' })
    expect(follow.status).toBe(303)
    expect(follow.location).toBe(`/tickets/${ticket.id}`)
    const page = await getPage(app, `/tickets/${ticket.id}`, executor)
    expect(page.text).toContain('>Не следить<')
    expect(page.text).toMatch(/<li>Петров Иван<span class="muted"> \(вы\)<\/span><\/li>/)

    await postForm(app, `/tickets/${ticket.id}/watch`, executor, { follow: '0' })
    expect((await getPage(app, `/tickets/${ticket.id}`, executor)).text).toContain('>Следить<')
    // The requester sees no panel and cannot follow.
    expect((await getPage(app, `/tickets/${ticket.id}`, requester)).text).not.toContain('Следят за заявкой')
    expect((await postForm(app, `/tickets/${ticket.id}/watch`, requester, { follow: '1' })).status).toBe(404)
  })
})

describe('the live list and the stream', () => {
  test('GET /tickets/rows renders the asked rows the list’s filter takes, in its order, without touching the session', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const executor = await webUser(db, { role: 'executor' })
    const open = await buildTicket(db, { title: 'Открытая' })
    const older = await buildTicket(db, { title: 'Постарше', createdAt: '2026-01-01T00:00:00.000Z' })
    const closed = await buildTicket(db, { title: 'Закрытая', status: 'closed' })
    const session = hashToken(/=(.*)$/.exec(executor.cookie)?.[1] ?? '')
    // Two minutes idle: a page request would touch the session now (it does so once a minute).
    await db
      .updateTable('sessions')
      .set({ last_seen_at: new Date(Date.now() - 120_000).toISOString() })
      .execute()
    const before = await db.selectFrom('sessions').select('last_seen_at').where('id', '=', session).executeTakeFirst()
    const listsBefore = await journal(db, 'ticket.list')

    const rows = await getPage(app, `/tickets/rows?ids=${open.id},${closed.id}&status=new`, executor)
    expect(rows.status).toBe(200)
    expect(rows.text).toContain(`id="ticket-row-${open.id}"`)
    expect(rows.text).not.toContain('Закрытая')
    expect(rows.text).not.toContain('Постарше')
    expect(rows.text).toMatch(new RegExp(`data-order="[^"]*${open.id}[^"]*${older.id}`))
    expect(rows.text).toContain('name="ids"')
    expect(await journal(db, 'ticket.list')).toBe(listsBefore + 1)
    const after = await db.selectFrom('sessions').select('last_seen_at').where('id', '=', session).executeTakeFirst()
    expect(after?.last_seen_at).toBe(before?.last_seen_at)

    const list = await getPage(app, '/tickets', executor)
    expect(list.text).toContain('data-live-list')
    expect(list.text).toContain(`id="ticket-row-${open.id}"`)
  })

  test('the stream tells the bell at once and when a mention comes, and the list which tickets changed', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator', fullName: 'Сидоров Пётр' })
    const executor = await webUser(db, { role: 'executor', fullName: 'Петров Иван' })
    const ticket = await buildTicket(db)
    const other = await buildTicket(db)

    const stream = await openStream(app, '/notifications/events?list=1&after=', executor)
    expect(stream.status).toBe(200)
    expect(stream.contentType).toMatch(/^text\/event-stream/)
    await stream.until(/event: bell\ndata: <a class="bell"[^\n]*непрочитанных 0/)
    await stream.until(/event: tickets\ndata: \{"ids":\[\]\}\nid: \d+/)

    await addMessage(db, actorFromUser(curator.user, 'web'), { ticketId: ticket.id, body: '@Петров', internal: true })
    await stream.until(/event: bell\ndata: [^\n]*непрочитанных 1/)
    await stream.until(new RegExp(`event: tickets\\ndata: \\{"ids":\\[${ticket.id}\\]\\}`))
    await changeStatus(db, actorFromUser(curator.user, 'web'), { ticketId: other.id, status: 'in_progress' })
    await stream.until(new RegExp(`"ids":\\[${other.id}\\]`))
    // Numbers and ids only: the note's text never travels in the stream.
    expect(stream.text()).not.toContain('@Петров')
    await stream.close()

    // A list that comes back (a tab shown again) is told what changed since its last event.
    const last = Number(/id: (\d+)\n\n(?![\s\S]*id: )/.exec(stream.text())?.[1] ?? 'NaN')
    await changeStatus(db, actorFromUser(curator.user, 'web'), { ticketId: ticket.id, status: 'in_progress' })
    const again = await openStream(app, `/notifications/events?list=1&after=${last}`, executor)
    await again.until(new RegExp(`"ids":\\[${ticket.id}\\]`))
    await again.close()

    // Without the list, only the bell.
    const bellOnly = await openStream(app, '/notifications/events', executor)
    await bellOnly.until(/event: bell/)
    await changeStatus(db, actorFromUser(curator.user, 'web'), { ticketId: other.id, status: 'waiting' })
    await addMessage(db, actorFromUser(curator.user, 'web'), { ticketId: other.id, body: '@петров', internal: true })
    await bellOnly.until(/непрочитанных 2/)
    expect(bellOnly.text()).not.toContain('event: tickets')
    await bellOnly.close()
  })

  test('an open stream ends at the next change once its person is no longer staff or its session is gone', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = actorFromUser((await webUser(db, { role: 'admin' })).user, 'web')
    const curator = actorFromUser((await webUser(db, { role: 'curator' })).user, 'web')
    const demoted = await webUser(db, { role: 'executor' })
    const deactivated = await webUser(db, { role: 'executor' })
    const revoked = await webUser(db, { role: 'executor' })
    const staying = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db)
    const open = async (who: WebUser) => {
      const stream = await openStream(app, '/notifications/events?list=1&after=', who)
      await stream.until(/event: tickets\ndata: \{"ids":\[\]\}/)
      return stream
    }
    const gone = [await open(demoted), await open(deactivated), await open(revoked)]
    const stays = await open(staying)

    await changeRole(db, admin, { userId: demoted.user.id, role: 'requester' })
    await deactivateUser(db, admin, { userId: deactivated.user.id })
    await revokeUserSessions(db, revoked.user.id)
    await changeStatus(db, curator, { ticketId: ticket.id, status: 'in_progress' })

    await stays.until(new RegExp(`"ids":\\[${ticket.id}\\]`))
    await stays.close()
    for (const stream of gone) {
      await expect(stream.until(/event: tickets\ndata: \{"ids":\[[1-9]/)).rejects.toThrow(/the stream ended/)
    }
  })
})
