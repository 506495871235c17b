import { describe, expect, test } from 'vitest'
import { redeemTelegramLink } from '#src/users/telegram-link.ts'
import { apiUser, call, testApp, testConfig } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { journalOf, userRow } from '../../test/support/state.ts'
import { getPage, inlineProblems, postForm, webUser } from '../../test/support/web.ts'

const CODE = /<code class="link-code">([0-9A-Z]{10})<\/code>/

describe('«Профиль → Telegram»', () => {
  test('«Привязать Telegram» shows a code once with the deep link, its QR and the command; needs CSRF', async () => {
    const { db } = await testDatabase()
    const config = testConfig({ telegramBotUsername: 'kgkb_help_bot' })
    const { app } = testApp(db, config)
    const me = await webUser(db, { login: 'petrova', telegramChatId: null })

    const profile = await getPage(app, '/profile', me)
    expect(profile.text).toContain('Не привязан')
    expect(profile.text).toContain('action="/profile/telegram/link"')
    expect(profile.text).not.toContain('action="/profile/telegram/unlink"')

    const forged = await postForm(app, '/profile/telegram/link', me, {}, { csrf: null })
    expect(forged.status).toBe(403)
    expect(await db.selectFrom('telegram_links').selectAll().execute()).toEqual([])

    const page = await postForm(app, '/profile/telegram/link', me)
    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toContain('no-store')
    const code = CODE.exec(page.text)?.[1] ?? ''
    expect(code).toMatch(/^[0-9A-Z]{10}$/)
    expect(page.text).toContain(`href="https://t.me/kgkb_help_bot?start=link_${code}"`)
    expect(page.text).toContain(`<code>/start link_${code}</code>`)
    expect(page.text).toContain('или отправьте боту команду')
    expect(page.text).toMatch(/<div class="qr"><svg [^>]*>/)
    expect(inlineProblems(page.text)).toEqual([])
    expect(await journalOf(db, 'user.telegram_link.create')).toHaveLength(1)

    // Shown once: the profile never shows it again, and a second press replaces it.
    expect((await getPage(app, '/profile', me)).text).not.toContain(code)
    const again = CODE.exec((await postForm(app, '/profile/telegram/link', me)).text)?.[1] ?? ''
    expect(again).not.toBe(code)

    const secretKey = config.secretKey
    const input = { chatId: '6001', telegramUsername: 'petrova_tg', secretKey }
    await expect(redeemTelegramLink(db, { ...input, code })).rejects.toMatchObject({ code: 'validation' })
    await redeemTelegramLink(db, { ...input, code: again })
    const linked = await getPage(app, '/profile', me)
    expect(linked.text).toContain('Привязан')
    expect(linked.text).toContain('••••001 · @petrova_tg')
    expect(linked.text).not.toContain('6001')
  })

  test('without a known bot name only the code and the /start command are shown', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const me = await webUser(db, { login: 'sidorov', telegramChatId: null })
    const page = await postForm(app, '/profile/telegram/link', me)
    const code = CODE.exec(page.text)?.[1] ?? ''
    expect(page.text).toContain(`<code>/start link_${code}</code>`)
    expect(page.text).toContain('Найдите бота службы поддержки в Telegram')
    expect(page.text).not.toContain('t.me/')
    expect(page.text).not.toContain('<svg')
  })

  test('«Отвязать» unlinks where a password is left; a bot-only account keeps its chat with the reason shown', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const me = await webUser(db, { login: 'orlova', passwordHash: 'argon2-hash', telegramChatId: '6010' })
    expect((await getPage(app, '/profile', me)).text).toContain('action="/profile/telegram/unlink"')
    const done = await postForm(app, '/profile/telegram/unlink', me)
    expect(done.status).toBe(303)
    expect(done.location).toBe('/profile?done=telegram_unlinked')
    expect((await userRow(db, me.user.id)).telegram_chat_id).toBeNull()
    expect((await getPage(app, '/profile?done=telegram_unlinked', me)).text).toContain('Telegram отвязан')

    const botOnly = await webUser(db, { telegramChatId: '6011' })
    expect((await getPage(app, '/profile', botOnly)).text).not.toContain('action="/profile/telegram/unlink"')
    const refused = await postForm(app, '/profile/telegram/unlink', botOnly)
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('единственный способ входа')
    expect((await userRow(db, botOnly.user.id)).telegram_chat_id).toBe('6011')
  })

  test('POST /api/v1/me/telegram-link returns the code, the link and when it expires', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db, testConfig({ telegramBotUsername: 'kgkb_help_bot' }))
    const me = await apiUser(db, { login: 'apiuser', telegramChatId: null })
    const result = await call(app, 'POST', '/api/v1/me/telegram-link', { headers: me.headers })
    expect(result.status).toBe(201)
    const body = result.body as { code: string; link: string | null; expires_at: string }
    expect(body.code).toMatch(/^[0-9A-Z]{10}$/)
    expect(body.link).toBe(`https://t.me/kgkb_help_bot?start=link_${body.code}`)
    expect(Date.parse(body.expires_at)).toBeGreaterThan(Date.now())
    expect(result.headers.get('cache-control')).toContain('no-store')
  })
})
