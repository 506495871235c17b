import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { type FakeMax, startFakeMax } from '../../test/support/fake-max.ts'
import {
  DEFAULT_MAX_API_ROOT,
  inlineKeyboard,
  isRetryable,
  MaxApi,
  MaxApiError,
  sharedContact,
  startLink,
  webhookSecretMatches,
} from './max-api.ts'
import type { MaxImageAttachment, MaxMessageCallbackUpdate, MaxMessageCreatedUpdate } from './max-types.ts'

/** The client is proven against the fake MAX server over loopback, as the bot will use it. */
let max: FakeMax
let api: MaxApi
beforeEach(async () => {
  max = await startFakeMax()
  api = new MaxApi({ token: max.token, apiRoot: max.apiRoot, timeoutMs: 5000 })
})
afterEach(async () => {
  await max.close()
})

async function failureOf(promise: Promise<unknown>): Promise<MaxApiError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof MaxApiError) return error
    throw error
  }
  throw new Error('expected the call to fail')
}

describe('MaxApi: authentication and errors', () => {
  test('the token goes in the Authorization header, never in the query; a wrong one is 401 verify.token', async () => {
    expect(await api.getMe()).toMatchObject({
      user_id: max.botUser.user_id,
      is_bot: true,
      username: 'helpdesk_test_bot',
    })
    const [call] = max.callsOf('GET /me')
    expect(call?.headers.authorization).toBe(max.token)
    expect(call?.query).toEqual({})

    const wrong = new MaxApi({ token: 'not-the-token', apiRoot: max.apiRoot })
    const error = await failureOf(wrong.getMe())
    expect(error).toMatchObject({ status: 401, code: 'verify.token', operation: 'GET /me', retryAfter: undefined })
    expect(isRetryable(error)).toBe(false)
  })

  test('the default root is the one MAX publishes, and an empty token is refused before any call', () => {
    expect(DEFAULT_MAX_API_ROOT).toBe('https://platform-api2.max.ru')
    expect(new MaxApi({ token: 't' }).apiRoot).toBe(DEFAULT_MAX_API_ROOT)
    expect(new MaxApi({ token: 't', apiRoot: 'http://127.0.0.1:9/' }).apiRoot).toBe('http://127.0.0.1:9')
    expect(() => new MaxApi({ token: ' ' })).toThrow(/MAX_BOT_TOKEN/)
  })

  test('a 429 carries Retry-After as retryAfter; 429 and 5xx are retryable, a 400 is not', async () => {
    max.inject(
      'POST /messages',
      { status: 429, retryAfter: 3 },
      { status: 503 },
      { status: 400, code: 'proto.payload' },
    )
    const flood = await failureOf(api.sendMessage({ userId: 5 }, { text: 'раз' }))
    expect(flood).toMatchObject({ status: 429, code: 'too.many.requests', retryAfter: 3, operation: 'POST /messages' })
    expect(isRetryable(flood)).toBe(true)
    const down = await failureOf(api.sendMessage({ userId: 5 }, { text: 'два' }))
    expect(down).toMatchObject({ status: 503, retryAfter: undefined })
    expect(isRetryable(down)).toBe(true)
    const bad = await failureOf(api.sendMessage({ userId: 5 }, { text: 'три' }))
    expect(bad).toMatchObject({ status: 400, code: 'proto.payload' })
    expect(isRetryable(bad)).toBe(false)
    // The error names the call, never the text sent.
    expect(bad.message).not.toContain('три')
    expect(max.botMessages(5)).toEqual([])
  })

  test('a call the server holds too long fails as a retryable timeout with status 0', async () => {
    const impatient = new MaxApi({ token: max.token, apiRoot: max.apiRoot, timeoutMs: 300 })
    max.inject('GET /me', { hangMs: 2000 })
    const started = performance.now()
    const error = await failureOf(impatient.getMe())
    expect(performance.now() - started).toBeLessThan(1500)
    expect(error).toMatchObject({ status: 0, code: 'timeout' })
    expect(isRetryable(error)).toBe(true)
  })

  test('a refused connection is a retryable network error', async () => {
    const root = max.apiRoot
    await max.close()
    const error = await failureOf(new MaxApi({ token: 't', apiRoot: root }).getMe())
    expect(error).toMatchObject({ status: 0, code: 'network' })
    expect(isRetryable(error)).toBe(true)
  })

  test('success: false from an edit is a failure, not a silent success', async () => {
    const error = await failureOf(api.unsubscribe('https://example.org/none'))
    expect(error).toMatchObject({ status: 200, code: 'unsuccessful' })
  })
})

describe('MaxApi: updates by long polling', () => {
  test('markers: each poll confirms what came before, and nothing is answered twice', async () => {
    const first = await api.getUpdates({ timeout: 0 })
    expect(first.updates).toEqual([])
    expect(first.marker).toEqual(expect.any(Number))

    const anna = max.user(42, { firstName: 'Анна' })
    anna.start()
    anna.send('Не печатает принтер')
    const second = await api.getUpdates({ marker: first.marker, timeout: 0 })
    expect(second.updates.map((u) => u.update_type)).toEqual(['bot_started', 'message_created'])
    expect((second.updates[1] as MaxMessageCreatedUpdate).message).toMatchObject({
      sender: { user_id: 42, first_name: 'Анна' },
      recipient: { chat_id: anna.chatId, chat_type: 'dialog' },
      body: { text: 'Не печатает принтер', mid: expect.stringMatching(/^mid\./) },
    })

    const third = await api.getUpdates({ marker: second.marker, timeout: 0 })
    expect(third.updates).toEqual([])
    expect(max.pendingUpdates()).toEqual([])
    expect(max.callsOf('GET /updates').map((c) => c.query.marker)).toEqual([
      undefined,
      String(first.marker),
      String(second.marker),
    ])
  })

  test('a held poll answers as soon as the person writes', async () => {
    const { marker } = await api.getUpdates({ timeout: 0 })
    const started = performance.now()
    const poll = api.getUpdates({ marker, timeout: 10 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    max.user(7).send('Здравствуйте')
    const batch = await poll
    const took = performance.now() - started
    expect(took).toBeGreaterThanOrEqual(250)
    expect(took).toBeLessThan(3000)
    expect(batch.updates).toHaveLength(1)
    expect(batch.marker).toBeGreaterThan(marker ?? 0)
  })

  test('types and limit are passed on: other types are passed over, the batch is cut at the limit', async () => {
    const { marker } = await api.getUpdates({ timeout: 0 })
    const person = max.user(8)
    person.start()
    person.send('1')
    person.send('2')
    person.send('3')
    const batch = await api.getUpdates({ marker, timeout: 0, limit: 2, types: ['message_created'] })
    expect(max.callsOf('GET /updates').at(-1)?.query).toMatchObject({ types: 'message_created', limit: '2' })
    expect(batch.updates.map((u) => (u as MaxMessageCreatedUpdate).message.body.text)).toEqual(['1', '2'])
    const rest = await api.getUpdates({ marker: batch.marker, timeout: 0, types: ['message_created'] })
    expect(rest.updates.map((u) => (u as MaxMessageCreatedUpdate).message.body.text)).toEqual(['3'])
  })

  test('aborting a held poll ends it at once (stopping the poller)', async () => {
    const controller = new AbortController()
    const poll = failureOf(api.getUpdates({ timeout: 30 }, controller.signal))
    await max.waitFor(() => max.callsOf('GET /updates').length === 1)
    const started = performance.now()
    controller.abort()
    expect(await poll).toMatchObject({ status: 0, code: 'aborted' })
    expect(performance.now() - started).toBeLessThan(500)
  })

  test('a deep link start payload arrives in bot_started', async () => {
    const { marker } = await api.getUpdates({ timeout: 0 })
    expect(startLink('helpdesk_test_bot', 'eq_15 7')).toBe('https://max.ru/helpdesk_test_bot?start=eq_15%207')
    expect(() => startLink('b', 'x'.repeat(513))).toThrow(/512/)
    max.user(9).start('eq_15')
    const { updates } = await api.getUpdates({ marker, timeout: 0 })
    expect(updates[0]).toMatchObject({ update_type: 'bot_started', payload: 'eq_15', user: { user_id: 9 } })
  })
})

describe('MaxApi: messages, buttons and answers', () => {
  test('a message with an inline keyboard reaches the person; a press comes back; the answer edits and notifies', async () => {
    const person = max.user(11, { firstName: 'Пётр' })
    const sent = await api.sendMessage(
      { userId: 11 },
      {
        text: 'Заявка № 15 решена?',
        attachments: [
          inlineKeyboard([
            [
              { type: 'callback', text: 'Подтверждаю', payload: 'c:15' },
              { type: 'callback', text: 'Не решено', payload: 'n:15' },
            ],
            [{ type: 'link', text: 'Открыть', url: 'https://helpdesk.example/t/15' }],
          ]),
        ],
      },
    )
    expect(sent).toMatchObject({
      recipient: { user_id: 11, chat_id: person.chatId },
      body: { text: 'Заявка № 15 решена?' },
    })
    expect(
      person
        .transcript()
        .at(-1)
        ?.buttons?.[0]?.map((b) => b.text),
    ).toEqual(['Подтверждаю', 'Не решено'])

    const { marker } = await api.getUpdates({ timeout: 0 })
    const { callbackId } = person.press(sent.body.mid, 'c:15')
    const { updates } = await api.getUpdates({ marker, timeout: 0 })
    const press = updates[0] as MaxMessageCallbackUpdate
    expect(press).toMatchObject({
      update_type: 'message_callback',
      callback: { callback_id: callbackId, payload: 'c:15', user: { user_id: 11 } },
      message: { body: { mid: sent.body.mid } },
    })

    await api.answerCallback(press.callback.callback_id, {
      notification: 'Спасибо!',
      message: { text: 'Заявка № 15: решение подтверждено', attachments: [] },
    })
    expect(max.callbackAnswer(callbackId)).toMatchObject({ notification: 'Спасибо!' })
    const current = person.lastBotMessage()
    expect(current?.body.text).toBe('Заявка № 15: решение подтверждено')
    expect(current?.body.attachments).toBeUndefined()
  })

  test('an edit replaces the text and keeps the keyboard unless attachments are given; a delete removes it', async () => {
    const person = max.user(12)
    const keyboard = inlineKeyboard([[{ type: 'callback', text: 'Взять в работу', payload: 't:3' }]])
    const sent = await api.sendMessage({ userId: 12 }, { text: 'Новая заявка', attachments: [keyboard] })
    await api.editMessage(sent.body.mid, { text: 'Новая заявка (взята)' })
    expect(person.lastBotMessage()?.body).toMatchObject({ text: 'Новая заявка (взята)', attachments: [keyboard] })
    await api.editMessage(sent.body.mid, { text: 'Новая заявка (взята)', attachments: [] })
    expect(person.lastBotMessage()?.body.attachments).toBeUndefined()
    expect(max.callsOf('PUT /messages')[0]?.query).toEqual({ message_id: sent.body.mid })
    await api.deleteMessage(sent.body.mid)
    expect(person.botMessages()).toEqual([])
    expect(await failureOf(api.deleteMessage(sent.body.mid))).toMatchObject({ status: 404 })
  })

  test('a message to a chat id and a reply link reach the same dialog', async () => {
    const person = max.user(13)
    const asked = person.send('Когда придёт мастер?')
    const answer = await api.sendMessage(
      { chatId: person.chatId },
      { text: 'Сегодня до 15:00', link: { type: 'reply', mid: asked.mid ?? '' }, format: 'markdown' },
    )
    expect(answer.link).toMatchObject({ type: 'reply', message: { text: 'Когда придёт мастер?' } })
    expect(person.botMessages()).toHaveLength(1)
  })

  test('a person who stopped the bot answers 403: not retryable, the notice must fail for good', async () => {
    const person = max.user(14)
    person.stop()
    const error = await failureOf(api.sendMessage({ userId: 14 }, { text: 'Уведомление' }))
    expect(error.status).toBe(403)
    expect(isRetryable(error)).toBe(false)
    person.start()
    await api.sendMessage({ userId: 14 }, { text: 'Уведомление' })
    expect(person.botMessages()).toHaveLength(1)
  })

  test('the contact a person shares is read from its vCard; a contact of another account is not their own', async () => {
    const { marker } = await api.getUpdates({ timeout: 0 })
    await api.sendMessage(
      { userId: 15 },
      { text: 'Поделитесь номером', attachments: [inlineKeyboard([[{ type: 'request_contact', text: 'Номер' }]])] },
    )
    const person = max.user(15)
    max.user(16)
    person.shareContact({ phone: '+7 999 000-11-22' })
    person.shareContact({ phone: '+7 999 000-33-44', userId: 16 })
    const { updates } = await api.getUpdates({ marker, timeout: 0 })
    const contacts = updates.map((u) => {
      const message = (u as MaxMessageCreatedUpdate).message
      const attachment = message.body.attachments?.[0]
      return attachment ? sharedContact(attachment, message.sender?.user_id ?? 0) : undefined
    })
    expect(contacts).toEqual([
      { phone: '79990001122', userId: 15, own: true, hash: expect.any(String) },
      { phone: '79990003344', userId: 16, own: false, hash: undefined },
    ])
  })
})

describe('MaxApi: files', () => {
  test('an uploaded file is sent as an attachment; the upload host never sees the token', async () => {
    const content = Buffer.from('%PDF-1.4 акт выполненных работ')
    const attachment = await api.upload('file', content, 'акт.pdf', 'application/pdf')
    expect(attachment).toEqual({ type: 'file', payload: { token: expect.any(String) } })
    const token = attachment.payload.token ?? ''
    expect(max.uploaded(token)).toMatchObject({ kind: 'file', fileName: 'акт.pdf', content })
    expect(max.callsOf('upload')[0]?.headers.authorization).toBeUndefined()

    const person = max.user(21)
    const sent = await api.sendMessage({ userId: 21 }, { text: 'Акт', attachments: [attachment] })
    expect(sent.body.attachments?.[0]).toMatchObject({ type: 'file', filename: 'акт.pdf', size: content.length })
    expect(person.transcript().at(-1)?.kind).toBe('file')
  })

  test('an image upload answers photo tokens that a message takes', async () => {
    const attachment = await api.upload('image', Buffer.from([0xff, 0xd8, 0xff, 0xd9]), 'qr.jpg', 'image/jpeg')
    expect(attachment.type).toBe('image')
    expect(attachment.payload).toMatchObject({ photos: expect.any(Object) })
    const sent = await api.sendMessage({ userId: 22 }, { text: 'QR-код', attachments: [attachment] })
    expect(sent.body.attachments?.[0]?.type).toBe('image')
  })

  test('a message sent before the upload is processed gets attachment.not.ready, which is retryable', async () => {
    await max.close()
    max = await startFakeMax({ notReadyAnswers: 1 })
    api = new MaxApi({ token: max.token, apiRoot: max.apiRoot })
    const attachment = await api.upload('file', Buffer.from('x'), 'x.txt')
    const error = await failureOf(api.sendMessage({ userId: 23 }, { text: 'Файл', attachments: [attachment] }))
    expect(error).toMatchObject({ status: 400, code: 'attachment.not.ready' })
    expect(isRetryable(error)).toBe(true)
    await api.sendMessage({ userId: 23 }, { text: 'Файл', attachments: [attachment] })
    expect(max.botMessages(23)).toHaveLength(1)
  })

  test('video uploads take the token that came with the upload URL', async () => {
    const attachment = await api.upload('video', Buffer.alloc(100, 1), 'clip.mp4', 'video/mp4')
    const slot = max.callsOf('POST /uploads')[0]
    expect(slot?.query).toEqual({ type: 'video' })
    expect(attachment).toEqual({ type: 'video', payload: { token: expect.stringMatching(/^tok-video-/) } })
    expect(max.uploaded(attachment.payload.token ?? '')?.content.length).toBe(100)
  })

  test("a person's photo is downloaded by its URL without the token; past the limit it fails", async () => {
    const { marker } = await api.getUpdates({ timeout: 0 })
    const content = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(300_000, 7), Buffer.from([0xff, 0xd9])])
    max.user(24).sendPhoto({ content, caption: 'Сломанный монитор' })
    const { updates } = await api.getUpdates({ marker, timeout: 0 })
    const message = (updates[0] as MaxMessageCreatedUpdate).message
    expect(message.body.text).toBe('Сломанный монитор')
    const photo = message.body.attachments?.[0] as MaxImageAttachment
    expect(photo.type).toBe('image')

    expect((await api.download(photo.payload.url)).equals(content)).toBe(true)
    expect(max.callsOf('download')[0]?.headers.authorization).toBeUndefined()

    const small = new MaxApi({ token: max.token, apiRoot: max.apiRoot, downloadLimit: 100_000 })
    const tooLarge = await failureOf(small.download(photo.payload.url))
    expect(tooLarge).toMatchObject({ code: 'file.too.large' })
    expect(isRetryable(tooLarge)).toBe(false)
    max.inject('download', { status: 502 })
    expect(await failureOf(api.download(photo.payload.url))).toMatchObject({ status: 502 })
  })
})

describe('MaxApi: webhook subscription', () => {
  let hook: Server
  let received: Array<{ headers: IncomingHttpHeaders; body: string }>
  let answerStatus: number
  beforeEach(async () => {
    received = []
    answerStatus = 200
    hook = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8')
      })
      req.on('end', () => {
        received.push({ headers: req.headers, body })
        res.writeHead(answerStatus).end()
      })
    })
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve))
  })
  afterEach(async () => {
    await new Promise<void>((resolve) => hook.close(() => resolve()))
  })

  test('updates are POSTed with X-Max-Bot-Api-Secret; polling is refused meanwhile; unsubscribing restores it', async () => {
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/max/webhook`
    await api.subscribe(url, 'secret-123_abc', ['message_created', 'bot_started'])
    expect(await api.getSubscriptions()).toMatchObject([{ url }])
    expect(await failureOf(api.getUpdates({ timeout: 0 }))).toMatchObject({ status: 405 })

    max.user(31).send('Через вебхук')
    await max.waitFor(() => received.length === 1)
    const delivery = received[0]
    expect(webhookSecretMatches(delivery?.headers['x-max-bot-api-secret'], 'secret-123_abc')).toBe(true)
    expect(webhookSecretMatches(delivery?.headers['x-max-bot-api-secret'], 'secret-123_abd')).toBe(false)
    expect(webhookSecretMatches(undefined, 'secret-123_abc')).toBe(false)
    expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({
      update_type: 'message_created',
      message: { body: { text: 'Через вебхук' } },
    })
    await max.waitForConfirmed()

    await api.unsubscribe(url)
    expect(await api.getSubscriptions()).toEqual([])
    expect((await api.getUpdates({ timeout: 0 })).updates).toEqual([])
  })

  test('a secret MAX would refuse is refused by the fake too', async () => {
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`
    expect(await failureOf(api.subscribe(url, 'a b'))).toMatchObject({ status: 400 })
  })
})
