import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Api, GrammyError, HttpError, InputFile } from 'grammy'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { DOWNLOAD_LIMIT, type FakeTelegram, startFakeTelegram, UploadedFile } from './fake-telegram.ts'

/** The fake is checked through the real grammY client, as the bot and the channel will use it. */
let tg: FakeTelegram
let api: Api
beforeEach(async () => {
  tg = await startFakeTelegram()
  api = new Api(tg.token, { apiRoot: tg.apiRoot, timeoutSeconds: 5 })
})
afterEach(async () => {
  await tg.close()
})

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the call to fail')
}

describe('fake Telegram: the Bot API surface', () => {
  test('getMe answers the bot, and a wrong token is 401 Unauthorized', async () => {
    expect(await api.getMe()).toMatchObject({ id: 123456, is_bot: true, username: 'helpdesk_test_bot' })
    const wrong = new Api('999:wrong', { apiRoot: tg.apiRoot })
    expect(await rejection(wrong.getMe())).toMatchObject({ error_code: 401, description: 'Unauthorized' })
    expect(tg.calls.map((c) => c.method)).toEqual(['getMe'])
  })

  test('a long poll is held until an update arrives, then returns it at once', async () => {
    const started = performance.now()
    const poll = api.getUpdates({ timeout: 10 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const sent = tg.user(42, { firstName: 'Анна' }).send('Здравствуйте')
    const updates = await poll
    const took = performance.now() - started
    expect(took).toBeGreaterThanOrEqual(250)
    expect(took).toBeLessThan(3000)
    expect(updates).toHaveLength(1)
    expect(updates[0]).toMatchObject({
      update_id: sent.updateId,
      message: {
        message_id: sent.messageId,
        text: 'Здравствуйте',
        chat: { id: 42, type: 'private' },
        from: { id: 42 },
      },
    })
  })

  test('a long poll with nothing to say ends after its timeout with no updates', async () => {
    const started = performance.now()
    expect(await api.getUpdates({ timeout: 1 })).toEqual([])
    expect(performance.now() - started).toBeGreaterThanOrEqual(900)
  })

  test('offset confirms earlier updates; limit caps a batch; update ids increase', async () => {
    const anna = tg.user(42)
    const ids = [anna.send('1').updateId, anna.send('2').updateId, anna.send('3').updateId]
    expect(ids[1]).toBe((ids[0] ?? 0) + 1)
    expect((await api.getUpdates({ limit: 2 })).map((u) => u.update_id)).toEqual(ids.slice(0, 2))
    // Not confirmed yet: asked again, the same updates come back.
    expect((await api.getUpdates({})).map((u) => u.update_id)).toEqual(ids)
    expect((await api.getUpdates({ offset: (ids[1] ?? 0) + 1 })).map((u) => u.update_id)).toEqual([ids[2]])
    expect(await api.getUpdates({ offset: (ids[2] ?? 0) + 1 })).toEqual([])
    expect(tg.pendingUpdates()).toEqual([])
  })

  test('allowed_updates leaves out other kinds of updates', async () => {
    const anna = tg.user(42)
    anna.send('текст')
    const pressed = anna.press(1, 't:take:1')
    const updates = await api.getUpdates({ allowed_updates: ['callback_query'] })
    expect(updates.map((u) => u.update_id)).toEqual([pressed.updateId])
  })

  test('a second poller ends the first with 409 Conflict, as Telegram does', async () => {
    const first = rejection(api.getUpdates({ timeout: 10 }))
    await tg.waitFor(() => tg.callsOf('getUpdates').length === 1)
    const second = api.getUpdates({ timeout: 1 })
    expect(await first).toMatchObject({ error_code: 409 })
    expect(await second).toEqual([])
  })
})

describe('fake Telegram: webhook mode', () => {
  let receiver: Server
  let received: Array<{ headers: IncomingHttpHeaders; body: unknown }>
  let answer: number[]
  let hookUrl: string

  beforeEach(async () => {
    received = []
    answer = []
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) })
        res.writeHead(answer.shift() ?? 200)
        res.end()
      })
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/telegram/webhook`
  })
  afterEach(async () => {
    await new Promise<void>((resolve) => receiver.close(() => resolve()))
  })

  test('each update is POSTed to the webhook with the secret header; getUpdates is 409 meanwhile', async () => {
    expect(await api.setWebhook(hookUrl, { secret_token: 's3cret_token-1' })).toBe(true)
    expect(await api.getWebhookInfo()).toMatchObject({ url: hookUrl, pending_update_count: 0 })
    const sent = tg.user(42).send('Здравствуйте')
    await tg.waitFor(() => received.length === 1)
    expect(received[0]?.headers['x-telegram-bot-api-secret-token']).toBe('s3cret_token-1')
    expect(received[0]?.body).toMatchObject({ update_id: sent.updateId, message: { text: 'Здравствуйте' } })
    await tg.waitForConfirmed()
    const conflict = await rejection(api.getUpdates({ timeout: 0 }))
    expect(conflict).toBeInstanceOf(GrammyError)
    expect(conflict).toMatchObject({ error_code: 409 })
  })

  test('a failed delivery is retried until the webhook accepts it, in order', async () => {
    answer = [500, 500]
    await api.setWebhook(hookUrl)
    const anna = tg.user(42)
    const a = anna.send('первое').updateId
    const b = anna.send('второе').updateId
    await tg.waitFor(() => received.length === 4 && tg.webhookDeliveries.length === 4, 5000)
    expect(received.map((r) => (r.body as { update_id: number }).update_id)).toEqual([a, a, a, b])
    expect(received[0]?.headers['x-telegram-bot-api-secret-token']).toBeUndefined()
    expect(tg.webhookDeliveries.map((d) => d.status)).toEqual([500, 500, 200, 200])
  })

  test('deleteWebhook brings polling back, and the updates not yet delivered with it', async () => {
    answer = [500, 500, 500, 500, 500, 500, 500, 500, 500, 500]
    await api.setWebhook(hookUrl)
    const sent = tg.user(42).send('ждёт')
    await tg.waitFor(() => received.length >= 1)
    await api.deleteWebhook()
    expect((await api.getUpdates({})).map((u) => u.update_id)).toEqual([sent.updateId])
  })
})

describe('fake Telegram: messages, buttons and files', () => {
  test('the bot’s messages get ids per chat, land in the transcript and can be edited', async () => {
    const anna = tg.user(42)
    const boris = tg.user(43)
    anna.send('привет')
    const m1 = await api.sendMessage(42, 'Заявка № 1 · Новая', {
      reply_markup: { inline_keyboard: [[{ text: 'Взять в работу', callback_data: 't:take:1' }]] },
    })
    const m2 = await api.sendMessage(43, 'Вам')
    expect(m1.message_id).toBe(2)
    expect(m2.message_id).toBe(1)
    expect(boris.botMessages()).toHaveLength(1)
    await api.editMessageText(42, m1.message_id, 'Заявка № 1 · В работе')
    expect(anna.lastBotMessage()).toMatchObject({ text: 'Заявка № 1 · В работе' })
    expect(anna.lastBotMessage()?.reply_markup).toBeUndefined()
    expect(anna.transcript().map((e) => [e.from, e.kind, e.text])).toEqual([
      ['user', 'text', 'привет'],
      ['bot', 'text', 'Заявка № 1 · Новая'],
      ['bot', 'edit', 'Заявка № 1 · В работе'],
    ])
    expect(await rejection(api.editMessageText(42, m1.message_id, 'Заявка № 1 · В работе'))).toMatchObject({
      error_code: 400,
      description: expect.stringContaining('message is not modified'),
    })
    expect(await rejection(api.editMessageText(42, 99, 'x'))).toMatchObject({
      description: 'Bad Request: message to edit not found',
    })
    await api.editMessageReplyMarkup(42, m1.message_id, {
      reply_markup: { inline_keyboard: [[{ text: 'Открыть', url: 'http://127.0.0.1:3000/tickets/1' }]] },
    })
    expect(anna.lastBotMessage()?.reply_markup?.inline_keyboard[0]?.[0]?.url).toBe('http://127.0.0.1:3000/tickets/1')
    expect(await api.deleteMessage(42, m1.message_id)).toBe(true)
    expect(anna.botMessages()).toEqual([])
  })

  test('Telegram’s own checks: empty and over-long texts, callback data over 64 bytes', async () => {
    expect(await rejection(api.sendMessage(42, ' '))).toMatchObject({
      description: 'Bad Request: message text is empty',
    })
    expect(await rejection(api.sendMessage(42, 'я'.repeat(4097)))).toMatchObject({
      description: 'Bad Request: message is too long',
    })
    await api.sendMessage(42, 'я'.repeat(4096))
    const long = await rejection(
      api.sendMessage(42, 'x', { reply_markup: { inline_keyboard: [[{ text: 'a', callback_data: 'ы'.repeat(33) }]] } }),
    )
    expect(long).toMatchObject({ description: 'Bad Request: BUTTON_DATA_INVALID' })
  })

  test('a person presses a button, replies, edits, shares a contact; the bot answers the callback', async () => {
    const anna = tg.user(42, { firstName: 'Анна', username: 'anna' })
    const bot = await api.sendMessage(42, 'Заявка № 7 · Решена')
    const pressed = anna.press(bot.message_id, 't:confirm:7')
    const reply = anna.replyTo(bot.message_id, 'Спасибо')
    const edited = anna.editedMessage(reply.messageId, 'Спасибо!')
    anna.shareContact({ phone: '+79001234567' })
    anna.shareContact({ phone: '+79007654321', userId: 777 })
    anna.command('/start ref')
    const updates = await api.getUpdates({})
    expect(updates.map((u) => u.update_id)).toEqual([0, 1, 2, 3, 4, 5].map((i) => pressed.updateId + i))
    expect(updates[0]?.callback_query).toMatchObject({
      id: pressed.callbackQueryId,
      data: 't:confirm:7',
      from: { id: 42, username: 'anna' },
      message: { message_id: bot.message_id, text: 'Заявка № 7 · Решена' },
    })
    expect(updates[1]?.message?.reply_to_message?.message_id).toBe(bot.message_id)
    expect(updates[2]).toMatchObject({ update_id: edited.updateId, edited_message: { text: 'Спасибо!' } })
    expect(updates[3]?.message?.contact).toEqual({ phone_number: '+79001234567', first_name: 'Анна', user_id: 42 })
    expect(updates[4]?.message?.contact?.user_id).toBe(777)
    expect(updates[5]?.message?.entities).toEqual([{ type: 'bot_command', offset: 0, length: 6 }])

    expect(await api.answerCallbackQuery(pressed.callbackQueryId, { text: 'Готово' })).toBe(true)
    expect(tg.callbackAnswer(pressed.callbackQueryId)).toMatchObject({ text: 'Готово' })
    expect(await rejection(api.answerCallbackQuery(pressed.callbackQueryId))).toMatchObject({ error_code: 400 })
  })

  test('photos, albums and documents can be fetched with getFile and downloaded, up to 20 MB', async () => {
    const anna = tg.user(42)
    anna.sendPhoto({ size: 200_000, caption: 'принтер' })
    const album = anna.sendAlbum(3, { caption: 'три фото' })
    anna.sendDocument({ size: 30_000 })
    anna.sendDocument({ fileName: 'scan.pdf', mimeType: 'application/pdf', size: 5_000 })
    anna.sendDocument({ fileName: 'video.mp4', mimeType: 'video/mp4', size: DOWNLOAD_LIMIT + 1 })
    expect(album).toHaveLength(3)
    const updates = await api.getUpdates({})
    const messages = updates.flatMap((u) => (u.message ? [u.message] : []))
    expect(messages).toHaveLength(7)

    const photo = messages[0]?.photo?.at(-1)
    expect(photo?.file_size).toBe(200_000)
    const file = await api.getFile(photo?.file_id ?? '')
    expect(file).toMatchObject({ file_size: 200_000, file_path: expect.stringMatching(/^photos\//) })
    const response = await fetch(`${tg.apiRoot}/file/bot${tg.token}/${file.file_path}`)
    const bytes = Buffer.from(await response.arrayBuffer())
    expect(bytes.length).toBe(200_000)
    expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff])

    const groups = new Set(messages.slice(1, 4).map((m) => m.media_group_id))
    expect(groups.size).toBe(1)
    expect(messages.slice(1, 4).map((m) => m.caption)).toEqual(['три фото', undefined, undefined])
    expect(messages[4]?.document).not.toHaveProperty('file_name')
    expect(messages[4]?.document).not.toHaveProperty('mime_type')
    expect(messages[5]?.document).toMatchObject({ file_name: 'scan.pdf', mime_type: 'application/pdf' })
    const pdf = await api.getFile(messages[5]?.document?.file_id ?? '')
    const pdfBytes = await (await fetch(`${tg.apiRoot}/file/bot${tg.token}/${pdf.file_path}`)).text()
    expect(pdfBytes.startsWith('%PDF')).toBe(true)

    const tooBig = await rejection(api.getFile(messages[6]?.document?.file_id ?? ''))
    expect(tooBig).toMatchObject({ error_code: 400, description: 'Bad Request: file is too big' })
    expect(await rejection(api.getFile('nonsense'))).toMatchObject({ error_code: 400 })
  })

  test('the bot uploads a photo and a document (multipart), and may send them again by file_id', async () => {
    const photo = await api.sendPhoto(42, new InputFile(Buffer.from('jpeg-bytes'), 'a.jpg'), { caption: 'Заявка № 3' })
    const doc = await api.sendDocument(42, new InputFile(Buffer.from('%PDF-1.4 x'), 'отчёт.pdf'))
    const uploaded = tg.callsOf('sendDocument')[0]?.params.document
    expect(uploaded).toBeInstanceOf(UploadedFile)
    expect(uploaded).toMatchObject({ fileName: 'отчёт.pdf' })
    expect(doc.document).toMatchObject({ file_name: 'отчёт.pdf', file_size: 10 })
    const again = await api.sendPhoto(42, photo.photo.at(-1)?.file_id ?? '')
    expect(again.photo.at(-1)?.file_id).toBe(photo.photo.at(-1)?.file_id)
    expect(tg.transcript(42).map((e) => e.kind)).toEqual(['photo', 'document', 'photo'])
    await api.setMyCommands([{ command: 'help', description: 'Помощь' }])
    expect(tg.myCommands()).toEqual([{ command: 'help', description: 'Помощь' }])
  })

  test('raw updates go out as given, with an update_id', async () => {
    const id = tg.rawUpdate({
      message: { message_id: 1, date: 0, chat: { id: -100, type: 'group', title: 'Группа' }, text: 'hi' },
      some_future_field: { x: 1 },
    })
    const [update] = await api.getUpdates({})
    expect(update).toMatchObject({ update_id: id, some_future_field: { x: 1 }, message: { chat: { type: 'group' } } })
  })
})

describe('fake Telegram: faults', () => {
  test('429 with retry_after, 500, 403 blocked and 409 come back as Telegram sends them, once each', async () => {
    tg.failNext('sendMessage', { status: 429, retryAfter: 5 })
    tg.failNext('sendMessage', { status: 500 })
    tg.failNext('sendMessage', { status: 403, description: 'Forbidden: bot was blocked by the user' })
    tg.failNext('getUpdates', { status: 409 })
    const tooMany = await rejection(api.sendMessage(42, 'a'))
    expect(tooMany).toBeInstanceOf(GrammyError)
    expect(tooMany).toMatchObject({ error_code: 429, parameters: { retry_after: 5 } })
    expect(await rejection(api.sendMessage(42, 'a'))).toMatchObject({ error_code: 500 })
    expect(await rejection(api.sendMessage(42, 'a'))).toMatchObject({
      error_code: 403,
      description: 'Forbidden: bot was blocked by the user',
    })
    expect(await rejection(api.getUpdates({}))).toMatchObject({ error_code: 409 })
    expect((await api.sendMessage(42, 'a')).text).toBe('a')
    expect(tg.callsOf('sendMessage').map((c) => c.status)).toEqual([429, 500, 403, 200])
    expect(tg.transcript(42)).toHaveLength(1)
  })

  test('a hang outlasts the client’s timeout; the call is still recorded', async () => {
    const impatient = new Api(tg.token, { apiRoot: tg.apiRoot, timeoutSeconds: 1 })
    tg.failNext('sendMessage', { hangMs: 3000 })
    const started = performance.now()
    const error = await rejection(impatient.sendMessage(42, 'a'))
    expect(error).toBeInstanceOf(HttpError)
    expect(performance.now() - started).toBeLessThan(2500)
    expect(tg.callsOf('sendMessage')[0]?.fault).toBe('hang 3000 ms')
  })

  test('a late answer: the message is in the chat before the client hears of it; a client gone never does', async () => {
    tg.failNext('sendMessage', { answerAfterMs: 400 })
    const sending = api.sendMessage(42, 'первое')
    await tg.waitFor(() => tg.botMessages(42).length === 1)
    const [held] = tg.callsOf('sendMessage')
    expect(held).toMatchObject({ status: 200, fault: 'answer after 400 ms' })
    expect(held?.answeredAt).toBeUndefined()
    expect((await sending).text).toBe('первое')
    expect(held?.answeredAt).toBeDefined()

    const impatient = new Api(tg.token, { apiRoot: tg.apiRoot, timeoutSeconds: 1 })
    tg.failNext('sendMessage', { answerAfterMs: 3000 })
    expect(await rejection(impatient.sendMessage(42, 'второе'))).toBeInstanceOf(HttpError)
    // Performed all the same: the client cannot tell a lost answer from a lost request.
    expect(tg.botMessages(42).map((m) => m.text)).toEqual(['первое', 'второе'])
  })

  test('a person who blocked the bot: sends answer 403 until unblocked', async () => {
    const anna = tg.user(42)
    anna.block()
    expect(await rejection(api.sendMessage(42, 'a'))).toMatchObject({ error_code: 403 })
    anna.unblock()
    expect((await api.sendMessage(42, 'a')).chat.id).toBe(42)
  })

  test('down refuses connections (or answers 502), up brings it back on the same address', async () => {
    await tg.down()
    const refused = await rejection(api.getMe())
    expect(refused).toBeInstanceOf(HttpError)
    await tg.up()
    expect((await api.getMe()).is_bot).toBe(true)
    await tg.down('502')
    expect(await rejection(api.getMe())).toBeInstanceOf(HttpError)
    await tg.up()
    expect((await api.getMe()).is_bot).toBe(true)
  })

  test('optional flood control answers 429 to a second message to a chat within a second', async () => {
    const strict = await startFakeTelegram({ floodControl: { perChatIntervalMs: 1000, globalPerSecond: 30 } })
    try {
      const client = new Api(strict.token, { apiRoot: strict.apiRoot })
      await client.sendMessage(1, 'a')
      await client.sendMessage(2, 'b')
      expect(await rejection(client.sendMessage(1, 'c'))).toMatchObject({
        error_code: 429,
        parameters: { retry_after: 1 },
      })
    } finally {
      await strict.close()
    }
  })

  test('close ends a held long poll', async () => {
    const poll = api.getUpdates({ timeout: 30 })
    await tg.waitFor(() => tg.callsOf('getUpdates').length === 1)
    await tg.close()
    expect(await poll).toEqual([])
  })
})
