import { afterEach, describe, expect, test } from 'vitest'
import { accountButtons, accountTexts, texts } from '#src/bot/texts.ts'
import type { Db, User } from '#src/db/schema.ts'
import { callback } from '#src/notify/callback-data.ts'
import { setSetting } from '#src/settings/settings.ts'
import { systemActor } from '#src/users/actor.ts'
import { createSession, resolveSession, SESSION_COOKIE } from '#src/users/sessions.ts'
import { testApp } from '../support/api.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { lastSaid as last, settledLastSaid } from '../support/bot-people.ts'
import { buildConsent, buildUser } from '../support/factories.ts'
import type { TgMessage } from '../support/fake-telegram.ts'

/** /login and /revoke (PRODUCT.md §4, COMPLIANCE.md §1) against the fake Telegram server and the real app. */

let h: BotHarness
afterEach(async () => {
  await h?.close()
})

function buttons(message: TgMessage) {
  return (message.reply_markup?.inline_keyboard ?? []).flat()
}

/** A registered person who consented through the bot. */
async function consented(db: Db, chatId: number, overrides: Parameters<typeof buildUser>[1] = {}): Promise<User> {
  const user = await buildUser(db, { telegramChatId: String(chatId), consent: false, ...overrides })
  await buildConsent(db, user.id)
  return user
}

/** A consented person signed in on the web, and a curator, both in Telegram; the bot polls. */
async function signedInWithCurator(chatId: number, curatorChatId: number) {
  h = await botHarness()
  await buildUser(h.db, { role: 'curator', telegramChatId: String(curatorChatId) })
  const user = await consented(h.db, chatId)
  const session = await createSession(h.db, user.id, { ip: null, userAgent: null })
  h.poll()
  return { user, session, person: h.fake.user(chatId) }
}

async function statusOf(db: Db, userId: number) {
  return (await db.selectFrom('users').select('status').where('id', '=', userId).executeTakeFirstOrThrow()).status
}

/** Posts the link's form as a browser does after opening it. */
async function signInByLink(app: ReturnType<typeof testApp>['app'], url: string) {
  const path = new URL(url).pathname
  const page = await app.request(path)
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? ''
  const response = await app.request(path, {
    method: 'POST',
    body: new URLSearchParams({ _csrf: csrf }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
  })
  return { status: response.status, setCookie: response.headers.get('set-cookie') ?? '', text: await response.text() }
}

describe('/login', () => {
  test('an active person gets a one-time link that signs them in to the web once', async () => {
    h = await botHarness()
    const user = await buildUser(h.db, { telegramChatId: '7301' })
    h.poll()
    const person = h.fake.user(7301)

    person.command('/login')
    const message = await settledLastSaid(h, person)
    expect(message.text).toContain('действует 5 минут')
    expect(message.text).toContain('одноразовая')
    const url = /http:\/\/helpdesk\.test\/login\/telegram\/[A-Za-z0-9_-]{43}/.exec(message.text ?? '')?.[0]
    if (!url) throw new Error('no link in the message')
    expect(buttons(message)).toEqual([{ text: accountButtons.openSite, url }])

    const { app } = testApp(h.db, h.config)
    const first = await signInByLink(app, url)
    expect(first.status).toBe(303)
    const token = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(first.setCookie)?.[1] ?? ''
    expect((await resolveSession(h.db, token))?.user.id).toBe(user.id)

    const second = await signInByLink(app, url)
    expect(second.status).toBe(410)
    expect(second.setCookie).not.toContain(`${SESSION_COOKIE}=`)
    expect(await h.db.selectFrom('sessions').selectAll().execute()).toHaveLength(1)
  })

  test('pending, deactivated and unknown people are refused plainly; no link is made', async () => {
    h = await botHarness()
    await buildUser(h.db, { telegramChatId: '7311', status: 'pending' })
    await buildUser(h.db, { telegramChatId: '7312', status: 'deactivated' })
    h.poll()
    const pending = h.fake.user(7311)
    const deactivated = h.fake.user(7312)
    const stranger = h.fake.user(7313)

    pending.command('/login')
    deactivated.command('/login')
    stranger.command('/login')
    await h.settle()

    expect(last(pending).text).toBe(accountTexts.loginPending)
    expect(last(deactivated).text).toBe(accountTexts.loginDeactivated)
    expect(last(stranger).text).toBe(accountTexts.loginUnregistered)
    expect(await h.db.selectFrom('login_links').selectAll().execute()).toEqual([])
  })
})

describe('/revoke', () => {
  test('confirmed: consent withdrawn, account off, sessions revoked, curators told, the person told', async () => {
    const { user, session, person } = await signedInWithCurator(7402, 7401)
    person.command('/revoke')
    const question = await settledLastSaid(h, person)
    expect(question.text).toBe(accountTexts.revokeQuestion)
    expect(question.text).toContain('отключена')
    expect(buttons(question).map((b) => [b.text, b.callback_data])).toEqual([
      [accountButtons.withdrawYes, callback.withdraw('yes')],
      [accountButtons.withdrawNo, callback.withdraw('no')],
    ])

    person.press(question.message_id, callback.withdraw('yes'))
    await h.settle()

    expect(await statusOf(h.db, user.id)).toBe('deactivated')
    expect(await resolveSession(h.db, session.token)).toBeUndefined()
    const records = await h.db.selectFrom('consent_records').selectAll().where('user_id', '=', user.id).execute()
    expect(records.map((r) => r.status)).toEqual(['given', 'withdrawn'])
    expect(JSON.parse(records[1]?.evidence ?? '{}')).toEqual({
      update_id: expect.any(Number),
      message_id: question.message_id,
    })
    expect(last(person).text).toBe(accountTexts.withdrawn)
    const marked = person.botMessages().find((m) => m.message_id === question.message_id)
    expect(marked?.reply_markup).toBeUndefined()
    expect(marked?.text).toContain(accountTexts.withdrawnMark)

    const notice = h.fake.botMessages(7401).at(-1)
    expect(notice?.text).toContain('отозвал согласие')
    expect(notice?.text).toContain(user.full_name)
    expect(buttons(notice as TgMessage)).toEqual([{ text: 'Открыть', url: `http://helpdesk.test/users/${user.id}` }])

    // The account is off: the bot no longer serves the person, and pressing again changes nothing.
    const again = person.press(question.message_id, callback.withdraw('yes'))
    person.command('/login')
    await h.settle()
    expect(h.fake.callbackAnswer(again.callbackQueryId)).toMatchObject({ text: accountTexts.revokeAlready })
    expect(last(person).text).toBe(accountTexts.loginDeactivated)
    expect(await h.db.selectFrom('consent_records').selectAll().where('user_id', '=', user.id).execute()).toHaveLength(
      2,
    )
  })

  test('with «ПДн не передаются в Telegram» the curators’ notice names nobody', async () => {
    h = await botHarness()
    await setSetting(h.db, systemActor('cli'), 'privacy.no_pdn_in_telegram', true)
    await buildUser(h.db, { role: 'curator', telegramChatId: '7411' })
    const user = await consented(h.db, 7412, { fullName: 'Сидорова Анна Ивановна' })
    h.poll()
    const person = h.fake.user(7412)
    person.command('/revoke')
    person.press((await settledLastSaid(h, person)).message_id, callback.withdraw('yes'))
    await h.settle()

    const notice = h.fake.botMessages(7411).at(-1)
    expect(notice?.text).toContain(`№ ${user.id}`)
    expect(notice?.text).not.toContain('Сидорова')
  })

  test('«Нет» changes nothing', async () => {
    const { user, session, person } = await signedInWithCurator(7422, 7421)
    person.command('/revoke')
    const question = await settledLastSaid(h, person)
    const curatorMessages = h.fake.botMessages(7421).length
    person.press(question.message_id, callback.withdraw('no'))
    await h.settle()

    expect(await statusOf(h.db, user.id)).toBe('active')
    expect((await resolveSession(h.db, session.token))?.user.id).toBe(user.id)
    const records = await h.db.selectFrom('consent_records').selectAll().where('user_id', '=', user.id).execute()
    expect(records.map((r) => [r.status, r.withdrawn_at])).toEqual([['given', null]])
    expect(await h.db.selectFrom('outbox').selectAll().where('kind', '=', 'consent_withdrawn').execute()).toEqual([])
    expect(h.fake.botMessages(7421)).toHaveLength(curatorMessages)
    expect(last(person).text).toBe(accountTexts.kept)
    expect(person.botMessages().find((m) => m.message_id === question.message_id)?.reply_markup).toBeUndefined()
  })

  test('someone who never consented is told there is nothing to withdraw', async () => {
    h = await botHarness()
    h.poll()
    const stranger = h.fake.user(7431)
    stranger.command('/revoke')
    await h.settle()
    expect(last(stranger).text).toBe(accountTexts.revokeNothing)
    expect(texts.help).toContain('/revoke')
    expect(texts.help).toContain('/login')
  })
})
