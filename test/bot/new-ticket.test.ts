import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Update } from 'grammy/types'
import { afterEach, describe, expect, test } from 'vitest'
import { MAX_FILE_BYTES, storedFilePath } from '#src/attachments/file-store.ts'
import { buttons, newTicketTexts, texts, urgencyLabels } from '#src/bot/texts.ts'
import type { Category, User } from '#src/db/schema.ts'
import { callback } from '#src/notify/callback-data.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { buttonData, lastSaid as last, sentKeyboard, settledLastSaid } from '../support/bot-people.ts'
import { buildCategory, buildUser } from '../support/factories.ts'
import type { FakePerson, TgMessage } from '../support/fake-telegram.ts'

/** «Новая заявка» through the bot (PRODUCT.md §4) against the fake Telegram Bot API server. */

let h: BotHarness
afterEach(async () => {
  await h?.close()
})

function buttonTexts(message: TgMessage | undefined): string[] {
  return (message?.reply_markup?.inline_keyboard ?? []).flat().map((b) => b.text)
}

/** The bot's message (current content) with this id. */
function current(person: FakePerson, messageId: number): TgMessage | undefined {
  return person.botMessages().find((m) => m.message_id === messageId)
}

function said(person: FakePerson, text: string): TgMessage[] {
  return person.botMessages().filter((m) => m.text === text)
}

async function tickets() {
  return h.db.selectFrom('tickets').selectAll().orderBy('id').execute()
}

async function attachments(ticketId: number) {
  return h.db.selectFrom('attachments').selectAll().where('ticket_id', '=', ticketId).orderBy('id').execute()
}

async function conversations() {
  return h.db.selectFrom('bot_conversations').selectAll().execute()
}

/** A requester in chat `chatId` and one category to file under. */
async function requesterWithCategory(
  chatId: number,
  category: Parameters<typeof buildCategory>[1] = {},
): Promise<{ person: FakePerson; user: User; category: Category }> {
  const user = await buildUser(h.db, { telegramChatId: String(chatId) })
  return { person: h.fake.user(chatId), user, category: await buildCategory(h.db, category) }
}

/** «Новая заявка» → the category → «Опишите проблему». */
async function upToDescription(person: FakePerson, category: Category): Promise<void> {
  person.send(buttons.newTicket)
  await h.settle()
  const picker = last(person)
  expect(buttonData(picker)).toContain(callback.category(category.id))
  person.press(picker.message_id, callback.category(category.id))
  await h.settle()
  expect(last(person).text).toBe(newTicketTexts.askDescription)
}

function urgencyQuestion(person: FakePerson): TgMessage {
  const question = said(person, newTicketTexts.askUrgency).at(-1)
  if (!question) throw new Error('the urgency was not asked')
  return question
}

function confirmation(person: FakePerson): TgMessage {
  const message = person.botMessages().find((m) => m.text?.includes('✅ Заявка создана.'))
  if (!message) throw new Error('no confirmation')
  return message
}

describe('a new ticket through the bot', () => {
  test('category (a parent opens its children) → text → urgency → the ticket and its confirmation', async () => {
    h = await botHarness()
    const printers = await buildCategory(h.db, { name: 'Оргтехника' })
    const printer = await buildCategory(h.db, { name: 'Принтер', parentId: printers.id, defaultPriority: 'low' })
    const fax = await buildCategory(h.db, { name: 'Факс', parentId: printers.id, active: false })
    const network = await buildCategory(h.db, { name: 'Сеть' })
    const old = await buildCategory(h.db, { name: 'Старое', active: false })
    const user = await buildUser(h.db, { telegramChatId: '7101' })
    h.poll()
    const person = h.fake.user(7101)

    person.command('/new')
    const picker = await settledLastSaid(h, person)
    expect(picker.text).toBe(newTicketTexts.askCategory)
    expect(buttonData(picker)).toEqual([callback.category(printers.id), callback.category(network.id), 'x'])
    expect(buttonTexts(picker)).toEqual(['Оргтехника ›', 'Сеть', 'Отмена'])
    expect(buttonData(picker)).not.toContain(callback.category(old.id))

    person.press(picker.message_id, callback.category(printers.id))
    await h.settle()
    const children = current(person, picker.message_id)
    expect(children?.text).toBe(newTicketTexts.askSubcategory('Оргтехника'))
    expect(buttonData(children)).toEqual([callback.category(printer.id), callback.categoryPage(0, 0), 'x'])
    expect(buttonData(children)).not.toContain(callback.category(fax.id))

    person.press(picker.message_id, callback.category(printer.id))
    await h.settle()
    expect(current(person, picker.message_id)?.text).toBe(newTicketTexts.categoryChosen('Принтер'))
    expect(current(person, picker.message_id)?.reply_markup).toBeUndefined()
    expect(last(person).text).toBe(newTicketTexts.askDescription)
    expect(sentKeyboard(person)).toMatchObject({ keyboard: [[{ text: 'Отмена' }]] })

    person.send('Принтер в 214 кабинете не печатает, горит красная лампочка')
    await h.settle()
    const question = last(person)
    expect(question.text).toBe(newTicketTexts.askUrgency)
    expect(buttonData(question)).toEqual([
      callback.urgency('normal'),
      callback.urgency('high'),
      callback.urgency('critical'),
      'x',
    ])

    const press = person.press(question.message_id, callback.urgency('high'))
    await h.settle()
    const [ticket] = await tickets()
    if (!ticket) throw new Error('no ticket')
    expect(ticket).toMatchObject({
      description: 'Принтер в 214 кабинете не печатает, горит красная лампочка',
      category_id: printer.id,
      priority: 'high',
      status: 'new',
      source: 'telegram',
      requester_id: user.id,
      created_by: user.id,
    })
    expect(h.fake.callbackAnswer(press.callbackQueryId)).toBeDefined()
    expect(current(person, question.message_id)?.text).toBe(newTicketTexts.urgencyChosen(urgencyLabels.high))
    expect(current(person, question.message_id)?.reply_markup).toBeUndefined()
    const confirmed = confirmation(person)
    expect(confirmed.text).toBe(newTicketTexts.created(`Заявка № ${ticket.id} · Новая`, 0))
    // The description is never echoed back (setting «ПДн не передаются в Telegram»).
    expect(confirmed.text).not.toContain('214')
    // A Telegram reply to the confirmation lands in the ticket.
    const mapped = await h.db
      .selectFrom('telegram_messages')
      .select(['message_id', 'ticket_id'])
      .where('chat_id', '=', '7101')
      .execute()
    expect(mapped.map((m) => [Number(m.message_id), m.ticket_id])).toContainEqual([confirmed.message_id, ticket.id])
    expect(sentKeyboard(person)).toMatchObject({
      keyboard: [[{ text: 'Новая заявка' }, { text: 'Мои заявки' }], [{ text: 'Помощь' }]],
    })
    expect(await conversations()).toEqual([])
    const journal = await h.db.selectFrom('audit_log').select(['action', 'actor_id', 'channel']).execute()
    expect(journal).toContainEqual({ action: 'ticket.create', actor_id: user.id, channel: 'bot' })
  })

  test('an album of three photos is one ticket with three files on disk', async () => {
    h = await botHarness()
    const { person, category } = await requesterWithCategory(7102, { defaultPriority: 'low' })
    h.poll()
    await upToDescription(person, category)

    person.sendAlbum(3, { caption: 'Монитор мигает' })
    await h.settle()
    // One question for the whole album: its later items join silently.
    expect(said(person, newTicketTexts.askUrgency)).toHaveLength(1)
    expect(last(person).text).toBe(newTicketTexts.askUrgency)
    person.press(urgencyQuestion(person).message_id, callback.urgency('normal'))
    await h.settle()

    const all = await tickets()
    expect(all).toHaveLength(1)
    const ticket = all[0]
    if (!ticket) throw new Error('no ticket')
    expect(ticket).toMatchObject({ description: 'Монитор мигает', priority: 'low' })
    const files = await attachments(ticket.id)
    expect(files).toHaveLength(3)
    expect(new Set(files.map((f) => f.sha256)).size).toBe(3)
    for (const file of files) {
      expect(file).toMatchObject({ mime_type: 'image/jpeg', size: 150_000, message_id: null })
      const bytes = await readFile(storedFilePath(h.config.dataDir, file.sha256))
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256)
    }
    expect(confirmation(person).text).toBe(newTicketTexts.created(`Заявка № ${ticket.id} · Новая`, 3))
  })

  test('documents, with and without a name, and the words sent after them', async () => {
    h = await botHarness()
    const { person, category } = await requesterWithCategory(7103)
    h.poll()
    await upToDescription(person, category)

    person.sendDocument({ size: 2_000 })
    await h.settle()
    expect(last(person).text).toBe(newTicketTexts.describeInWords)
    person.sendDocument({ fileName: 'ошибка МИС.pdf', mimeType: 'application/pdf', size: 9_000 })
    await h.settle()
    expect(said(person, newTicketTexts.describeInWords)).toHaveLength(2)
    person.send('МИС выдаёт ошибку при печати направления, скриншоты приложены')
    await h.settle()
    person.press(urgencyQuestion(person).message_id, callback.urgency('critical'))
    await h.settle()

    const [ticket] = await tickets()
    if (!ticket) throw new Error('no ticket')
    expect(ticket).toMatchObject({
      priority: 'critical',
      description: 'МИС выдаёт ошибку при печати направления, скриншоты приложены',
    })
    const files = await attachments(ticket.id)
    expect(files.map((f) => [f.mime_type, f.size])).toEqual([
      ['application/octet-stream', 2_000],
      ['application/pdf', 9_000],
    ])
    expect(files[0]?.file_name).toMatch(/^file-[0-9a-f]{12}\.bin$/)
    expect(files[1]?.file_name).toBe('ошибка МИС.pdf')
  })

  test('a file over 20 MB: the person is told at once, the ticket goes on without it', async () => {
    h = await botHarness()
    const { person, category } = await requesterWithCategory(7104)
    h.poll()
    await upToDescription(person, category)

    person.sendDocument({
      fileName: 'запись экрана.mp4',
      mimeType: 'video/mp4',
      size: MAX_FILE_BYTES + 1,
      caption: 'Программа зависает, видео приложила',
    })
    await h.settle()
    const tooLarge = newTicketTexts.tooLarge('Файл «запись экрана.mp4»')
    expect(said(person, tooLarge)).toHaveLength(1)
    expect(tooLarge).toContain('20 МБ')
    expect(last(person).text).toBe(newTicketTexts.askUrgency)
    expect(h.fake.calls.filter((c) => c.method === 'getFile' || c.method === 'download')).toEqual([])

    person.press(urgencyQuestion(person).message_id, callback.urgency('normal'))
    await h.settle()
    const [ticket] = await tickets()
    if (!ticket) throw new Error('no ticket')
    expect(ticket.description).toBe('Программа зависает, видео приложила')
    expect(await attachments(ticket.id)).toEqual([])
  })

  test('people who are not active, and strangers, file nothing', async () => {
    h = await botHarness()
    const category = await buildCategory(h.db)
    await buildUser(h.db, { status: 'pending', telegramChatId: '7105' })
    await buildUser(h.db, { status: 'deactivated', telegramChatId: '7106' })
    const rejected = await buildUser(h.db, { status: 'rejected', telegramChatId: '7107' })
    h.poll()

    const pending = h.fake.user(7105)
    pending.command('/new')
    await h.settle()
    expect(last(pending).text).toBe(texts.awaitingConfirmation)
    pending.send(buttons.newTicket)
    await h.settle()
    expect(last(pending).text).toBe(texts.awaitingConfirmation)
    const press = pending.press(1, callback.category(category.id))
    pending.sendPhoto({ caption: 'Не работает принтер' })
    await h.settle()
    expect(h.fake.callbackAnswer(press.callbackQueryId)).toMatchObject({
      text: texts.awaitingConfirmation,
      show_alert: true,
    })
    expect(last(pending).text).toBe(texts.awaitingConfirmation)

    const off = h.fake.user(7106)
    off.command('/new')
    await h.settle()
    expect(last(off).text).toBe(texts.deactivated)
    const no = h.fake.user(7107)
    no.send(buttons.newTicket)
    await h.settle()
    expect(last(no).text).toBe(texts.rejected(rejected.rejection_reason))
    const stranger = h.fake.user(7108)
    stranger.command('/new')
    await h.settle()
    // Someone unknown is offered the registration (greeting and consent), not a ticket.
    expect(last(stranger).text).toContain(texts.greeting)
    expect(buttonData(last(stranger))).toEqual([callback.consent('yes'), callback.consent('no')])

    expect(await tickets()).toEqual([])
    const states = await conversations()
    expect(states.map((s) => JSON.parse(s.state).flow)).toEqual(['registration'])
    // Nothing of theirs was downloaded.
    expect(h.fake.callsOf('getFile')).toEqual([])
  })

  test('/cancel and «Отмена» end the dialogue at any step', async () => {
    h = await botHarness()
    const { person, category } = await requesterWithCategory(7109)
    h.poll()

    person.send(buttons.newTicket)
    await h.settle()
    const picker = last(person)
    person.press(picker.message_id, callback.cancel())
    await h.settle()
    expect(current(person, picker.message_id)?.reply_markup).toBeUndefined()
    expect(last(person).text).toBe(texts.newTicketCancelled)
    expect(await conversations()).toEqual([])

    await upToDescription(person, category)
    person.command('/cancel')
    await h.settle()
    expect(last(person).text).toBe(texts.newTicketCancelled)
    expect(sentKeyboard(person)).toMatchObject({
      keyboard: [[{ text: 'Новая заявка' }, { text: 'Мои заявки' }], [{ text: 'Помощь' }]],
    })
    expect(await conversations()).toEqual([])

    await upToDescription(person, category)
    person.send('Не работает сканер')
    await h.settle()
    const question = urgencyQuestion(person)
    person.send('Отмена')
    await h.settle()
    expect(last(person).text).toBe(texts.newTicketCancelled)
    // The old urgency buttons no longer file anything.
    const stale = person.press(question.message_id, callback.urgency('normal'))
    await h.settle()
    expect(h.fake.callbackAnswer(stale.callbackQueryId)).toMatchObject({ text: texts.staleButton })
    expect(await tickets()).toEqual([])
  })

  test('a restart in the middle of the dialogue loses nothing', async () => {
    h = await botHarness()
    const { person, category } = await requesterWithCategory(7110)
    const first = h.poll()
    await upToDescription(person, category)
    person.sendPhoto({ caption: 'Нет сети в ординаторской' })
    await h.settle()
    const question = urgencyQuestion(person)
    await first.stop()

    // A new bot instance (a new process) over the same database.
    await h.newBot()
    h.poll()
    person.press(question.message_id, callback.urgency('high'))
    await h.settle()
    const [ticket] = await tickets()
    if (!ticket) throw new Error('no ticket')
    expect(ticket).toMatchObject({ description: 'Нет сети в ординаторской', priority: 'high' })
    expect(await attachments(ticket.id)).toHaveLength(1)
  })

  test('replayed updates add no second file and no second ticket', async () => {
    h = await botHarness()
    const { person, category } = await requesterWithCategory(7111)
    const applyLast = async (): Promise<Update> => {
      const update = h.fake.pendingUpdates().at(-1) as unknown as Update | undefined
      if (!update) throw new Error('no update')
      expect(await h.applier.apply(structuredClone(update))).toBe('applied')
      await h.deliver()
      return update
    }
    person.send(buttons.newTicket)
    await applyLast()
    person.press(last(person).message_id, callback.category(category.id))
    await applyLast()
    person.sendPhoto({ caption: 'Не включается компьютер' })
    const photo = await applyLast()
    expect(await h.applier.apply(structuredClone(photo))).toBe('replayed')
    person.press(urgencyQuestion(person).message_id, callback.urgency('normal'))
    const press = await applyLast()
    expect(await h.applier.apply(structuredClone(press))).toBe('replayed')
    const { applier } = await h.newBot()
    expect(await applier.apply(structuredClone(press))).toBe('replayed')

    const all = await tickets()
    expect(all).toHaveLength(1)
    expect(await attachments(all[0]?.id ?? 0)).toHaveLength(1)
    // A replay downloads nothing again: it is recognised before the files are fetched.
    expect(h.fake.calls.filter((c) => c.method === 'download')).toHaveLength(1)
  })

  test('a category disabled under an open keyboard is refused politely', async () => {
    h = await botHarness()
    const { person, category } = await requesterWithCategory(7112)
    const other = await buildCategory(h.db, { name: 'Телефония' })
    h.poll()
    person.send(buttons.newTicket)
    await h.settle()
    const picker = last(person)
    await h.db.updateTable('categories').set({ active: 0 }).where('id', '=', category.id).execute()

    const press = person.press(picker.message_id, callback.category(category.id))
    await h.settle()
    expect(h.fake.callbackAnswer(press.callbackQueryId)).toMatchObject({
      text: newTicketTexts.categoryGone,
      show_alert: true,
    })
    // The picker is shown again, without it.
    expect(buttonData(current(person, picker.message_id))).toEqual([callback.category(other.id), 'x'])
    const [state] = await conversations()
    expect(JSON.parse(state?.state ?? '{}')).toMatchObject({ flow: 'new_ticket', step: 'category' })
    expect(await tickets()).toEqual([])

    // Disabled after the description too: the person picks another one and the ticket is filed.
    person.press(picker.message_id, callback.category(other.id))
    await h.settle()
    person.send('Не работает телефон')
    await h.settle()
    await h.db.updateTable('categories').set({ active: 0 }).where('id', '=', other.id).execute()
    await h.db.updateTable('categories').set({ active: 1 }).where('id', '=', category.id).execute()
    const urgent = person.press(urgencyQuestion(person).message_id, callback.urgency('normal'))
    await h.settle()
    expect(h.fake.callbackAnswer(urgent.callbackQueryId)).toMatchObject({ text: newTicketTexts.categoryGone })
    const again = last(person)
    expect(buttonData(again)).toEqual([callback.category(category.id), 'x'])
    person.press(again.message_id, callback.category(category.id))
    await h.settle()
    person.press(urgencyQuestion(person).message_id, callback.urgency('normal'))
    await h.settle()
    const [ticket] = await tickets()
    expect(ticket).toMatchObject({ category_id: category.id, description: 'Не работает телефон' })
  })

  test('many categories are paged', async () => {
    h = await botHarness()
    const user = await buildUser(h.db, { telegramChatId: '7113' })
    expect(user.status).toBe('active')
    for (let i = 1; i <= 10; i++) await buildCategory(h.db, { name: `Категория ${String(i).padStart(2, '0')}` })
    h.poll()
    const person = h.fake.user(7113)
    person.command('/new')
    await h.settle()
    const picker = last(person)
    expect(picker.text).toBe(`${newTicketTexts.askCategory} ${newTicketTexts.page(1, 2)}`)
    expect(buttonData(picker).filter((d) => /^k:\d+$/.test(d))).toHaveLength(8)
    expect(buttonData(picker)).toContain(callback.categoryPage(0, 1))
    person.press(picker.message_id, callback.categoryPage(0, 1))
    await h.settle()
    const page2 = current(person, picker.message_id)
    expect(buttonTexts(page2)).toEqual(['Категория 09', 'Категория 10', buttons.back, 'Отмена'])
  })
})
