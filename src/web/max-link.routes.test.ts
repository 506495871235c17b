import pino from 'pino'
import { describe, expect, test } from 'vitest'
import { createApp } from '#src/app.ts'
import type { Config } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { getSetting } from '#src/settings/settings.ts'
import { redeemTelegramLink, telegramLinkThrottle } from '#src/users/telegram-link.ts'
import { testApp, testConfig } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { journalOf, userRow } from '../../test/support/state.ts'
import { getPage, inlineProblems, postForm, webUser } from '../../test/support/web.ts'

const CODE = /<code class="link-code">([0-9A-Z]{10})<\/code>/

/** MAX_BOT_TOKEN set (the bot itself does not run in these tests). */
const withMax = (): Config =>
  testConfig({
    max: { enabled: true, token: 'x', mode: 'polling', webhookSecret: undefined, apiRoot: undefined, proxy: undefined },
  })

/** The app as main.ts makes it once the MAX bot has learnt its name from GET /me. */
function appWithMaxBot(db: Db, name: string | undefined) {
  return createApp({ db, config: withMax(), logger: pino({ level: 'silent' }), maxBotUsername: () => name })
}

async function bindMax(db: Db, userId: number, maxUserId: string) {
  await db.updateTable('users').set({ max_user_id: maxUserId, messenger: 'max' }).where('id', '=', userId).execute()
}

describe('«Профиль → MAX»', () => {
  test('«Привязать MAX» shows the code with the max.ru link and its QR; the code sent from MAX binds it', async () => {
    const { db } = await testDatabase()
    const app = appWithMaxBot(db, 'kgkb_help_maxbot')
    const me = await webUser(db, { login: 'maximova', passwordHash: 'argon2-hash', telegramChatId: '6101' })

    const profile = await getPage(app, '/profile', me)
    expect(profile.text).toContain('<h2>MAX</h2>')
    expect(profile.text).toContain('action="/profile/max/link"')
    expect(profile.text).toContain('Привязать MAX')
    expect(profile.text).not.toContain('action="/profile/max/unlink"')

    const forged = await postForm(app, '/profile/max/link', me, {}, { csrf: null })
    expect(forged.status).toBe(403)
    expect(await db.selectFrom('telegram_links').selectAll().execute()).toEqual([])

    const page = await postForm(app, '/profile/max/link', me)
    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toContain('no-store')
    expect(page.text).toContain('Привязка MAX')
    const code = CODE.exec(page.text)?.[1] ?? ''
    expect(code).toMatch(/^[0-9A-Z]{10}$/)
    expect(page.text).toContain(`href="https://max.ru/kgkb_help_maxbot?start=link_${code}"`)
    expect(page.text).toMatch(/<div class="qr"><svg [^>]*>/)
    expect(page.text).toContain(`<code>/start link_${code}</code>`)
    expect(page.text).not.toContain('t.me/')
    expect(inlineProblems(page.text)).toEqual([])
    expect(await journalOf(db, 'user.telegram_link.create')).toHaveLength(1)

    const secretKey = withMax().secretKey
    await redeemTelegramLink(
      db,
      { code, chatId: 'max:9001234', telegramUsername: null, secretKey },
      telegramLinkThrottle(),
    )
    const linked = await getPage(app, '/profile', me)
    expect(linked.text).toContain('••••234')
    expect(linked.text).not.toContain('9001234')
    expect(linked.text).toContain('action="/profile/max/unlink"')
    expect(linked.text).toContain('Привязать другой MAX')
    // Telegram's card is as it was.
    expect(linked.text).toContain('••••101')
  })

  test('before the bot knows its name only the command; the card shows only where MAX is on or linked', async () => {
    const { db } = await testDatabase()
    const me = await webUser(db, { login: 'bezimeni', telegramChatId: null })
    const page = await postForm(appWithMaxBot(db, undefined), '/profile/max/link', me)
    const code = CODE.exec(page.text)?.[1] ?? ''
    expect(page.text).toContain(`<code>/start link_${code}</code>`)
    expect(page.text).toContain('Найдите бота службы поддержки в MAX')
    expect(page.text).not.toContain('max.ru/')
    expect(page.text).not.toContain('<svg')

    const { app: withoutMax } = testApp(db)
    expect((await getPage(withoutMax, '/profile', me)).text).not.toContain('/profile/max/')
    await bindMax(db, me.user.id, '9001235')
    expect((await getPage(withoutMax, '/profile', me)).text).toContain('action="/profile/max/link"')
  })

  test('«Отвязать MAX» clears the MAX columns, journaled; MAX as the only way in is kept with the reason', async () => {
    const { db } = await testDatabase()
    const app = appWithMaxBot(db, 'kgkb_help_maxbot')
    const me = await webUser(db, { login: 'otvyazova', passwordHash: 'argon2-hash', telegramChatId: '6102' })
    await bindMax(db, me.user.id, '9001236')
    await db.updateTable('users').set({ max_blocked_at: now() }).where('id', '=', me.user.id).execute()

    const done = await postForm(app, '/profile/max/unlink', me)
    expect(done).toMatchObject({ status: 303, location: '/profile?done=max_unlinked' })
    expect(await userRow(db, me.user.id)).toMatchObject({
      max_user_id: null,
      max_blocked_at: null,
      telegram_chat_id: '6102',
    })
    const [row] = await journalOf(db, 'user.max_unlink')
    expect(row).toMatchObject({ subject_id: me.user.id, actor_id: me.user.id, channel: 'web', pdn_related: 1 })
    expect((await getPage(app, '/profile?done=max_unlinked', me)).text).toContain('MAX отвязан')

    const maxOnly = await webUser(db, { telegramChatId: null })
    await bindMax(db, maxOnly.user.id, '9001237')
    expect((await getPage(app, '/profile', maxOnly)).text).not.toContain('action="/profile/max/unlink"')
    const refused = await postForm(app, '/profile/max/unlink', maxOnly)
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('единственный способ входа')
    expect((await userRow(db, maxOnly.user.id)).max_user_id).toBe('9001237')
    expect(await journalOf(db, 'user.max_unlink')).toHaveLength(1)
  })
})

describe('MAX in «Настройки» and «Пользователи»', () => {
  test('«Мессенджеры»: where notices go is saved and journaled; a bad value is refused in Russian', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db, withMax())
    const admin = await webUser(db, { role: 'admin' })

    const page = await getPage(app, '/settings', admin)
    expect(page.text).toContain('<h2>Мессенджеры</h2>')
    expect(page.text).toContain('ПДн не передаются в Telegram')
    expect(page.text).toContain('<option value="last_used" selected="">В тот, откуда человек писал последним</option>')
    expect(page.text).toContain('<option value="max">MAX</option>')

    const saved = await postForm(app, '/settings', admin, { key: 'messenger.preferred', value: 'max' })
    expect(saved).toMatchObject({ status: 303, location: '/settings?done=saved#setting-messenger.preferred' })
    expect(await getSetting(db, 'messenger.preferred')).toBe('max')
    const [change] = await journalOf(db, 'settings.change')
    expect(change).toMatchObject({ object_id: 'messenger.preferred', actor_id: admin.user.id })
    expect(JSON.parse(change?.details ?? '{}')).toEqual({ old: 'last_used', new: 'max' })
    expect((await getPage(app, '/settings', admin)).text).toContain('<option value="max" selected="">MAX</option>')

    const refused = await postForm(app, '/settings', admin, { key: 'messenger.preferred', value: 'whatsapp' })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('Недопустимое значение')
    expect(await getSetting(db, 'messenger.preferred')).toBe('max')
    expect(await journalOf(db, 'settings.change')).toHaveLength(1)
  })

  test('a person’s card says whether MAX is linked, Telegram shown as before', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db, withMax())
    const admin = await webUser(db, { role: 'admin' })
    const person = await webUser(db, { telegramChatId: '6103' })
    await db.updateTable('users').set({ telegram_username: 'tg_name' }).where('id', '=', person.user.id).execute()

    const fact = (html: string, label: string) =>
      new RegExp(`<dt>${label}</dt><dd>(.*?)</dd>`).exec(html)?.[1] ?? 'no such fact'
    const before = (await getPage(app, `/users/${person.user.id}`, admin)).text
    expect(fact(before, 'Telegram')).toBe('@tg_name')
    expect(fact(before, 'MAX')).toBe('<span class="muted">—</span>')

    await bindMax(db, person.user.id, '9001238')
    const after = (await getPage(app, `/users/${person.user.id}`, admin)).text
    expect(fact(after, 'Telegram')).toBe('@tg_name')
    expect(fact(after, 'MAX')).toBe('привязан')
    expect(after).not.toContain('9001238')
  })
})
