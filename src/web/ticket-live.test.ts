import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Hono } from 'hono'
import { afterAll, describe, expect, test } from 'vitest'
import type { AppEnv } from '#src/api/env.ts'
import { openDatabase } from '#src/db/database.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import type { Db, Tx } from '#src/db/schema.ts'
import { createLogger } from '#src/logger.ts'
import { serve } from '#src/main.ts'
import { addMessage } from '#src/tickets/add-message.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { changeRole } from '#src/users/change-role.ts'
import { deactivateUser } from '#src/users/deactivate-user.ts'
import { revokeUserSessions } from '#src/users/sessions.ts'
import { testApp, testConfig } from '../../test/support/api.ts'
import { testDatabase, testDialect } from '../../test/support/database.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { getPage, type WebUser, webUser } from '../../test/support/web.ts'
import { LiveFeed, liveFeed, stopLiveUpdates } from './live-updates.ts'
import { MAX_STREAMS_PER_USER } from './ticket-live.routes.tsx'

/** Far longer than a poll (400 ms): only a broken feed waits this long, and then the test fails. */
const PATIENCE_MS = 10_000

const streams: LiveStream[] = []
afterAll(async () => {
  for (const s of streams) await s.close()
})

interface LiveStream {
  status: number
  contentType: string | null
  /** Reads until the stream's text matches, or fails after PATIENCE_MS. */
  until(pattern: RegExp): Promise<string>
  /** Reads until the stream ends. */
  ended(): Promise<void>
  text(): string
  close(): Promise<void>
}

async function openStream(
  app: Hono<AppEnv>,
  url: string,
  who: WebUser,
  headers: Record<string, string> = {},
): Promise<LiveStream> {
  const response = await app.request(url, { headers: { cookie: who.cookie, ...headers } })
  const reader = response.body?.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let pending: Promise<{ done: boolean; value?: Uint8Array }> | undefined
  let done = false
  const readOnce = async (deadline: number): Promise<boolean> => {
    if (!reader || done) throw new Error(`the stream ended; it carried: ${text}`)
    pending ??= reader.read()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()))
    })
    const result = await Promise.race([pending, timeout])
    clearTimeout(timer)
    if (result === undefined) return false
    pending = undefined
    if (result.done) {
      done = true
      return true
    }
    text += decoder.decode(result.value, { stream: true })
    return true
  }
  const stream: LiveStream = {
    status: response.status,
    contentType: response.headers.get('content-type'),
    async until(pattern) {
      const deadline = Date.now() + PATIENCE_MS
      while (!pattern.test(text)) {
        if (!(await readOnce(deadline)))
          throw new Error(`nothing matched ${pattern} in time; the stream carried: ${text}`)
      }
      return text
    },
    async ended() {
      const deadline = Date.now() + PATIENCE_MS
      while (!done) {
        if (!(await readOnce(deadline))) throw new Error('the stream did not end')
      }
    },
    text: () => text,
    async close() {
      if (!done) await reader?.cancel().catch(() => {})
      done = true
    },
  }
  streams.push(stream)
  return stream
}

/** The last event id of a ticket, as the page embeds it. */
async function lastEvent(db: Db, ticketId: number): Promise<number> {
  const row = await db
    .selectFrom('ticket_events')
    .select((eb) => eb.fn.max('id').as('last'))
    .where('ticket_id', '=', ticketId)
    .executeTakeFirst()
  return Number(row?.last ?? 0)
}

async function eventIds(db: Db, ticketId: number, kind: string): Promise<number[]> {
  const rows = await db
    .selectFrom('ticket_events')
    .select('id')
    .where('ticket_id', '=', ticketId)
    .where('kind', '=', kind)
    .orderBy('id')
    .execute()
  return rows.map((r) => r.id)
}

describe('live updates of the ticket page (SSE)', () => {
  test('a message and a status change by someone else reach the open page; its parts then show them', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const requester = await webUser(db)
    const executor = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, {
      requesterId: requester.user.id,
      assigneeId: executor.user.id,
      status: 'in_progress',
    })

    const page = await getPage(app, `/tickets/${ticket.id}`, requester)
    const after = Number(/data-live-after="(\d+)"/.exec(page.text)?.[1] ?? 'NaN')
    expect(page.text).toContain(`data-live="/tickets/${ticket.id}"`)
    const stream = await openStream(app, `/tickets/${ticket.id}/events?after=${after}`, requester)
    expect(stream.status).toBe(200)
    expect(stream.contentType).toMatch(/^text\/event-stream/)
    await stream.until(/retry: 3000/)

    const staff = actorFromUser(executor.user, 'api')
    await addMessage(db, staff, { ticketId: ticket.id, body: 'Уже идём к вам', internal: false })
    const [messageEvent] = await eventIds(db, ticket.id, 'message')
    await stream.until(
      new RegExp(`event: change\\ndata: \\{"event":${messageEvent},"late":false\\}\\nid: ${messageEvent}\\n`),
    )

    await changeStatus(db, staff, { ticketId: ticket.id, status: 'waiting' })
    const [statusEvent] = await eventIds(db, ticket.id, 'status_changed')
    await stream.until(new RegExp(`id: ${statusEvent}\\n`))
    // Ids only: the text of the message never travels in the stream.
    expect(stream.text()).not.toContain('Уже идём')

    const viewsBefore = await journalCount(db, 'ticket.view')
    const parts = await getPage(app, `/tickets/${ticket.id}/live`, requester)
    expect(parts.status).toBe(200)
    expect(parts.text).toContain('Уже идём к вам')
    expect(parts.text).toContain('status--waiting')
    expect(parts.text).toContain(`data-live-after="${statusEvent}"`)
    expect(parts.text).not.toContain('<html')
    expect(parts.text).not.toContain('data-reply')
    // Each refresh is a read of personal data, journaled like opening the page.
    expect(await journalCount(db, 'ticket.view')).toBe(viewsBefore + 1)
    await stream.close()
  })

  test('what changed between rendering the page and opening the stream is reported at once', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const requester = await webUser(db)
    const executor = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    const after = await lastEvent(db, ticket.id)
    await addMessage(db, actorFromUser(executor.user, 'web'), { ticketId: ticket.id, body: 'Ответ', internal: false })
    const [messageEvent] = await eventIds(db, ticket.id, 'message')
    const stream = await openStream(app, `/tickets/${ticket.id}/events?after=${after}`, requester)
    await stream.until(new RegExp(`id: ${messageEvent}\\n`))
    await stream.close()

    // A reconnecting browser names the last event it got (Last-Event-ID): that one is not sent again.
    const again = await openStream(app, `/tickets/${ticket.id}/events?after=0`, requester, {
      'last-event-id': String(messageEvent),
    })
    await again.until(/retry: 3000/)
    await changeStatus(db, actorFromUser(executor.user, 'web'), {
      ticketId: ticket.id,
      status: 'cancelled',
      reason: 'Дубль',
    })
    const [statusEvent] = await eventIds(db, ticket.id, 'status_changed')
    const text = await again.until(/id: \d+\n/)
    expect(/id: (\d+)\n/.exec(text)?.[1]).toBe(String(statusEvent))
    await again.close()
  })

  test("a requester's stream says nothing of internal notes; a staff member's does", async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const requester = await webUser(db)
    const executor = await webUser(db, { role: 'executor' })
    const curator = await webUser(db, { role: 'curator' })
    const ticket = await buildTicket(db, {
      requesterId: requester.user.id,
      assigneeId: executor.user.id,
      status: 'in_progress',
    })
    const after = await lastEvent(db, ticket.id)
    const theirs = await openStream(app, `/tickets/${ticket.id}/events?after=${after}`, requester)
    const staffs = await openStream(app, `/tickets/${ticket.id}/events?after=${after}`, curator)
    await theirs.until(/retry: 3000/)
    await staffs.until(/retry: 3000/)

    const actor = actorFromUser(executor.user, 'web')
    await addMessage(db, actor, { ticketId: ticket.id, body: 'Пароль от роутера: 12345', internal: true })
    const [noteEvent] = await eventIds(db, ticket.id, 'note')
    await staffs.until(new RegExp(`id: ${noteEvent}\\n`))
    await addMessage(db, actor, { ticketId: ticket.id, body: 'Готово', internal: false })
    const [messageEvent] = await eventIds(db, ticket.id, 'message')
    await theirs.until(new RegExp(`id: ${messageEvent}\\n`))
    expect(theirs.text()).not.toContain(`id: ${noteEvent}\n`)
    expect(theirs.text()).not.toContain('Пароль')

    const parts = await getPage(app, `/tickets/${ticket.id}/live`, requester)
    expect(parts.text).toContain('Готово')
    expect(parts.text).not.toContain('Пароль от роутера')
    await theirs.close()
    await staffs.close()
  })

  test("someone else's ticket, a missing one or no session: no stream", async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const requester = await webUser(db)
    const foreign = await buildTicket(db)
    const refused = await app.request(`/tickets/${foreign.id}/events`, { headers: { cookie: requester.cookie } })
    expect(refused.status).toBe(404)
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/)
    const missing = await app.request(`/tickets/${foreign.id + 1000}/events`, { headers: { cookie: requester.cookie } })
    expect(missing.status).toBe(404)
    expect((await getPage(app, `/tickets/${foreign.id}/live`, requester)).status).toBe(404)
    const anonymous = await app.request(`/tickets/${foreign.id}/events`)
    expect(anonymous.status).toBe(303)
    const denied = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'ticket.watch')
      .where('result', '=', 'denied')
      .execute()
    // A missing number is journaled like someone else's ticket: a requester cannot tell them apart.
    expect(denied).toMatchObject([
      { actor_id: requester.user.id, object_id: String(foreign.id), subject_id: foreign.requester_id },
      { actor_id: requester.user.id, object_id: String(foreign.id + 1000), subject_id: null },
    ])
  })

  test('one person may hold a bounded number of streams; a closed one frees its place', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const requester = await webUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    const open: LiveStream[] = []
    for (let i = 0; i < MAX_STREAMS_PER_USER; i++) {
      const s = await openStream(app, `/tickets/${ticket.id}/events`, requester)
      await s.until(/retry: 3000/)
      open.push(s)
    }
    const refused = await app.request(`/tickets/${ticket.id}/events`, { headers: { cookie: requester.cookie } })
    expect(refused.status).toBe(429)
    await open.pop()?.close()
    await expect
      .poll(async () => {
        const response = await app.request(`/tickets/${ticket.id}/events`, { headers: { cookie: requester.cookie } })
        await response.body?.cancel()
        return response.status
      })
      .toBe(200)
    for (const s of open) await s.close()
    await expect.poll(() => liveFeed(db).watchers).toBe(0)
  })

  test('stopping the server ends every stream', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const requester = await webUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    const stream = await openStream(app, `/tickets/${ticket.id}/events`, requester)
    await stream.until(/retry: 3000/)
    await stopLiveUpdates(db)
    await stream.ended()
  })

  test('a revoked session gets no new stream', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const requester = await webUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.user.id })
    await revokeUserSessions(db, requester.user.id)
    const response = await app.request(`/tickets/${ticket.id}/events`, { headers: { cookie: requester.cookie } })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toContain('/login')
  })

  test('an open stream ends once its right is gone (demotion, deactivation, revoked session); one’s own ticket stays', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = actorFromUser((await webUser(db, { role: 'admin' })).user, 'web')
    const staff = actorFromUser((await webUser(db, { role: 'executor' })).user, 'web')
    const demoted = await webUser(db, { role: 'executor' })
    const deactivated = await webUser(db, { role: 'executor' })
    const revoked = await webUser(db, { role: 'executor' })
    // An executor who filed a ticket of their own keeps watching it as a requester, without notes.
    const owner = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db)
    const own = await buildTicket(db, { requesterId: owner.user.id })
    const open = async (who: WebUser, id: number) => {
      const stream = await openStream(app, `/tickets/${id}/events?after=${await lastEvent(db, id)}`, who)
      await stream.until(/retry: 3000/)
      return stream
    }
    const foreignStreams = [await open(demoted, ticket.id), await open(deactivated, ticket.id)]
    const revokedStream = await open(revoked, ticket.id)
    const ownStream = await open(owner, own.id)

    await changeRole(db, admin, { userId: demoted.user.id, role: 'requester' })
    await changeRole(db, admin, { userId: owner.user.id, role: 'requester' })
    await deactivateUser(db, admin, { userId: deactivated.user.id })
    await revokeUserSessions(db, revoked.user.id)
    await addMessage(db, staff, { ticketId: ticket.id, body: 'Ответ', internal: false })
    await addMessage(db, staff, { ticketId: own.id, body: 'Заметка ИТ', internal: true })
    await addMessage(db, staff, { ticketId: own.id, body: 'Ответ', internal: false })
    const [message] = await eventIds(db, ticket.id, 'message')
    const [ownNote] = await eventIds(db, own.id, 'note')
    const [ownMessage] = await eventIds(db, own.id, 'message')

    for (const stream of [...foreignStreams, revokedStream]) {
      await stream.ended()
      expect(stream.text()).not.toContain(`id: ${message}\n`)
    }
    await ownStream.until(new RegExp(`id: ${ownMessage}\n`))
    expect(ownStream.text()).not.toContain(`"event":${ownNote},`)
    await ownStream.close()
  })

  // Defined for the one engine it concerns (not a skip on the other).
  if (testDialect() === 'sqlite')
    test('a change written through another connection (as by another server process) reaches the page', async () => {
      const folder = mkdtempSync(path.join(tmpdir(), 'helpdesk-live-'))
      const file = path.join(folder, 'helpdesk.sqlite')
      const serverDb = openDatabase({ kind: 'sqlite', file })
      const otherProcess = openDatabase({ kind: 'sqlite', file })
      try {
        await migrateToLatest(serverDb)
        const { app } = testApp(serverDb)
        const requester = await webUser(serverDb)
        const executor = await webUser(serverDb, { role: 'executor' })
        const ticket = await buildTicket(serverDb, { requesterId: requester.user.id })
        const stream = await openStream(
          app,
          `/tickets/${ticket.id}/events?after=${await lastEvent(serverDb, ticket.id)}`,
          requester,
        )
        await stream.until(/retry: 3000/)
        await addMessage(otherProcess, actorFromUser(executor.user, 'bot'), {
          ticketId: ticket.id,
          body: 'Из другого процесса',
          internal: false,
        })
        const [messageEvent] = await eventIds(serverDb, ticket.id, 'message')
        await stream.until(new RegExp(`id: ${messageEvent}\\n`))
        await stream.close()
      } finally {
        await stopLiveUpdates(serverDb)
        await otherProcess.destroy()
        await serverDb.destroy()
        rmSync(folder, { recursive: true, force: true })
      }
    })
})

// Suites for one engine are defined only on that engine (not reported as skipped on the other).
if (testDialect() === 'sqlite')
  describe('the real server', () => {
    test('stopping the server ends open live streams at once instead of waiting out the grace period', async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-live-serve-'))
      const config = testConfig({ dataDir, database: { kind: 'sqlite', file: path.join(dataDir, 'helpdesk.sqlite') } })
      // A grace longer than the test's own timeout: only the stop hook lets this test finish.
      const running = await serve(config, createLogger('silent'), { handleSignals: false, shutdownGraceMs: 120_000 })
      try {
        const requester = await webUser(running.db)
        const ticket = await buildTicket(running.db, { requesterId: requester.user.id })
        const response = await fetch(`${running.url}/tickets/${ticket.id}/events`, {
          headers: { cookie: requester.cookie },
        })
        expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
        const reader = response.body?.getReader()
        if (!reader) throw new Error('the live stream has no body')
        const first = await reader.read()
        expect(new TextDecoder().decode(first.value)).toContain('retry: 3000')
        const stopping = Date.now()
        await running.stop()
        let chunk = await reader.read()
        while (!chunk.done) chunk = await reader.read()
        // Ended by the stop hook, far sooner than the two-minute grace period.
        expect(Date.now() - stopping).toBeLessThan(15_000)
      } finally {
        await running.stop()
        rmSync(dataDir, { recursive: true, force: true })
      }
    })
  })

if (testDialect() === 'postgres')
  describe('the live feed', () => {
    test('an event that commits after a newer one still reaches the watchers, once (PostgreSQL sequences)', async () => {
      const { db } = await testDatabase()
      const ticket = await buildTicket(db)
      const feed = new LiveFeed(db)
      const seen: number[] = []
      const unsubscribe = feed.subscribe(ticket.id, {
        changed: (changes) => seen.push(...changes.map((change) => change.eventId)),
        closed: () => {},
      })
      await feed.ready()
      let release = () => {}
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      let slowId = 0
      let insertedSlow = () => {}
      const slowInserted = new Promise<void>((resolve) => {
        insertedSlow = resolve
      })
      const slow = db.transaction().execute(async (tx) => {
        slowId = await insertEvent(tx, ticket.id)
        insertedSlow()
        await gate
      })
      await slowInserted
      const fastId = await insertEvent(db, ticket.id)
      expect(fastId).toBeGreaterThan(slowId)
      await expect.poll(() => seen, { timeout: PATIENCE_MS }).toContain(fastId)
      expect(seen).not.toContain(slowId)
      release()
      await slow
      await expect.poll(() => seen, { timeout: PATIENCE_MS }).toContain(slowId)
      expect(seen.filter((id) => id === fastId || id === slowId)).toHaveLength(2)
      unsubscribe()
      await feed.stop()
    })
  })

async function insertEvent(db: Tx, ticketId: number): Promise<number> {
  const row = await db
    .insertInto('ticket_events')
    .values({
      ticket_id: ticketId,
      actor_id: null,
      kind: 'message',
      from_value: null,
      to_value: null,
      details: null,
      created_at: new Date().toISOString(),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

async function journalCount(db: Db, action: string): Promise<number> {
  const rows = await db
    .selectFrom('audit_log')
    .select('id')
    .where('action', '=', action)
    .where('result', '=', 'success')
    .execute()
  return rows.length
}
