import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, test } from 'vitest'
import { WEBHOOK_PATH } from '#src/bot/webhook.ts'
import { loadConfig } from '#src/config.ts'
import { type Running, serve } from '#src/main.ts'
import { type FakeTelegram, startFakeTelegram } from '../support/fake-telegram.ts'

/** `helpdesk serve` with a bot token: the real process wiring (bot, poller or webhook, worker) against the fake. */

let fake: FakeTelegram | undefined
let running: Running | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
  await fake?.close()
  fake = undefined
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function env(extra: Record<string, string>): Record<string, string> {
  return {
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'helpdesk-bot-')),
    PORT: '0',
    LOG_LEVEL: 'silent',
    ...extra,
  }
}

describe('serve with a Telegram bot', () => {
  test('long polling: a person’s /start is answered through the outbox at once', async () => {
    fake = await startFakeTelegram()
    const config = loadConfig(env({ TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot }))
    running = await serve(config, pino({ level: 'silent' }), { handleSignals: false })
    fake.user(9001).command('/start')
    const [consent] = await fake.waitForBotMessages(9001, 1, 10_000)
    expect(consent?.text).toContain('Согласие на обработку персональных данных')
    expect(fake.myCommands().length).toBeGreaterThan(0)
  })

  test('the web works while Telegram is unreachable; the bot starts when it is back', async () => {
    fake = await startFakeTelegram()
    const apiRoot = fake.apiRoot
    await fake.down('refused')
    const config = loadConfig(env({ TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: apiRoot }))
    const lines: Array<Record<string, unknown>> = []
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) })
    running = await serve(config, logger, { handleSignals: false })
    const health = await fetch(`${running.url}/healthz`)
    expect(health.status).toBe(200)
    const deadline = Date.now() + 5000
    while (!lines.some((l) => l.msg === 'bot start step failed' && l.step === 'getMe')) {
      if (Date.now() > deadline) throw new Error('getMe was never tried')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect((await fetch(`${running.url}/readyz`)).status).toBe(200)
    await fake.up()
    fake.user(9002).command('/help')
    const [help] = await fake.waitForBotMessages(9002, 1, 15_000)
    expect(help?.text).toContain('Это бот службы технической поддержки')
  })

  test('webhook mode: the webhook is set with the secret, and updates posted by Telegram are applied', async () => {
    fake = await startFakeTelegram()
    const port = await freePort()
    const config = loadConfig(
      env({
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.apiRoot,
        TELEGRAM_MODE: 'webhook',
        TELEGRAM_WEBHOOK_SECRET: 'webhook-secret_1',
        PORT: String(port),
        BASE_URL: `http://127.0.0.1:${port}`,
      }),
    )
    running = await serve(config, pino({ level: 'silent' }), { handleSignals: false })
    const current = fake
    await current.waitFor(() => current.webhookInfo(), 10_000)
    expect(current.webhookInfo()).toEqual({
      url: `http://127.0.0.1:${port}${WEBHOOK_PATH}`,
      secret: 'webhook-secret_1',
    })
    current.user(9003).command('/start')
    const [consent] = await current.waitForBotMessages(9003, 1, 10_000)
    expect(consent?.text).toContain('Согласие на обработку персональных данных')
    expect(current.webhookDeliveries.every((d) => d.status === 200)).toBe(true)
    // Not the secret: refused before anything is read.
    const forged = await fetch(`${running.url}${WEBHOOK_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': 'guess' },
      body: JSON.stringify({ update_id: 1 }),
    })
    expect(forged.status).toBe(401)
  })
})
