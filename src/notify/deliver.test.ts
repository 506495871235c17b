import { performance } from 'node:perf_hooks'
import { beforeAll, beforeEach, describe, expect, test } from 'vitest'
import type { Db, OutboxRow, TicketMessage } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { clockAt, T0 } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import type { NoticeChannel, SendResult } from './channel.ts'
import { createSendPacing, type DrainOptions, drainOutbox, noticeBackoffMs, OUTBOX_CLAIM_MS } from './deliver.ts'
import { notifyUsers } from './outbox.ts'

/** One database per file (TESTING.md); each test starts from empty queue tables. */
let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})
beforeEach(async () => {
  for (const table of ['outbox'] as const) await db.deleteFrom(table).execute()
})

/** A fake of the outside world: records what was sent when, answers as told. */
interface FakeChannel extends NoticeChannel {
  calls: Array<{ id: number; recipient: string; at: number }>
}

function fakeChannel(answer: (row: OutboxRow, call: number) => SendResult = () => ({ ok: true }), name = 'telegram') {
  const channel: FakeChannel = {
    name,
    calls: [],
    async send(row) {
      channel.calls.push({ id: row.id, recipient: row.recipient, at: performance.now() })
      return answer(row, channel.calls.length)
    },
  }
  return channel
}

async function queueNotice(db: Db, recipient: string, overrides: Partial<OutboxRow> = {}): Promise<OutboxRow> {
  const at = now()
  return db
    .insertInto('outbox')
    .values({
      channel: 'telegram',
      recipient,
      kind: 'ticket_created',
      payload: '{}',
      status: 'pending',
      next_attempt_at: at,
      last_error: null,
      ticket_id: null,
      message_id: null,
      created_at: at,
      sent_at: null,
      ...overrides,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

async function outboxRow(db: Db, id: number): Promise<OutboxRow> {
  return db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

/** A staff reply on a ticket, waiting to reach the requester in Telegram, with its outbox row. */
async function replyAwaitingDelivery(db: Db) {
  const requester = await buildUser(db)
  const staff = await buildUser(db, { role: 'executor' })
  const ticket = await buildTicket(db, { requesterId: requester.id })
  const message: TicketMessage = await db
    .insertInto('ticket_messages')
    .values({
      ticket_id: ticket.id,
      author_id: staff.id,
      kind: 'external',
      body: 'Перезагрузите компьютер',
      source: 'web',
      created_at: now(),
      delivery_status: 'pending',
      telegram_message_id: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  await notifyUsers(db, [requester.id], { kind: 'ticket_message', ticketId: ticket.id, messageId: message.id })
  const row = await db.selectFrom('outbox').selectAll().where('message_id', '=', message.id).executeTakeFirstOrThrow()
  return { requester, ticket, message, row }
}

async function deliveryStatus(db: Db, messageId: number) {
  const m = await db
    .selectFrom('ticket_messages')
    .select('delivery_status')
    .where('id', '=', messageId)
    .executeTakeFirstOrThrow()
  return m.delivery_status
}

const fast: DrainOptions = { perChatIntervalMs: 0, globalPerSecond: 1000 }
/**
 * The fake reads its clock a few statements after the sender's; on a loaded machine the process may be
 * descheduled in between. Gaps are checked to this tolerance (the sender itself keeps a 1 ms margin).
 */
const JITTER_MS = 30

describe('outbox delivery', () => {
  test('due notices are sent and marked sent; future ones and other channels wait', async () => {
    clockAt(0)
    const due = await queueNotice(db, '111')
    const later = await queueNotice(db, '222', { next_attempt_at: new Date(T0 + 60_000).toISOString() })
    const elsewhere = await queueNotice(db, 'someone@example.org', { channel: 'email' })
    const channel = fakeChannel()
    const result = await drainOutbox(db, [channel], fast)
    expect(result).toEqual({ claimed: 1, sent: 1, retried: 0, failed: 0, deferred: 0 })
    expect(channel.calls.map((c) => c.id)).toEqual([due.id])
    expect(await outboxRow(db, due.id)).toMatchObject({ status: 'sent', attempts: 1, sent_at: now() })
    expect((await outboxRow(db, later.id)).status).toBe('pending')
    expect((await outboxRow(db, elsewhere.id)).status).toBe('pending')
    expect((await drainOutbox(db, [channel], fast)).claimed).toBe(0)
  })

  test("a delivered staff reply is marked sent on the ticket's message", async () => {
    const { message } = await replyAwaitingDelivery(db)
    await drainOutbox(db, [fakeChannel()], fast)
    expect(await deliveryStatus(db, message.id)).toBe('sent')
  })

  test('a failed send is retried with growing backoff, and not before', async () => {
    clockAt(0)
    const row = await queueNotice(db, '111')
    const channel = fakeChannel((_, call) => (call < 3 ? { ok: false, error: '502 Bad Gateway' } : { ok: true }))
    expect((await drainOutbox(db, [channel], fast)).retried).toBe(1)
    expect(await outboxRow(db, row.id)).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_error: '502 Bad Gateway',
      next_attempt_at: new Date(T0 + noticeBackoffMs(1)).toISOString(),
    })
    clockAt(noticeBackoffMs(1) - 1)
    await drainOutbox(db, [channel], fast)
    expect(channel.calls).toHaveLength(1)
    clockAt(noticeBackoffMs(1))
    await drainOutbox(db, [channel], fast)
    expect(channel.calls).toHaveLength(2)
    expect(noticeBackoffMs(2)).toBe(2 * noticeBackoffMs(1))
    clockAt(noticeBackoffMs(1) + noticeBackoffMs(2))
    expect((await drainOutbox(db, [channel], fast)).sent).toBe(1)
    expect(await outboxRow(db, row.id)).toMatchObject({ status: 'sent', attempts: 3, last_error: null })
  })

  test('retryBaseMs paces the retries from its own base, doubling', async () => {
    clockAt(0)
    const row = await queueNotice(db, '111')
    const channel = fakeChannel(() => ({ ok: false, error: '500' }))
    const options = { ...fast, retryBaseMs: 200 }
    await drainOutbox(db, [channel], options)
    expect((await outboxRow(db, row.id)).next_attempt_at).toBe(new Date(T0 + 200).toISOString())
    clockAt(200)
    await drainOutbox(db, [channel], options)
    expect((await outboxRow(db, row.id)).next_attempt_at).toBe(new Date(T0 + 200 + 400).toISOString())
    expect(channel.calls).toHaveLength(2)
  })

  test('a channel that throws counts as a failed attempt', async () => {
    const row = await queueNotice(db, '111')
    const channel: NoticeChannel = {
      name: 'telegram',
      send: async () => {
        throw new Error('socket hang up')
      },
    }
    expect((await drainOutbox(db, [channel], fast)).retried).toBe(1)
    expect(await outboxRow(db, row.id)).toMatchObject({ status: 'pending', last_error: 'socket hang up' })
  })

  test('after 12 attempts a notice fails for good, and so does its message', async () => {
    clockAt(0)
    const { message, row } = await replyAwaitingDelivery(db)
    const channel = fakeChannel(() => ({ ok: false, error: '500' }))
    let t = 0
    for (let attempt = 1; attempt <= 12; attempt++) {
      await drainOutbox(db, [channel], fast)
      t += noticeBackoffMs(attempt)
      clockAt(t)
    }
    expect(channel.calls).toHaveLength(12)
    expect(await outboxRow(db, row.id)).toMatchObject({ status: 'failed', attempts: 12, last_error: '500' })
    expect(await deliveryStatus(db, message.id)).toBe('failed')
    await drainOutbox(db, [channel], fast)
    expect(channel.calls).toHaveLength(12)
  })

  test('a notice still undelivered a day after it was queued fails', async () => {
    clockAt(0)
    const row = await queueNotice(db, '111')
    const channel = fakeChannel(() => ({ ok: false, error: 'timeout' }))
    await drainOutbox(db, [channel], fast)
    clockAt(24 * 60 * 60_000)
    await drainOutbox(db, [channel], fast)
    expect(await outboxRow(db, row.id)).toMatchObject({ status: 'failed', attempts: 2 })
  })

  test('a channel that asks to wait (retry_after) is not called again before that time', async () => {
    clockAt(0)
    const first = await queueNotice(db, '111')
    const second = await queueNotice(db, '222')
    const channel = fakeChannel((_, call) =>
      call === 1 ? { ok: false, retryAfterMs: 30_000, error: '429 Too Many Requests' } : { ok: true },
    )
    const pacing = createSendPacing()
    const options: DrainOptions = { ...fast, concurrency: 1, pacing }
    const result = await drainOutbox(db, [channel], options)
    expect(result).toMatchObject({ claimed: 2, retried: 1, deferred: 1, sent: 0 })
    expect(channel.calls).toHaveLength(1)
    // The wait does not use up an attempt of either notice.
    for (const id of [first.id, second.id]) {
      expect(await outboxRow(db, id)).toMatchObject({
        status: 'pending',
        attempts: 0,
        next_attempt_at: new Date(T0 + 30_000).toISOString(),
      })
    }

    clockAt(10_000)
    const third = await queueNotice(db, '333')
    await drainOutbox(db, [channel], options)
    clockAt(29_999)
    await drainOutbox(db, [channel], options)
    expect(channel.calls).toHaveLength(1)
    // Even another sender (without this one's memory) leaves the waiting rows alone.
    await drainOutbox(db, [channel], fast)
    expect(channel.calls.map((c) => c.id).filter((id) => id !== third.id)).toHaveLength(1)

    clockAt(30_000)
    await drainOutbox(db, [channel], options)
    for (const id of [first.id, second.id, third.id]) expect((await outboxRow(db, id)).status).toBe('sent')
  })

  test('at most one message a second goes to one chat, and other chats are not held up', async () => {
    for (let i = 0; i < 3; i++) await queueNotice(db, 'busy')
    const other = await queueNotice(db, 'other')
    const channel = fakeChannel()
    const interval = 250
    await drainOutbox(db, [channel], { perChatIntervalMs: interval, globalPerSecond: 1000 })
    const busy = channel.calls.filter((c) => c.recipient === 'busy')
    expect(busy).toHaveLength(3)
    for (let i = 1; i < busy.length; i++) {
      expect((busy[i]?.at ?? 0) - (busy[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(interval - JITTER_MS)
    }
    const otherCall = channel.calls.find((c) => c.id === other.id)
    expect(otherCall?.at).toBeLessThan(busy[1]?.at ?? 0)
  })

  test('the per-chat pace holds from one drain to the next', async () => {
    const channel = fakeChannel()
    const pacing = createSendPacing()
    const options: DrainOptions = { perChatIntervalMs: 300, globalPerSecond: 1000, pacing }
    await queueNotice(db, 'chat')
    await drainOutbox(db, [channel], options)
    await queueNotice(db, 'chat')
    await drainOutbox(db, [channel], options)
    const [a, b] = channel.calls
    expect((b?.at ?? 0) - (a?.at ?? 0)).toBeGreaterThanOrEqual(300 - JITTER_MS)
  })

  test('no more than the global rate goes out in any second', async () => {
    const perSecond = 5
    for (let i = 0; i < 12; i++) await queueNotice(db, `chat-${i}`)
    const channel = fakeChannel()
    const result = await drainOutbox(db, [channel], { perChatIntervalMs: 0, globalPerSecond: perSecond })
    expect(result.sent).toBe(12)
    const times = channel.calls.map((c) => c.at).sort((x, y) => x - y)
    for (let i = 0; i + perSecond < times.length; i++) {
      expect((times[i + perSecond] ?? 0) - (times[i] ?? 0)).toBeGreaterThanOrEqual(1000 - JITTER_MS)
    }
  }, 10_000)

  test('a recipient who blocked the bot is marked blocked, and their message and other notices fail', async () => {
    clockAt(0)
    const { requester, message, row } = await replyAwaitingDelivery(db)
    await notifyUsers(db, [requester.id], { kind: 'ticket_resolved' })
    const bystander = await queueNotice(db, 'someone-else')
    const channel = fakeChannel((r) =>
      r.recipient === requester.telegram_chat_id
        ? { ok: false, permanent: true, error: '403 Forbidden: bot was blocked by the user' }
        : { ok: true },
    )
    const result = await drainOutbox(db, [channel], { ...fast, concurrency: 1, limit: 1 })
    expect(result.failed).toBe(1)
    expect(await outboxRow(db, row.id)).toMatchObject({ status: 'failed', attempts: 1 })
    expect(await deliveryStatus(db, message.id)).toBe('failed')
    const user = await db.selectFrom('users').selectAll().where('id', '=', requester.id).executeTakeFirstOrThrow()
    expect(user.telegram_blocked_at).toBe(now())
    const others = await db.selectFrom('outbox').selectAll().where('recipient', '=', row.recipient).execute()
    expect(others.map((o) => o.status)).toEqual(['failed', 'failed'])

    await drainOutbox(db, [channel], fast)
    expect(channel.calls.map((c) => c.id)).toEqual([row.id, bystander.id])
    expect(await notifyUsers(db, [requester.id], { kind: 'ticket_closed' })).toBe(0)
  })

  test('a notice stuck in sending (its sender died) is taken back after five minutes', async () => {
    clockAt(0)
    // What a claim leaves behind when the process dies before marking the row.
    const stuck = await queueNotice(db, '111', {
      status: 'sending',
      attempts: 1,
      next_attempt_at: new Date(T0 + OUTBOX_CLAIM_MS).toISOString(),
    })
    const channel = fakeChannel()
    clockAt(OUTBOX_CLAIM_MS - 1)
    await drainOutbox(db, [channel], fast)
    expect(channel.calls).toEqual([])
    expect((await outboxRow(db, stuck.id)).status).toBe('sending')
    clockAt(OUTBOX_CLAIM_MS)
    expect((await drainOutbox(db, [channel], fast)).sent).toBe(1)
    expect(await outboxRow(db, stuck.id)).toMatchObject({ status: 'sent', attempts: 2 })
  })

  test('two senders at once never send the same notice', async () => {
    const total = 40
    for (let i = 0; i < total; i++) await queueNotice(db, `chat-${i}`)
    const a = fakeChannel()
    const b = fakeChannel()
    const drainAll = async (channel: FakeChannel) => {
      while ((await drainOutbox(db, [channel], { ...fast, limit: 5 })).claimed > 0) {}
    }
    await Promise.all([drainAll(a), drainAll(b), drainAll(a), drainAll(b)])
    const ids = [...a.calls, ...b.calls].map((c) => c.id)
    expect(ids).toHaveLength(total)
    expect(new Set(ids).size).toBe(total)
    const sent = await db.selectFrom('outbox').select('id').where('status', '=', 'sent').execute()
    expect(sent).toHaveLength(total)
  })
})
