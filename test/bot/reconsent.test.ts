import { afterEach, describe, expect, test } from 'vitest'
import { accountTexts, buttons, reconsentTexts } from '#src/bot/texts.ts'
import type { Db, User } from '#src/db/schema.ts'
import { callback } from '#src/notify/callback-data.ts'
import { systemActor } from '#src/users/actor.ts'
import { publishConsentText } from '#src/users/consent.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { buttonData, lastSaid as last, settledLastSaid } from '../support/bot-people.ts'
import { buildConsent, buildUser } from '../support/factories.ts'

/** A new consent text asks active people again in the bot (issue 10), against the fake Telegram server. */

let h: BotHarness
afterEach(async () => {
  await h?.close()
})

const NEW_TEXT = 'Согласие на обработку персональных данных, версия для теста.\n\nЦель обработки: заявки в ИТ-отдел.'

/** A person who consented through the bot to version 1, and a newer text published since. */
async function consentedBeforeNewText(db: Db, chatId: number): Promise<{ user: User; versionId: number }> {
  const user = await buildUser(db, { telegramChatId: String(chatId), consent: false })
  await buildConsent(db, user.id)
  const published = await publishConsentText(db, systemActor(), { text: NEW_TEXT })
  return { user, versionId: published.id }
}

async function recordsOf(db: Db, userId: number) {
  return db
    .selectFrom('consent_records')
    .innerJoin('consent_texts', 'consent_texts.id', 'consent_records.consent_text_id')
    .select(['consent_records.status', 'consent_records.channel', 'consent_records.evidence', 'consent_texts.version'])
    .where('consent_records.user_id', '=', userId)
    .orderBy('consent_records.id')
    .execute()
}

describe('re-consent in the bot', () => {
  test('the next message brings the new text; «Согласен» records it with the update and message ids, and work goes on', async () => {
    h = await botHarness()
    const { user, versionId } = await consentedBeforeNewText(h.db, 7501)
    h.poll()
    const person = h.fake.user(7501)

    person.send(buttons.myTickets)
    const question = await settledLastSaid(h, person)
    expect(question.text).toBe(reconsentTexts.question)
    expect(buttonData(question)).toEqual([callback.reconsent(versionId, 'yes'), callback.reconsent(versionId, 'no')])
    const shown = person.botMessages().map((m) => m.text ?? '')
    expect(shown.some((text) => text.includes(reconsentTexts.intro(2)) && text.includes('версия для теста'))).toBe(true)
    // Nothing else was answered: «Мои заявки» waits until the person agrees.
    expect(shown).toHaveLength(2)

    person.send(buttons.newTicket)
    await h.settle()
    expect(last(person).text).toBe(reconsentTexts.question)

    const { updateId } = person.press(question.message_id, callback.reconsent(versionId, 'yes'))
    await h.settle()
    expect(last(person).text).toBe(reconsentTexts.thanks)
    const marked = person.botMessages().find((m) => m.message_id === question.message_id)
    expect(marked?.text).toContain(reconsentTexts.agreedMark)
    expect(marked?.reply_markup).toBeUndefined()

    const records = await recordsOf(h.db, user.id)
    expect(records.map((r) => [r.status, r.channel, r.version])).toEqual([
      ['given', 'bot', 1],
      ['given', 'bot', 2],
    ])
    expect(JSON.parse(records[1]?.evidence ?? '{}')).toEqual({ update_id: updateId, message_id: question.message_id })
    const journal = await h.db
      .selectFrom('audit_log')
      .select(['action', 'subject_id', 'pdn_related', 'channel'])
      .where('action', '=', 'consent.give')
      .execute()
    expect(journal).toEqual([{ action: 'consent.give', subject_id: user.id, pdn_related: 1, channel: 'bot' }])

    person.send(buttons.myTickets)
    await h.settle()
    expect(last(person).text).not.toBe(reconsentTexts.question)
    expect(await h.db.selectFrom('users').select('status').where('id', '=', user.id).executeTakeFirst()).toEqual({
      status: 'active',
    })
  })

  test('«Не согласен» withdraws the consent: the account is off, curators are told', async () => {
    h = await botHarness()
    await buildUser(h.db, { role: 'curator', telegramChatId: '7510' })
    const { user, versionId } = await consentedBeforeNewText(h.db, 7511)
    h.poll()
    const person = h.fake.user(7511)

    person.send('Здравствуйте')
    const question = await settledLastSaid(h, person)
    person.press(question.message_id, callback.reconsent(versionId, 'no'))
    await h.settle()

    expect(last(person).text).toBe(accountTexts.withdrawn)
    const after = await h.db.selectFrom('users').select('status').where('id', '=', user.id).executeTakeFirstOrThrow()
    expect(after.status).toBe('deactivated')
    expect((await recordsOf(h.db, user.id)).map((r) => r.status)).toEqual(['given', 'withdrawn'])
    expect(h.fake.botMessages(7510).at(-1)?.text).toContain('отозвал согласие')
  })

  test('other buttons wait; a button of a version replaced meanwhile shows the newest text instead', async () => {
    h = await botHarness()
    const { user, versionId } = await consentedBeforeNewText(h.db, 7521)
    h.poll()
    const person = h.fake.user(7521)
    person.send('Привет')
    const question = await settledLastSaid(h, person)

    const other = person.press(question.message_id, callback.ticket('open', 1))
    await h.settle()
    expect(h.fake.callbackAnswer(other.callbackQueryId)?.text).toBe(reconsentTexts.answerFirst)

    const third = await publishConsentText(h.db, systemActor(), { text: `${NEW_TEXT}\n\nВерсия 3.` })
    person.press(question.message_id, callback.reconsent(versionId, 'yes'))
    await h.settle()
    expect(last(person).text).toBe(reconsentTexts.question)
    expect(buttonData(last(person))).toEqual([callback.reconsent(third.id, 'yes'), callback.reconsent(third.id, 'no')])
    expect((await recordsOf(h.db, user.id)).map((r) => r.version)).toEqual([1])
  })

  test('people with a current consent are not asked; an account with none (made on the web, by an admin, by an import) is asked first', async () => {
    h = await botHarness()
    await buildUser(h.db, { telegramChatId: '7531' })
    const never = await buildUser(h.db, { telegramChatId: '7532', consent: false })
    h.poll()
    const a = h.fake.user(7531)
    const b = h.fake.user(7532)
    a.send(buttons.help)
    b.send(buttons.myTickets)
    await h.settle()
    expect(a.botMessages().some((m) => m.text === reconsentTexts.question)).toBe(false)
    const question = last(b)
    expect(question.text).toBe(reconsentTexts.firstQuestion)
    const text = await h.db
      .selectFrom('consent_texts')
      .select('id')
      .orderBy('version', 'desc')
      .executeTakeFirstOrThrow()
    expect(buttonData(question)).toEqual([callback.reconsent(text.id, 'yes'), callback.reconsent(text.id, 'no')])
    expect(b.botMessages().some((m) => m.text?.startsWith(reconsentTexts.firstIntro(1)))).toBe(true)

    // «Не согласен» withdraws nothing (there is nothing to withdraw): the account stays, and is asked again.
    b.press(question.message_id, callback.reconsent(text.id, 'no'))
    await h.settle()
    expect(last(b).text).toBe(reconsentTexts.withoutConsent)
    const marked = b.botMessages().find((m) => m.message_id === question.message_id)
    expect(marked?.text).toBe(`${reconsentTexts.firstQuestion}\n\n${reconsentTexts.declinedMark}`)
    const after = await h.db.selectFrom('users').select('status').where('id', '=', never.id).executeTakeFirstOrThrow()
    expect(after.status).toBe('active')
    expect(await recordsOf(h.db, never.id)).toEqual([])
    b.send(buttons.myTickets)
    await h.settle()
    const again = last(b)
    expect(again.text).toBe(reconsentTexts.firstQuestion)

    // «Согласен»: the first consent, with the update and message ids as its evidence; work goes on.
    const { updateId } = b.press(again.message_id, callback.reconsent(text.id, 'yes'))
    await h.settle()
    expect(last(b).text).toBe(reconsentTexts.thanks)
    const records = await recordsOf(h.db, never.id)
    expect(records.map((r) => [r.status, r.channel, r.version])).toEqual([['given', 'bot', 1]])
    expect(JSON.parse(records[0]?.evidence ?? '{}')).toEqual({ update_id: updateId, message_id: again.message_id })
  })
})
