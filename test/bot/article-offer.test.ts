import { afterEach, describe, expect, test } from 'vitest'
import { articleOfferButtons, articleOfferTexts, buttons, newTicketTexts } from '#src/bot/texts.ts'
import type { Category } from '#src/db/schema.ts'
import { createArticle } from '#src/knowledge/create-article.ts'
import { updateArticle } from '#src/knowledge/update-article.ts'
import { callback } from '#src/notify/callback-data.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { buttonData, lastSaid as last } from '../support/bot-people.ts'
import { buildCategory, buildUser } from '../support/factories.ts'
import type { FakePerson, TgMessage } from '../support/fake-telegram.ts'
import { botDialects, databaseFor } from './dialects.ts'

/**
 * «База знаний» before a ticket (issue 14) through the bot against the fake Telegram Bot API server: after the
 * description, the articles that may answer it, «Помогло» (nothing filed, counted) or «Нет, создать заявку» (the
 * urgency, as ever). Without a matching article the dialogue is the one of test/bot/new-ticket.test.ts.
 */

let h: BotHarness
afterEach(async () => {
  await h?.close()
})

function buttonTexts(message: TgMessage | undefined): string[] {
  return (message?.reply_markup?.inline_keyboard ?? []).flat().map((b) => b.text)
}

async function printerArticle(category: Category) {
  const writer = await buildUser(h.db, { role: 'executor' })
  return createArticle(h.db, actorFromUser(writer, 'web'), {
    title: 'Принтер не печатает: что проверить',
    body: '1. Есть ли **бумага** в лотке.\n2. Не мигает ли лампочка картриджа.\n3. Выключите и включите принтер.',
    categoryId: category.id,
    visibility: 'public',
  })
}

/** «Новая заявка» → the category → the description. */
async function describeProblem(person: FakePerson, category: Category, description: string): Promise<void> {
  person.send(buttons.newTicket)
  await h.settle()
  person.press(last(person).message_id, callback.category(category.id))
  await h.settle()
  expect(last(person).text).toBe(newTicketTexts.askDescription)
  person.send(description)
  await h.settle()
}

async function counts(articleId: number) {
  const row = await h.db
    .selectFrom('articles')
    .select(['helpful_count', 'not_helpful_count'])
    .where('id', '=', articleId)
    .executeTakeFirstOrThrow()
  return { helpful: Number(row.helpful_count), notHelpful: Number(row.not_helpful_count) }
}

describe.each(botDialects)('articles offered before a ticket (%s)', (dialect) => {
  test('«не печатает принтер» gets the article; «Помогло» files nothing and counts 1', async () => {
    h = await botHarness({ db: await databaseFor(dialect) })
    const category = await buildCategory(h.db, { name: 'Принтеры' })
    const article = await printerArticle(category)
    const user = await buildUser(h.db, { telegramChatId: '7301' })
    h.poll()
    const person = h.fake.user(7301)

    await describeProblem(person, category, 'не печатает принтер')
    const offer = last(person)
    expect(offer.text).toContain(articleOfferTexts.intro)
    expect(offer.text).toContain('Принтер не печатает: что проверить')
    expect(offer.text).toContain(`http://helpdesk.test/kb/${article.id}`)
    expect(offer.text).toContain('Есть ли бумага в лотке.')
    expect(buttonTexts(offer)).toEqual([articleOfferButtons.helped, articleOfferButtons.notHelped, 'Отмена'])
    expect(buttonData(offer)).toEqual([callback.articleHelped(article.id), callback.articleNotHelped(), 'x'])

    person.press(offer.message_id, callback.articleHelped(article.id))
    await h.settle()
    expect(last(person).text).toBe(articleOfferTexts.helped)
    const edited = person.botMessages().find((m) => m.message_id === offer.message_id)
    expect(edited?.reply_markup).toBeUndefined()
    expect(edited?.text).toContain(articleOfferTexts.answered)
    expect(await h.db.selectFrom('tickets').select('id').execute()).toEqual([])
    expect(await h.db.selectFrom('bot_conversations').select('chat_id').execute()).toEqual([])
    expect(await counts(article.id)).toEqual({ helpful: 1, notHelpful: 0 })
    const journal = await h.db
      .selectFrom('audit_log')
      .select(['actor_id', 'channel'])
      .where('action', '=', 'article.helpful')
      .execute()
    expect(journal).toEqual([{ actor_id: user.id, channel: 'bot' }])

    // Pressed again (a second tap, a replay): nothing more is counted.
    person.press(offer.message_id, callback.articleHelped(article.id))
    await h.settle()
    expect(await counts(article.id)).toEqual({ helpful: 1, notHelpful: 0 })
  })

  test('«Нет, создать заявку» counts «не помогло» and goes on to the urgency and the ticket', async () => {
    h = await botHarness({ db: await databaseFor(dialect) })
    const category = await buildCategory(h.db, { name: 'Принтеры' })
    const article = await printerArticle(category)
    await buildUser(h.db, { telegramChatId: '7302' })
    h.poll()
    const person = h.fake.user(7302)

    await describeProblem(person, category, 'Принтер в 214 кабинете не печатает, бумага есть')
    const offer = last(person)
    person.press(offer.message_id, callback.articleNotHelped())
    await h.settle()
    const question = last(person)
    expect(question.text).toBe(newTicketTexts.askUrgency)
    expect(await counts(article.id)).toEqual({ helpful: 0, notHelpful: 1 })
    person.press(question.message_id, callback.urgency('normal'))
    await h.settle()
    const tickets = await h.db.selectFrom('tickets').select(['description', 'category_id']).execute()
    expect(tickets).toEqual([
      { description: 'Принтер в 214 кабинете не печатает, бумага есть', category_id: category.id },
    ])
  })

  test('an article made internal after the offer: the answered offer no longer shows its text', async () => {
    h = await botHarness({ db: await databaseFor(dialect) })
    const category = await buildCategory(h.db, { name: 'Принтеры' })
    const article = await printerArticle(category)
    await buildUser(h.db, { telegramChatId: '7304' })
    h.poll()
    const person = h.fake.user(7304)

    await describeProblem(person, category, 'не печатает принтер')
    const offer = last(person)
    expect(offer.text).toContain('Принтер не печатает: что проверить')
    const curator = await buildUser(h.db, { role: 'curator' })
    await updateArticle(h.db, actorFromUser(curator, 'web'), {
      id: article.id,
      title: 'Принтер: сервисный пароль',
      body: 'Пароль сервисного меню — 1234.',
      visibility: 'internal',
    })
    person.press(offer.message_id, callback.articleNotHelped())
    await h.settle()
    expect(last(person).text).toBe(newTicketTexts.askUrgency)
    const edited = person.botMessages().find((m) => m.message_id === offer.message_id)
    expect(edited?.reply_markup).toBeUndefined()
    expect(edited?.text).toContain(articleOfferTexts.answered)
    expect(edited?.text).not.toContain('сервисн')
    expect(edited?.text).not.toContain('1234')
  })

  test('nothing matching: the urgency follows the description at once, as without a knowledge base', async () => {
    h = await botHarness({ db: await databaseFor(dialect) })
    const category = await buildCategory(h.db, { name: 'Сеть' })
    await printerArticle(await buildCategory(h.db, { name: 'Принтеры' }))
    await buildUser(h.db, { telegramChatId: '7303' })
    h.poll()
    const person = h.fake.user(7303)
    await describeProblem(person, category, 'Нет интернета на посту')
    expect(last(person).text).toBe(newTicketTexts.askUrgency)
  })
})
