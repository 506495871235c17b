import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { type FakeMax, startFakeMax } from './fake-max.ts'

/**
 * The fake's own behaviour, checked over plain HTTP (no client of ours in between): what it answers is what the
 * published schema says MAX answers, so that a client passing against it is right for the reason it seems.
 */
let max: FakeMax
beforeEach(async () => {
  max = await startFakeMax()
})
afterEach(async () => {
  await max.close()
})

async function call(
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const token = options.token === undefined ? max.token : options.token
  const response = await fetch(`${max.apiRoot}${path}`, {
    method,
    headers: {
      ...(token !== null ? { authorization: token } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  })
  const text = await response.text()
  return {
    status: response.status,
    body: text.startsWith('{') ? JSON.parse(text) : { text },
    headers: response.headers,
  }
}

describe('fake MAX: authentication', () => {
  test('the query access_token MAX dropped is refused with deprecated.token; a missing header with verify.token', async () => {
    expect(await call('GET', `/me?access_token=${max.token}`, { token: null })).toMatchObject({
      status: 403,
      body: { code: 'deprecated.token' },
    })
    expect(await call('GET', '/me', { token: null })).toMatchObject({ status: 401, body: { code: 'verify.token' } })
    expect(await call('GET', '/me')).toMatchObject({ status: 200, body: { user_id: max.botUser.user_id } })
  })
})

describe('fake MAX: GET /updates', () => {
  test('without a marker only the latest update comes, as the schema says; the earlier ones are passed', async () => {
    const person = max.user(1)
    person.send('первое')
    person.send('второе')
    const { body } = await call('GET', '/updates?timeout=0')
    const updates = body.updates as Array<{ message: { body: { text: string } } }>
    expect(updates.map((u) => u.message.body.text)).toEqual(['второе'])
    expect(typeof body.marker).toBe('number')
    expect((await call('GET', `/updates?timeout=0&marker=${body.marker}`)).body.updates).toEqual([])
  })

  test('limit and timeout outside the schema’s ranges are 400', async () => {
    expect((await call('GET', '/updates?limit=0')).status).toBe(400)
    expect((await call('GET', '/updates?limit=1001&timeout=0')).status).toBe(400)
    expect((await call('GET', '/updates?timeout=91')).status).toBe(400)
  })

  test('a second poll ends the one still held, with nothing', async () => {
    const first = call('GET', '/updates?timeout=30&marker=1000')
    await max.waitFor(() => max.callsOf('GET /updates').length === 1)
    const second = call('GET', '/updates?timeout=1&marker=1000')
    expect(await first).toMatchObject({ status: 200, body: { updates: [], marker: 1000 } })
    expect((await second).body.updates).toEqual([])
  })

  test('an update reaches a held poll only if it is of a wanted type', async () => {
    const poll = call('GET', '/updates?timeout=5&marker=1000&types=message_callback')
    await max.waitFor(() => max.callsOf('GET /updates').length === 1)
    const person = max.user(2)
    person.send('не то')
    const pressed = person.press('mid.0000000000000001', 'x:1')
    const { body } = await poll
    expect(body.updates).toMatchObject([{ update_type: 'message_callback', callback: { payload: 'x:1' } }])
    expect(body.marker).toBe(pressed.seq + 1)
  })
})

describe('fake MAX: messages', () => {
  test('the schema’s limits: text ≤ 4000, callback payload ≤ 1024, button text ≤ 128, something to send', async () => {
    const send = (body: unknown) => call('POST', '/messages?user_id=5', { body })
    expect((await send({ text: 'я'.repeat(4000) })).status).toBe(200)
    expect(await send({ text: 'я'.repeat(4001) })).toMatchObject({ status: 400, body: { code: 'proto.payload' } })
    const keyboard = (button: unknown) => ({
      text: 'x',
      attachments: [{ type: 'inline_keyboard', payload: { buttons: [[button]] } }],
    })
    expect((await send(keyboard({ type: 'callback', text: 'Да', payload: 'p'.repeat(1024) }))).status).toBe(200)
    expect((await send(keyboard({ type: 'callback', text: 'Да', payload: 'p'.repeat(1025) }))).status).toBe(400)
    expect((await send(keyboard({ type: 'callback', text: 'Д'.repeat(129), payload: 'p' }))).status).toBe(400)
    expect((await send(keyboard({ type: 'link', text: 'Сайт', url: 'ftp://x' }))).status).toBe(400)
    expect((await send({ text: '  ' })).status).toBe(400)
    expect((await call('POST', '/messages', { body: { text: 'кому?' } })).status).toBe(400)
    expect(max.botMessages(5)).toHaveLength(2)
  })

  test('strict chats: a person who never opened the dialog cannot be written to', async () => {
    await max.close()
    max = await startFakeMax({ strictChats: true })
    expect(await call('POST', '/messages?user_id=77', { body: { text: 'Привет' } })).toMatchObject({ status: 404 })
    max.user(77).start()
    expect((await call('POST', '/messages?user_id=77', { body: { text: 'Привет' } })).status).toBe(200)
  })

  test('only the bot’s own messages can be edited, and an answer needs a known callback', async () => {
    const person = max.user(6)
    const own = person.send('моё')
    expect((await call('PUT', `/messages?message_id=${own.mid}`, { body: { text: 'чужое' } })).status).toBe(403)
    expect((await call('POST', '/answers?callback_id=cb.none', { body: { notification: 'x' } })).status).toBe(404)
    const sent = await call('POST', '/messages?user_id=6', { body: { text: 'Вопрос' } })
    const mid = (sent.body.message as { body: { mid: string } }).body.mid
    const { callbackId } = person.press(mid, 'ok')
    expect((await call('POST', `/answers?callback_id=${callbackId}`, { body: {} })).status).toBe(400)
    expect(
      (await call('POST', `/answers?callback_id=${callbackId}`, { body: { notification: 'Готово' } })).status,
    ).toBe(200)
    expect(person.transcript().map((e) => e.kind)).toEqual(['text', 'text', 'callback', 'notification'])
  })

  test('uploads: type=photo is no longer accepted; one file per upload URL; files need their signature', async () => {
    expect((await call('POST', '/uploads?type=photo')).status).toBe(400)
    const { body } = await call('POST', '/uploads?type=file')
    const form = new FormData()
    form.append('data', new Blob([Buffer.from('abc')]), 'a.txt')
    const first = await fetch(String(body.url), { method: 'POST', body: form })
    expect(first.status).toBe(200)
    const again = await fetch(String(body.url), { method: 'POST', body: form })
    expect(again.status).toBe(404)

    max.user(3).sendFile({ fileName: 'скан.pdf', content: Buffer.from('%PDF') })
    const url = new URL(fileUrlOf(max))
    expect((await fetch(url)).status).toBe(200)
    url.searchParams.set('sig', 'forged')
    expect((await fetch(url)).status).toBe(404)
  })
})

describe('fake MAX: faults', () => {
  test('flood control answers 429 past the rate, with Retry-After when configured', async () => {
    await max.close()
    max = await startFakeMax({ rateLimit: { perSecond: 30, retryAfter: 1 } })
    const answers = await Promise.all(Array.from({ length: 35 }, () => call('GET', '/me')))
    const statuses = answers.map((a) => a.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(30)
    const refused = answers.find((a) => a.status === 429)
    expect(refused?.body).toMatchObject({ code: 'too.many.requests' })
    expect(refused?.headers.get('retry-after')).toBe('1')
    expect(max.calls.filter((c) => c.fault === 'rate limit')).toHaveLength(5)
  })

  test('injected faults answer in order, per route, then normal service resumes', async () => {
    max.inject('GET /me', { status: 502 }, { status: 429, retryAfter: 7 })
    expect(await call('GET', '/me')).toMatchObject({ status: 502, body: { code: 'internal.error' } })
    const flood = await call('GET', '/me')
    expect(flood.status).toBe(429)
    expect(flood.headers.get('retry-after')).toBe('7')
    expect((await call('GET', '/me')).status).toBe(200)
    expect(max.callsOf('GET /me').map((c) => c.fault)).toEqual(['status 502', 'status 429', undefined])
  })
})

describe('fake MAX: webhook delivery', () => {
  let hook: Server
  let statuses: number[]
  let bodies: string[]
  beforeEach(async () => {
    statuses = [500, 200, 200]
    bodies = []
    hook = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8')
      })
      req.on('end', () => {
        bodies.push(body)
        res.writeHead(statuses.shift() ?? 200).end()
      })
    })
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve))
  })
  afterEach(async () => {
    await new Promise<void>((resolve) => hook.close(() => resolve()))
  })

  test('a failed delivery is retried, in order, until 200; only wanted types are sent', async () => {
    await max.close()
    max = await startFakeMax({ webhookRetryMs: 50 })
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`
    const subscribed = await call('POST', '/subscriptions', {
      body: { url, secret: 's3cret', update_types: ['message_created'] },
    })
    expect(subscribed).toMatchObject({ status: 200, body: { success: true } })
    expect((await call('POST', '/subscriptions', { body: { url: 'http://example.org/hook' } })).status).toBe(400)
    const person = max.user(4)
    person.start()
    person.send('один')
    person.send('два')
    await max.waitForConfirmed()
    expect(bodies.map((b) => (JSON.parse(b) as { message: { body: { text: string } } }).message.body.text)).toEqual([
      'один',
      'один',
      'два',
    ])
    expect(max.webhookDeliveries.map((d) => d.status)).toEqual([500, 200, 200])
    expect(max.webhookDeliveries.every((d) => d.secretHeader === 's3cret')).toBe(true)
  })
})

/** The URL of the last file a person sent, read from the pending update. */
function fileUrlOf(fake: FakeMax): string {
  const last = fake.pendingUpdates().at(-1)?.update
  if (last?.update_type !== 'message_created') throw new Error('no message')
  const attachment = last.message.body.attachments?.[0]
  if (attachment?.type !== 'file') throw new Error('no file')
  return attachment.payload.url
}
