import type { Update } from 'grammy/types'
import { afterEach, describe, expect, test } from 'vitest'
import { createApp } from '#src/app.ts'
import { POLLER_LEASE } from '#src/bot/polling.ts'
import { texts } from '#src/bot/texts.ts'
import { WEBHOOK_PATH } from '#src/bot/webhook.ts'
import { callback } from '#src/notify/callback-data.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { buildUser } from '../support/factories.ts'

/** Inbox, replays, forged buttons, the poller's lease and 409s, the webhook's secret. */

let h: BotHarness
afterEach(async () => {
  await h?.close()
})

async function count(table: 'outbox' | 'telegram_inbox' | 'bot_conversations' | 'consent_records'): Promise<number> {
  const rows = await h.db.selectFrom(table).selectAll().execute()
  return rows.length
}

function pendingUpdate(): Update {
  const update = h.fake.pendingUpdates().at(-1)
  if (!update) throw new Error('no pending update')
  return update as unknown as Update
}

describe('the inbox', () => {
  test('the same update applied twice has one effect', async () => {
    h = await botHarness()
    h.fake.user(8001).command('/start')
    const update = pendingUpdate()
    expect(await h.applier.apply(update)).toBe('applied')
    expect(await h.applier.apply(structuredClone(update))).toBe('replayed')
    // A new bot instance (another process) replays it too.
    const { applier } = await h.newBot()
    expect(await applier.apply(structuredClone(update))).toBe('replayed')
    expect(await count('telegram_inbox')).toBe(1)
    expect(await count('outbox')).toBe(1)
    expect(await count('bot_conversations')).toBe(1)
  })

  test('a replayed consent refusal is stored once', async () => {
    h = await botHarness()
    const person = h.fake.user(8002)
    person.command('/start')
    await h.applier.apply(pendingUpdate())
    await h.deliver()
    const consent = person.lastBotMessage()
    if (!consent) throw new Error('no consent message')
    person.press(consent.message_id, callback.consent('no'))
    const press = pendingUpdate()
    await h.applier.apply(press)
    await h.applier.apply(structuredClone(press))
    expect(await count('consent_records')).toBe(1)
  })

  test('group, channel and edited messages are recorded and ignored', async () => {
    h = await botHarness()
    await buildUser(h.db, { telegramChatId: '8003' })
    h.poll()
    h.fake.rawUpdate({
      message: {
        message_id: 1,
        date: 1,
        chat: { id: -100123, type: 'group', title: 'Отделение' },
        from: { id: 8003, is_bot: false, first_name: 'A' },
        text: '/start',
        entities: [{ type: 'bot_command', offset: 0, length: 6 }],
      },
    })
    const person = h.fake.user(8003)
    const sent = person.send('текст')
    await h.settle()
    const before = await count('outbox')
    person.editedMessage(sent.messageId, 'другой текст')
    h.fake.rawUpdate({ some_future_kind: { x: 1 } })
    await h.settle()
    expect(await count('outbox')).toBe(before)
    const kinds = (await h.db.selectFrom('telegram_inbox').select('kind').execute()).map((r) => r.kind)
    expect(kinds).toEqual(expect.arrayContaining(['message', 'edited_message']))
    expect(h.fake.botMessages(-100123)).toEqual([])
  })
})

describe('forged buttons', () => {
  test('a requester pressing «Подтвердить» changes nothing and is refused politely', async () => {
    h = await botHarness()
    const pending = await buildUser(h.db, { status: 'pending', telegramChatId: '8101' })
    await buildUser(h.db, { role: 'requester', telegramChatId: '8102' })
    const curator = await buildUser(h.db, { role: 'curator', telegramChatId: '8103' })
    h.poll()
    const requester = h.fake.user(8102)
    const forged = requester.press(1, callback.registration('ok', pending.id))
    const forgedNo = requester.press(1, callback.registration('no', pending.id))
    await h.settle()
    expect(h.fake.callbackAnswer(forged.callbackQueryId)).toMatchObject({ text: texts.notAllowed })
    expect(h.fake.callbackAnswer(forgedNo.callbackQueryId)).toMatchObject({ text: texts.notAllowed })
    const after = await h.db.selectFrom('users').select('status').where('id', '=', pending.id).executeTakeFirst()
    expect(after?.status).toBe('pending')
    expect(await count('bot_conversations')).toBe(0)
    const denied = await h.db
      .selectFrom('audit_log')
      .select(['action', 'result'])
      .where('result', '=', 'denied')
      .execute()
    expect(denied).toEqual(
      expect.arrayContaining([
        { action: 'user.confirm', result: 'denied' },
        { action: 'user.reject', result: 'denied' },
      ]),
    )

    // A curator: an unknown user, then a request already decided.
    const curatorChat = h.fake.user(8103)
    const unknown = curatorChat.press(1, callback.registration('ok', 999_999))
    await h.settle()
    expect(h.fake.callbackAnswer(unknown.callbackQueryId)).toMatchObject({ text: texts.userNotFound })
    curatorChat.press(1, callback.registration('ok', pending.id))
    await h.settle()
    const twice = curatorChat.press(1, callback.registration('ok', pending.id))
    await h.settle()
    expect(h.fake.callbackAnswer(twice.callbackQueryId)).toMatchObject({ text: texts.alreadyDecided })
    const confirmed = await h.db.selectFrom('users').selectAll().where('id', '=', pending.id).executeTakeFirst()
    expect(confirmed).toMatchObject({ status: 'active', confirmed_by: curator.id })
  })

  test('malformed and unknown callback data is answered and changes nothing', async () => {
    h = await botHarness()
    await buildUser(h.db, { telegramChatId: '8201' })
    h.poll()
    const person = h.fake.user(8201)
    const presses = ['r:ok:abc', 'd:pick:-1', 'x:y:z', `${'r:ok:'}${'9'.repeat(40)}`].map((data) =>
      person.press(1, data),
    )
    await h.settle()
    for (const p of presses) expect(h.fake.callbackAnswer(p.callbackQueryId)).toBeDefined()
    expect(await count('outbox')).toBe(0)
  })
})

describe('long polling', () => {
  test('two pollers: exactly one polls; the other takes over when it stops', async () => {
    h = await botHarness()
    const a = h.poll({ holder: 'instance-a', leaseTtlMs: 1500, standbyRetryMs: 50 })
    await h.fake.waitFor(() => a.polling)
    const b = h.poll({ holder: 'instance-b', leaseTtlMs: 1500, standbyRetryMs: 50 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(a.polling).toBe(true)
    expect(b.polling).toBe(false)
    const person = h.fake.user(8301)
    person.command('/start')
    await h.settle()
    expect(h.fake.botMessages(8301)).toHaveLength(1)
    expect(h.fake.callsOf('getUpdates').filter((c) => c.status === 409)).toEqual([])

    await a.stop()
    await h.fake.waitFor(() => b.polling, 5000)
    person.command('/help')
    await h.settle()
    expect(h.fake.botMessages(8301)).toHaveLength(2)
    const lease = await h.db.selectFrom('leases').selectAll().where('name', '=', POLLER_LEASE).executeTakeFirst()
    expect(lease?.holder).toBe('instance-b')
  })

  test('a 409 Conflict is an alert, not a crash loop; polling resumes', async () => {
    h = await botHarness()
    h.fake.failNext('getUpdates', { status: 409 }, 3)
    h.poll()
    h.fake.user(8401).command('/start')
    await h.settle()
    expect(h.fake.botMessages(8401)).toHaveLength(1)
    const alerts = h.logs.filter((l) => l.alert === 'telegram_conflict')
    expect(alerts).toHaveLength(1)
    expect(alerts[0]?.level).toBe(50)
  })

  test('Telegram unreachable: the poller backs off and applies the update when it is back', async () => {
    h = await botHarness()
    h.poll()
    await h.fake.down('502')
    await new Promise((resolve) => setTimeout(resolve, 200))
    await h.fake.up()
    h.fake.user(8501).command('/start')
    await h.settle()
    expect(h.fake.botMessages(8501)).toHaveLength(1)
  })
})

describe('webhook', () => {
  test('a wrong secret is 401 before anything is applied; the right one applies the update', async () => {
    h = await botHarness({
      config: {},
    })
    const config = { ...h.config, telegram: { ...h.config.telegram, mode: 'webhook' as const } }
    if (!config.telegram.enabled) throw new Error('telegram off')
    const app = createApp(
      { db: h.db, config, logger: h.logger },
      { telegram: { applier: h.applier, ready: () => true } },
    )
    h.fake.user(8601).command('/start')
    const body = JSON.stringify(pendingUpdate())
    const post = (secret: string | undefined, payload = body) =>
      app.request(WEBHOOK_PATH, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(secret !== undefined ? { 'X-Telegram-Bot-Api-Secret-Token': secret } : {}),
        },
        body: payload,
      })

    expect((await post(undefined)).status).toBe(401)
    expect((await post('wrong-secret')).status).toBe(401)
    expect((await post('wrong-secret', '{not json')).status).toBe(401)
    expect(await count('telegram_inbox')).toBe(0)

    expect((await post('test-webhook-secret')).status).toBe(200)
    expect((await post('test-webhook-secret')).status).toBe(200)
    expect(await count('telegram_inbox')).toBe(1)
    expect(await count('outbox')).toBe(1)
    expect((await post('test-webhook-secret', '{"nope":1}')).status).toBe(400)
  })

  test('the route exists only in webhook mode', async () => {
    h = await botHarness()
    const app = createApp(
      { db: h.db, config: h.config, logger: h.logger },
      { telegram: { applier: h.applier, ready: () => true } },
    )
    const response = await app.request(WEBHOOK_PATH, {
      method: 'POST',
      headers: { 'X-Telegram-Bot-Api-Secret-Token': 'test-webhook-secret' },
      body: '{}',
    })
    expect(response.status).toBe(404)
  })
})
