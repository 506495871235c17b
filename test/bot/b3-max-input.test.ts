import fc from 'fast-check'
import { sql } from 'kysely'
import { afterEach, expect, test } from 'vitest'
import { createApp } from '#src/app.ts'
import type { Db } from '#src/db/schema.ts'
import { maxUpdateKey } from '#src/max/max-conversation.ts'
import { MAX_SERVED_TYPES } from '#src/max/max-polling.ts'
import type { MaxUpdate } from '#src/max/max-types.ts'
import { MAX_WEBHOOK_BODY_LIMIT, MAX_WEBHOOK_PATH } from '#src/max/start-max.ts'
import { callback } from '#src/notify/callback-data.ts'
import { currentConsentText } from '#src/users/consent.ts'
import { buildDepartment, buildUser } from '../support/factories.ts'
import { type MaxHarness, maxHarness } from '../support/max-harness.ts'
import { buildTicket } from '../support/ticket-factory.ts'
import { botDialects, databaseFor } from './dialects.ts'

/**
 * B3 (TESTING.md) for the MAX bot (issue 15): generated odd and hostile MAX updates, through long polling (the fake
 * MAX server hands them out in batches) and posted to the webhook route (`createApp` in MAX_MODE=webhook). Wrong
 * types in every field the mapping reads, missing fields, texts past MAX's 4 000 characters, NUL, RTL overrides, lone
 * surrogates, ids at the edges, update types the bot does not serve or that do not exist, group chats and channels,
 * presses of messages that do not exist with forged payloads naming other people's tickets, forged contacts (another
 * account's, a vCard without a phone), attachments without a URL or with one that leads nowhere, starts with odd
 * deep-link payloads, stops — from registered people in every state and from strangers. Must hold:
 * - no update fails (none throws, none is given up), the poller never stalls, the route answers 200 — or 400 for a
 *   body that is no update, 413 past its limit, 401 without the secret — never a 5xx;
 * - every update the bot receives is recorded once in `max_inbox` (by `maxUpdateKey`), and a second delivery of it
 *   has no effect;
 * - an update the bot does not serve (another type, a group chat, a malformed one) changes nothing;
 * - the business tables change only as odd input may change them: a stop marks the person blocked in MAX; a refusal
 *   of consent is recorded (anonymous); a forged press is journaled as denied — no person, ticket or message appears
 *   or changes (registration cannot finish: the only department is closed; the active person owns no ticket);
 * - afterwards the bot answers a normal person;
 * - none of the people's data (names, phones, texts — canaries planted in the updates) reaches the logs.
 *
 * Generated with fast-check from a seed printed in the test names; B3_MAX_SEED replays a run.
 */

const SEED = Number(process.env.B3_MAX_SEED ?? Date.now() % 1_000_000_000)
/** Updates per path and database (a run of all four takes some 40 s). */
const RUNS = { sqlite: { polled: 2000, posted: 2000 }, postgres: { polled: 2000, posted: 2000 } } as const

/** Personal data planted in the updates: none may reach a log line. */
const CANARY = {
  name: 'Канареечкина',
  lastName: 'Щеглова-Секретная',
  username: 'canary_person_7391',
  phone: '79995550011',
  text: 'пароль-от-почты-Q7391',
} as const

let h: MaxHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

interface World {
  ids: number[]
  departmentId: number
  pendingId: number
  ticketIds: number[]
  /** A file the fake serves (a real download for the active person). */
  fileUrl: string
  apiRoot: string
}

/** People registered in MAX in every state, strangers, ids at MAX's edges, other people's tickets. */
async function buildWorld(harness: MaxHarness): Promise<World> {
  const { db, fake } = harness
  // The first consent text is published on first use (journaled): before the snapshot, not during it.
  await currentConsentText(db)
  const department = await buildDepartment(db)
  await db.updateTable('departments').set({ active: 0 }).where('id', '=', department.id).execute()
  const inMax = async (maxId: number, status: 'pending' | 'rejected' | 'deactivated' | 'active') => {
    const user = await buildUser(db, { status, telegramChatId: null, consent: status === 'active' })
    await db
      .updateTable('users')
      .set({ max_user_id: String(maxId) })
      .where('id', '=', user.id)
      .execute()
    return user
  }
  const pending = await inMax(9101, 'pending')
  await inMax(9102, 'rejected')
  await inMax(9103, 'deactivated')
  await inMax(9104, 'active')
  // Tickets of someone outside the generated ids, in every stage where a button could act on them.
  const owner = await inMax(9199, 'active')
  const ticketIds: number[] = []
  for (const status of ['new', 'in_progress', 'waiting', 'resolved', 'closed'] as const) {
    ticketIds.push((await buildTicket(db, { requesterId: owner.id, status })).id)
  }
  // A real file at the fake (the person's photo), for the downloads that do succeed.
  fake.user(9104).sendPhoto({ size: 2000 })
  const photo = fake.pendingUpdates().at(-1)?.update as MaxUpdate & { update_type: 'message_created' }
  const attachment = photo.message.body.attachments?.[0] as { payload: { url: string } }
  return {
    ids: [9101, 9102, 9103, 9104, 9105, 9106, Number.MAX_SAFE_INTEGER, 1],
    departmentId: department.id,
    pendingId: pending.id,
    ticketIds,
    fileUrl: attachment.payload.url,
    apiRoot: fake.apiRoot,
  }
}

const oddChars = fc.constantFrom('\u0000', '\u202E', '\u200F', '\u200B', '\uFEFF', '\uD800', '\uDFFF', '🩺', '\n', '\t')
const oddText = fc
  .array(fc.oneof(fc.string({ maxLength: 12, unit: 'binary' }), oddChars), { maxLength: 12 })
  .map((parts) => parts.join(''))
/** Past MAX's 4 000 characters; some past the webhook's body limit. */
const longText = fc.oneof(
  fc
    .tuple(fc.integer({ min: 4000, max: 5200 }), fc.constantFrom('я', 'a', '\u202E', '\u0000', '🩺'))
    .map(([length, unit]) => unit.repeat(length)),
  { weight: 1, arbitrary: fc.constant('ы'.repeat(MAX_WEBHOOK_BODY_LIMIT)) },
)
/** Values of the wrong type wherever a field is expected. */
const wrong = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 8 }),
  fc.constant([]),
  fc.constant({}),
  fc.constant(Number.MAX_SAFE_INTEGER),
  fc.constant(-1),
)

function generators(world: World) {
  const bigIds = fc.constantFrom(0, -1, 2_147_483_648, Number.MAX_SAFE_INTEGER, 1e20, 1.5)
  const userId = fc.oneof(fc.constantFrom(...world.ids), bigIds)
  const timestamp = fc.oneof(fc.integer({ min: 1_764_000_000_000, max: 1_800_000_000_000 }), fc.constantFrom(0, -1))
  const text = fc.oneof(
    // Commands and menu texts that lead nowhere a ticket is filed.
    fc.constantFrom(
      '/start',
      '/help',
      '/cancel',
      '/my',
      '/start payload',
      '/unknown',
      'Отмена',
      'Помощь',
      'Пропустить',
    ),
    fc.constantFrom('Иванов Иван Иванович', 'Медсестра', 'Корпус 2, каб. 14', '', CANARY.text),
    oddText,
    longText,
  )
  const ticketId = fc.oneof(fc.constantFrom(...world.ticketIds), bigIds)
  const payload = fc.oneof(
    fc.constantFrom(
      callback.consent('yes'),
      callback.consent('no'),
      callback.cancel(),
      callback.departmentPage(0),
      callback.departmentPage(9999),
      callback.departmentPick(world.departmentId),
      callback.registration('ok', world.pendingId),
      callback.registration('no', world.pendingId),
      'r:ok:abc',
      'd:pick:-1',
      `t:take:${'9'.repeat(40)}`,
      '',
      ':',
      'c:maybe',
      'x'.repeat(1025),
    ),
    ticketId.map((id) => `t:take:${id}`),
    ticketId.map((id) => `t:confirm:${id}`),
    ticketId.map((id) => `t:reopen:${id}`),
    ticketId.map((id) => `t:reply:${id}`),
    ticketId.map((id) => `t:open:${id}`),
    fc.tuple(ticketId, fc.integer({ min: -1, max: 7 })).map(([id, r]) => `t:rate:${id}:${r}`),
    fc.string({ maxLength: 80, unit: 'binary' }),
    wrong,
  )
  const user = fc.record(
    {
      user_id: fc.oneof(userId, wrong),
      first_name: fc.oneof(fc.constant(CANARY.name), oddText, wrong),
      last_name: fc.oneof(fc.constant(CANARY.lastName), wrong),
      username: fc.oneof(fc.constant(CANARY.username), wrong),
      is_bot: fc.oneof(fc.constant(false), fc.constant(false), fc.boolean(), wrong),
      last_activity_time: timestamp,
    },
    { requiredKeys: ['user_id'] },
  )
  const mid = fc.oneof(
    fc.integer({ min: 1, max: 3000 }).map((n) => `mid.${n.toString(16).padStart(16, '0')}`),
    fc.constantFrom('', 'mid.', `mid.${'f'.repeat(500)}`, '\u0000', 'mid.\u202E'),
    wrong,
  )
  const fileUrl = fc.oneof(
    fc.constant(world.fileUrl),
    fc.constantFrom(
      `${world.apiRoot}/files/999999?sig=f999999`,
      `${world.apiRoot}/files/1?sig=forged`,
      'file:///etc/passwd',
      'javascript:alert(1)',
      '',
      'http://',
    ),
    wrong,
  )
  const vcard = fc.oneof(
    fc.constant(`BEGIN:VCARD\r\nVERSION:3.0\r\nFN:${CANARY.name}\r\nTEL;TYPE=cell:+${CANARY.phone}\r\nEND:VCARD\r\n`),
    fc.constant('BEGIN:VCARD\r\nFN:Без телефона\r\nEND:VCARD'),
    fc.constant(`TEL:${'9'.repeat(5000)}`),
    oddText,
    wrong,
  )
  const attachment = fc.oneof(
    // Media with and without a URL, with sizes past the limit, with payloads of the wrong shape.
    fc.record(
      {
        type: fc.constantFrom('image', 'file', 'video', 'audio'),
        payload: fc.oneof(
          fc.record({ url: fileUrl, token: fc.oneof(fc.string({ maxLength: 8 }), wrong) }, { requiredKeys: [] }),
          wrong,
        ),
        filename: fc.oneof(fc.constantFrom('../../etc/passwd', 'a\u0000.exe', 'отчёт.pdf', 'x'.repeat(300)), wrong),
        size: fc.oneof(fc.constantFrom(0, 1, 20 * 1024 * 1024 + 1, Number.MAX_SAFE_INTEGER, -5), wrong),
      },
      { requiredKeys: ['type'] },
    ),
    // Contacts: one's own, another account's (forged), none, a vCard without a phone.
    fc.record(
      {
        type: fc.constant('contact'),
        payload: fc.oneof(
          fc.record(
            {
              vcf_info: vcard,
              hash: fc.oneof(fc.string({ maxLength: 12 }), wrong),
              max_info: fc.oneof(user, wrong),
            },
            { requiredKeys: [] },
          ),
          wrong,
        ),
      },
      { requiredKeys: ['type'] },
    ),
    fc.record({ type: fc.constantFrom('sticker', 'location', 'share', 'inline_keyboard', 'future'), payload: wrong }),
    fc.record({ type: wrong, payload: wrong }),
    wrong,
  )
  const recipient = fc.record(
    {
      chat_id: fc.oneof(userId, wrong),
      chat_type: fc.oneof(fc.constantFrom('dialog', 'dialog', 'dialog', 'chat', 'channel', 'secret'), wrong),
      user_id: fc.oneof(userId, wrong),
    },
    { requiredKeys: [] },
  )
  const body = fc.record(
    {
      mid,
      seq: fc.oneof(fc.integer(), wrong),
      text: fc.oneof(text, wrong),
      attachments: fc.oneof(fc.array(attachment, { maxLength: 4 }), wrong),
    },
    { requiredKeys: [] },
  )
  const message = fc.record(
    {
      sender: fc.oneof(user, wrong),
      recipient: fc.oneof(recipient, wrong),
      timestamp: fc.oneof(timestamp, wrong),
      body: fc.oneof(body, wrong),
      link: fc.oneof(
        fc.record({ type: fc.constantFrom('reply', 'forward', 'quote'), message: fc.oneof(body, wrong) }),
        wrong,
      ),
      unknown_field: wrong,
    },
    // A message that is not all there: any field may be missing, even its body.
    { requiredKeys: [] },
  )

  // Well-formed updates in a dialog with odd content: they pass the schema and reach the bot's features.
  const person = fc.constantFrom(...world.ids.slice(0, 6)).map((id) => ({
    user: { user_id: id, first_name: CANARY.name, last_name: CANARY.lastName, username: null, is_bot: false },
    recipient: { chat_id: 50_000_000 + id, chat_type: 'dialog', user_id: 7_000_001 },
  }))
  const plainMessage = fc
    .tuple(
      person,
      mid.filter((m) => typeof m === 'string' && m !== ''),
      text,
      timestamp,
    )
    .map(([p, m, t, at]) => ({
      update_type: 'message_created',
      timestamp: at,
      message: { sender: p.user, recipient: p.recipient, timestamp: at, body: { mid: m, seq: 1, text: t } },
    }))
  const plainAttachments = fc
    .tuple(person, fc.integer({ min: 1, max: 3000 }), fc.array(attachment, { minLength: 1, maxLength: 3 }), text)
    .map(([p, n, attachments, t]) => ({
      update_type: 'message_created',
      timestamp: 1_764_000_000_000,
      message: {
        sender: p.user,
        recipient: p.recipient,
        timestamp: 1_764_000_000_000,
        body: { mid: `mid.a${n}`, seq: 2, text: t, attachments },
      },
    }))
  // Presses of messages that do not exist (or were deleted: null), with forged payloads.
  const plainPress = fc
    .tuple(person, fc.string({ minLength: 1, maxLength: 24 }), payload, fc.oneof(fc.constant(null), mid))
    .map(([p, id, data, pressed]) => ({
      update_type: 'message_callback',
      timestamp: 1_764_000_000_000,
      callback: { timestamp: 1_764_000_000_000, callback_id: id, payload: data, user: p.user },
      message:
        pressed === null
          ? null
          : {
              sender: { user_id: 7_000_001, first_name: 'Helpdesk', username: 'helpdesk_test_bot', is_bot: true },
              recipient: p.recipient,
              timestamp: 1_764_000_000_000,
              body: { mid: pressed, seq: 3, text: 'кнопки' },
            },
    }))
  const plainStart = fc
    .tuple(
      person,
      timestamp,
      fc.oneof(fc.constantFrom('link_ABCDEF', 'link_', 'eq_1', 'eq_999999', '', '  ', 'x'.repeat(600)), oddText, wrong),
    )
    .map(([p, at, start]) => ({
      update_type: 'bot_started',
      timestamp: at,
      chat_id: p.recipient.chat_id,
      user: p.user,
      payload: start,
    }))
  const plainStop = fc
    .tuple(person, timestamp, fc.constantFrom('bot_stopped', 'dialog_removed'))
    .map(([p, at, type]) => ({
      update_type: type,
      timestamp: at,
      chat_id: p.recipient.chat_id,
      user: p.user,
    }))

  const served = fc.constantFrom(...MAX_SERVED_TYPES)
  const otherType = fc.oneof(
    fc.constantFrom(
      'message_edited',
      'message_removed',
      'bot_added',
      'bot_removed',
      'user_added',
      'user_removed',
      'chat_title_changed',
      'dialog_cleared',
      'dialog_muted',
      'message_chat_created',
      'future_update',
    ),
    fc.string({ maxLength: 20 }),
  )
  return fc.oneof(
    { weight: 5, arbitrary: plainMessage },
    { weight: 2, arbitrary: plainAttachments },
    { weight: 4, arbitrary: plainPress },
    { weight: 2, arbitrary: plainStart },
    { weight: 1, arbitrary: plainStop },
    // A served type with any of its fields odd or missing.
    {
      weight: 4,
      arbitrary: fc.record(
        { update_type: served, timestamp: fc.oneof(timestamp, wrong), message: fc.oneof(message, wrong) },
        { requiredKeys: ['update_type'] },
      ),
    },
    {
      weight: 3,
      arbitrary: fc.record(
        {
          update_type: served,
          timestamp: fc.oneof(timestamp, wrong),
          callback: fc.oneof(
            fc.record(
              {
                callback_id: fc.oneof(fc.string({ maxLength: 300 }), wrong),
                payload,
                user: fc.oneof(user, wrong),
                timestamp,
              },
              { requiredKeys: [] },
            ),
            wrong,
          ),
          message: fc.oneof(message, wrong),
        },
        { requiredKeys: ['update_type'] },
      ),
    },
    {
      weight: 2,
      arbitrary: fc.record(
        {
          update_type: served,
          timestamp: fc.oneof(timestamp, wrong),
          chat_id: fc.oneof(userId, wrong),
          user: fc.oneof(user, wrong),
          payload: fc.oneof(oddText, wrong),
        },
        { requiredKeys: ['update_type'] },
      ),
    },
    // Types the bot does not ask for, or that do not exist.
    {
      weight: 2,
      arbitrary: fc.record(
        { update_type: otherType, timestamp, chat_id: userId, user, message, message_id: mid },
        { requiredKeys: ['update_type'] },
      ),
    },
    // No type, or one that is no string.
    { weight: 1, arbitrary: fc.record({ update_type: wrong, message }, { requiredKeys: [] }) },
  )
}

/** What MAX would put on the wire: JSON (undefined fields vanish). */
function wire(sample: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(sample)) as Record<string, unknown>
}

/** Whether the bot serves this update: a served type that is not malformed, in a dialog (create-bot.ts decides more). */
function mayAct(update: Record<string, unknown>): boolean {
  const type = update.update_type
  if (type === 'bot_stopped' || type === 'dialog_removed') return true
  if (typeof type !== 'string' || !(MAX_SERVED_TYPES as readonly string[]).includes(type)) return false
  const message = update.message as { recipient?: { chat_type?: unknown } } | null | undefined
  if (type === 'message_created') return message?.recipient?.chat_type === 'dialog'
  return true
}

interface Snapshot {
  users: unknown[]
  tickets: unknown[]
  ticketMessages: unknown[]
  ticketEvents: unknown[]
  attachments: unknown[]
  consentRecords: Array<{ id: number; status: string; user_id: number | null }>
  audit: Array<{ id: number; result: string; action: string }>
}

async function business(db: Db): Promise<Snapshot> {
  const users = await db.selectFrom('users').selectAll().orderBy('id').execute()
  return {
    // What writing to the bot may change of a person: the messenger they wrote from last, and a stop marks them
    // blocked in MAX.
    users: users.map(({ max_blocked_at: _blocked, messenger: _messenger, ...user }) => user),
    tickets: await db.selectFrom('tickets').selectAll().orderBy('id').execute(),
    ticketMessages: await db.selectFrom('ticket_messages').selectAll().orderBy('id').execute(),
    ticketEvents: await db.selectFrom('ticket_events').selectAll().orderBy('id').execute(),
    attachments: await db.selectFrom('attachments').selectAll().orderBy('id').execute(),
    consentRecords: await db.selectFrom('consent_records').select(['id', 'status', 'user_id']).orderBy('id').execute(),
    audit: await db.selectFrom('audit_log').select(['id', 'result', 'action']).orderBy('id').execute(),
  }
}

/** What an update outside the served ones (or a second delivery of any) must leave exactly as it was. */
async function botState(db: Db): Promise<string> {
  const tally = (table: 'outbox' | 'consent_records' | 'audit_log' | 'max_messages') =>
    db
      .selectFrom(table)
      .select([sql<number>`count(*)`.as('n'), sql<number>`max(id)`.as('last')])
      .executeTakeFirst()
  const conversations = await db
    .selectFrom('bot_conversations')
    .select(['chat_id', 'state'])
    .orderBy('chat_id')
    .execute()
  const blocked = await db.selectFrom('users').select(['id', 'max_blocked_at']).orderBy('id').execute()
  return JSON.stringify([
    await tally('outbox'),
    await tally('consent_records'),
    await tally('audit_log'),
    await tally('max_messages'),
    conversations,
    blocked,
  ])
}

const journaledReads = ['ticket.list', 'ticket.view', 'ticket.file_view', 'user.list', 'user.view']

/** Odd input may record an anonymous refusal of consent, journal denials and reads, block a person in MAX. */
function expectOnlyAllowedChanges(before: Snapshot, after: Snapshot): void {
  expect(after.users).toEqual(before.users)
  expect(after.tickets).toEqual(before.tickets)
  expect(after.ticketMessages).toEqual(before.ticketMessages)
  expect(after.ticketEvents).toEqual(before.ticketEvents)
  expect(after.attachments).toEqual(before.attachments)
  expect(after.consentRecords.slice(0, before.consentRecords.length)).toEqual(before.consentRecords)
  for (const record of after.consentRecords.slice(before.consentRecords.length)) {
    expect(record).toMatchObject({ status: 'refused', user_id: null })
  }
  expect(after.audit.slice(0, before.audit.length)).toEqual(before.audit)
  for (const row of after.audit.slice(before.audit.length)) {
    expect(row.result === 'denied' || journaledReads.includes(row.action), `${row.action} ${row.result}`).toBe(true)
  }
}

function failures(harness: MaxHarness): unknown[] {
  return harness.logs.filter(
    (l) => l.msg === 'bot update failed' || l.msg === 'bot update given up, recorded as failed',
  )
}

/** No log line carries a canary (nor the normal person's name). */
function expectNoPersonalDataLogged(harness: MaxHarness, extra: string[]): void {
  const logged = JSON.stringify(harness.logs)
  for (const canary of [...Object.values(CANARY), ...extra]) expect(logged.includes(canary), canary).toBe(false)
  // Nor a person's MAX id (apply-update.ts: «never texts, names or chat ids»): the inbox key of a start or a stop is
  // made of it, so a logged key must not carry it.
  const keys = harness.logs.flatMap((l) => (typeof l.updateKey === 'string' ? [l.updateKey] : []))
  expect(keys.length).toBeGreaterThan(0)
  expect(keys.filter((k) => /:(910[1-6]|9300|9301):/.test(k))).toEqual([])
}

async function inboxKeys(db: Db): Promise<{ keys: string[]; failed: string[] }> {
  const rows = await db.selectFrom('max_inbox').select(['update_key', 'kind']).execute()
  return {
    keys: rows.map((r) => r.update_key).sort(),
    failed: rows.filter((r) => r.kind.startsWith('failed:')).map((r) => r.update_key),
  }
}

/** Replies the bot wrote (outbox rows): how far the odd updates reached into the dialogues. */
async function repliedUpdates(db: Db): Promise<number> {
  const row = await db.selectFrom('outbox').select(sql<number>`count(*)`.as('n')).executeTakeFirst()
  return Number(row?.n ?? 0)
}

/** A normal person opens the dialog and gets the consent text: the bot still serves. */
const CONSENT_HEADING = 'Согласие на обработку персональных данных'

const dialects = botDialects.map((dialect) => ({ dialect, ...RUNS[dialect] }))

test.each(dialects)(
  `$polled odd MAX updates through long polling ($dialect): none fails, each recorded once, the bot still serves (seed ${SEED})`,
  async ({ dialect, polled }) => {
    h = await maxHarness({ db: await databaseFor(dialect) })
    const harness = h
    const world = await buildWorld(harness)
    // The photo made for its URL is the first update the poller sees (without a marker MAX hands out only the
    // latest one); it is applied, and the marker stored, before the run.
    const photo = harness.fake.pendingUpdates().at(-1)?.update as MaxUpdate
    harness.poll()
    await harness.fake.waitForConfirmed(30_000)
    const before = await business(harness.db)
    const samples = fc.sample(generators(world), { numRuns: polled, seed: SEED }).map(wire)
    for (const update of samples) harness.fake.rawUpdate(update)
    const normal = harness.fake.user(9300, { firstName: 'Обычнова' })
    normal.start()
    const start = harness.fake.pendingUpdates().at(-1)?.update as MaxUpdate
    await harness.fake.waitForConfirmed(240_000)
    await harness.deliver()
    expect(normal.lastBotMessage()?.body.text).toContain(CONSENT_HEADING)

    expect(failures(harness)).toEqual([])
    // Every update of a type the bot asks MAX for was recorded once; the rest MAX passed over with the marker.
    const served = samples.filter(
      (u) => typeof u.update_type === 'string' && (MAX_SERVED_TYPES as readonly string[]).includes(u.update_type),
    )
    expect(served.length).toBeGreaterThan(polled / 2)
    const expected = new Set([photo, ...served, start].map((u) => maxUpdateKey(u as MaxUpdate)))
    const inbox = await inboxKeys(harness.db)
    expect(inbox.failed).toEqual([])
    expect(inbox.keys).toEqual([...expected].sort())
    // The generator reached the bot's features, not only its filters: many updates were answered.
    const answered = await repliedUpdates(harness.db)
    process.stdout.write(
      `B3 MAX polled (${dialect}): ${samples.length} updates, ${served.length} served, ${answered} replies\n`,
    )
    expect(answered).toBeGreaterThan(polled / 8)
    expectOnlyAllowedChanges(before, await business(harness.db))
    expectNoPersonalDataLogged(harness, ['Обычнова'])
  },
  300_000,
)

test.each(dialects)(
  `$posted odd MAX bodies posted to the webhook ($dialect): 200/400/413, never a 5xx, each recorded once, a second delivery without effect (seed ${SEED})`,
  async ({ dialect, posted }) => {
    h = await maxHarness({ db: await databaseFor(dialect) })
    const harness = h
    const world = await buildWorld(harness)
    const before = await business(harness.db)
    const config = {
      ...harness.config,
      max: { ...harness.config.max, mode: 'webhook' as const },
    } as typeof harness.config
    const app = createApp(
      { db: harness.db, config, logger: harness.logger },
      { max: { applier: harness.applier, ready: () => true } },
    )
    const updates = fc.sample(generators(world), { numRuns: posted, seed: SEED + 1 }).map(wire)
    const bodies = fc.sample(
      fc.oneof(
        { weight: 8, arbitrary: fc.constantFrom(...updates).map((u) => JSON.stringify(u)) },
        // No update at all: JSON of any kind, or no JSON.
        { weight: 1, arbitrary: fc.json() },
        { weight: 1, arbitrary: fc.string({ maxLength: 200, unit: 'binary' }) },
      ),
      { numRuns: posted, seed: SEED + 2 },
    )
    const post = (body: string, secret = 'test-max-webhook-secret') =>
      app.request(MAX_WEBHOOK_PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Max-Bot-Api-Secret': secret },
        body,
      })
    const statuses = new Map<number, number>()
    const accepted = new Set<string>()
    for (const body of bodies) {
      const parsed = parseOrUndefined(body)
      const isUpdate =
        typeof parsed === 'object' &&
        parsed !== null &&
        !Array.isArray(parsed) &&
        typeof (parsed as { update_type?: unknown }).update_type === 'string'
      const expected = Buffer.byteLength(body) > MAX_WEBHOOK_BODY_LIMIT ? 413 : isUpdate ? 200 : 400
      const state = await botState(harness.db)
      // Without the secret: refused (past the limit, before that), nothing read or changed.
      expect((await post(body, 'wrong-secret')).status).toBe(expected === 413 ? 413 : 401)
      const response = await post(body)
      // On a failure, what the applier logged of it (error names and frames, never the update) names the cause.
      expect(response.status, `${body.slice(0, 300)} ${JSON.stringify(failures(harness)).slice(0, 1500)}`).toBe(
        expected,
      )
      statuses.set(expected, (statuses.get(expected) ?? 0) + 1)
      const after = await botState(harness.db)
      if (expected !== 200 || !mayAct(parsed as Record<string, unknown>)) expect(after, body.slice(0, 300)).toBe(state)
      if (expected === 200) accepted.add(maxUpdateKey(parsed as MaxUpdate))
      // MAX delivers again when unsure: the second delivery has no effect.
      expect((await post(body)).status).toBe(expected)
      expect(await botState(harness.db), body.slice(0, 300)).toBe(after)
    }
    expect([...statuses.keys()].sort()).toEqual([200, 400, 413])
    const answered = await repliedUpdates(harness.db)
    process.stdout.write(
      `B3 MAX posted (${dialect}): ${bodies.length} bodies, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${answered} replies\n`,
    )
    expect(answered).toBeGreaterThan(posted / 16)
    expect(failures(harness)).toEqual([])
    const inbox = await inboxKeys(harness.db)
    expect(inbox.failed).toEqual([])
    expect(inbox.keys).toEqual([...accepted].sort())
    expectOnlyAllowedChanges(before, await business(harness.db))

    // A normal person through the same route, answered through the outbox.
    const normal = harness.fake.user(9301, { firstName: 'Обычнова' })
    normal.start()
    const start = harness.fake.pendingUpdates().at(-1)?.update
    expect((await post(JSON.stringify(start))).status).toBe(200)
    await harness.deliver()
    expect(normal.lastBotMessage()?.body.text).toContain(CONSENT_HEADING)
    expect(failures(harness)).toEqual([])
    expectNoPersonalDataLogged(harness, ['Обычнова'])
  },
  300_000,
)

function parseOrUndefined(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}
