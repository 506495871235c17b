import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, test } from 'vitest'
import { telegramLinkTexts } from '#src/bot/texts.ts'
import { loadConfig } from '#src/config.ts'
import { type Running, serve } from '#src/main.ts'
import { createSession, SESSION_COOKIE } from '#src/users/sessions.ts'
import { csrfToken } from '#src/web/csrf.ts'
import { buildConsent, buildUser } from '../support/factories.ts'
import { type FakeTelegram, startFakeTelegram } from '../support/fake-telegram.ts'

/**
 * `helpdesk serve` with a bot token and no TELEGRAM_BOT_USERNAME: the profile's deep link names the bot as
 * getMe told this process, and the code it carries links a chat through the real poller.
 */

let fake: FakeTelegram | undefined
let running: Running | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
  await fake?.close()
  fake = undefined
})

describe('serve: linking Telegram from the profile', () => {
  test('the deep link names the bot that getMe described; /start link_<code> links the chat', async () => {
    fake = await startFakeTelegram()
    const config = loadConfig({
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'helpdesk-link-')),
      PORT: '0',
      LOG_LEVEL: 'silent',
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
    })
    running = await serve(config, pino({ level: 'silent' }), { handleSignals: false })
    const user = await buildUser(running.db, { login: 'zaitseva', telegramChatId: null })
    await buildConsent(running.db, user.id)
    const session = await createSession(running.db, user.id, { ip: null, userAgent: 'test' })

    // getMe runs in the background: until it has answered, the page offers the command alone.
    let page = ''
    const deadline = Date.now() + 10_000
    while (!page.includes('https://t.me/')) {
      if (Date.now() > deadline) throw new Error('the page never named the bot')
      const response = await fetch(`${running.url}/profile/telegram/link`, {
        method: 'POST',
        headers: {
          cookie: `${SESSION_COOKIE}=${session.token}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ _csrf: csrfToken(config.secretKey, session.sessionId) }).toString(),
      })
      expect(response.status).toBe(200)
      page = await response.text()
    }
    const code = /https:\/\/t\.me\/helpdesk_test_bot\?start=link_([0-9A-Z]{10})"/.exec(page)?.[1]
    if (!code) throw new Error('no deep link to the fake bot on the page')

    fake.user(9101).command(`/start link_${code}`)
    const [reply] = await fake.waitForBotMessages(9101, 1, 10_000)
    expect(reply?.text).toBe(telegramLinkTexts.linked('zaitseva'))
    const row = await running.db
      .selectFrom('users')
      .select('telegram_chat_id')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow()
    expect(row.telegram_chat_id).toBe('9101')
  })
})
