import { Composer } from 'grammy'
import { MAX_FILES_PER_MESSAGE } from '#src/attachments/attach-files.ts'
import { listCategories } from '#src/categories/category-store.ts'
import { type Category, type Priority, priorities } from '#src/db/schema.ts'
import { callback, parseCallback } from '#src/notify/callback-data.ts'
import { ticketHeader } from '#src/notify/notice-texts.ts'
import { type BotButton, type BotMessage, enqueueBotMessage } from '#src/notify/outbox.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { limits, textLength } from '#src/tickets/rules.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { answerArticleOffer, offerArticles } from '../article-offer.ts'
import type { BotContext } from '../context.ts'
import type { NewTicketState } from '../conversation-store.ts'
import { preparedFiles, reportFileProblems } from '../download-files.ts'
import { offerOutage } from '../outage-offer.ts'
import { articleOfferTexts, buttons, isButton, keyboards, newTicketTexts, texts, urgencyLabels } from '../texts.ts'
import { filedForApprovalText } from './approval-decisions.ts'

/**
 * «Новая заявка» / `/new` (PRODUCT.md §4): category (buttons; a parent with active children opens
 * them) → description (text, photos with a caption, documents, an album) → «Насколько срочно?» →
 * createTicket → confirmation with the number and status. The state lives in bot_conversations, so a
 * restart in the middle loses nothing. Files were downloaded before the update's transaction
 * (download-files.ts); an album arrives as one update per item, and its later items join the same
 * ticket silently (the album's media_group_id is kept in the state) — those that arrive after the
 * urgency was pressed too, as one message on the new ticket (reply-routing.ts, flow `album_answered`).
 *
 * Only active people reach this composer: the registration composer before it answers everyone else.
 * The confirmation never repeats the description (setting «ПДн не передаются в Telegram»).
 */
export const newTicket = new Composer<BotContext>()

const CATEGORIES_PER_PAGE = 8

type Urgency = keyof typeof urgencyLabels

newTicket.command('new', beginNewTicket)
newTicket.on('message:text').filter((ctx) => isButton(ctx.message.text, buttons.newTicket), beginNewTicket)

newTicket.callbackQuery(/^k:/, async (ctx) => {
  const parsed = parseCallback(ctx.callbackQuery.data)
  const state = await ctx.conversation.get()
  if (
    (parsed?.kind !== 'category' && parsed?.kind !== 'categoryPage') ||
    state?.flow !== 'new_ticket' ||
    state.step !== 'category'
  ) {
    ctx.answerLater(texts.staleButton)
    return
  }
  ctx.answerLater()
  const edit = ctx.pressedMessageId
  if (parsed.kind === 'categoryPage') {
    await showCategories(ctx, { parentId: parsed.parts[2], page: parsed.parts[3], edit })
    return
  }
  const categories = await listCategories(ctx.tx, { activeOnly: true })
  const category = categories.find((c) => c.id === parsed.parts[1])
  if (!category) {
    // Disabled (or deleted) since the buttons were shown.
    ctx.answerLater(newTicketTexts.categoryGone, true)
    await showCategories(ctx, { parentId: 0, page: 0, edit })
    return
  }
  if (categories.some((c) => c.parent_id === category.id)) {
    await showCategories(ctx, { parentId: category.id, page: 0, edit })
    return
  }
  if (edit !== undefined) await ctx.say({ text: newTicketTexts.categoryChosen(category.name), editMessageId: edit })
  if (state.description) {
    // The category was picked again (the first one went away before the ticket was filed).
    await ctx.conversation.set({ ...state, step: 'urgency', categoryId: category.id })
    await ctx.say(urgencyQuestion())
    return
  }
  await ctx.conversation.set({ ...state, step: 'describe', categoryId: category.id })
  // Issue 14: a known outage of the person's department in this category is offered first (bot/outage-offer.ts).
  if (await offerOutage(ctx, category.id)) return
  await ctx.say({ text: newTicketTexts.askDescription, keyboard: keyboards.cancelOnly })
})

newTicket.callbackQuery(/^u:/, async (ctx) => {
  const parsed = parseCallback(ctx.callbackQuery.data)
  const state = await ctx.conversation.get()
  const person = ctx.person
  if (
    parsed?.kind !== 'urgency' ||
    person?.status !== 'active' ||
    state?.flow !== 'new_ticket' ||
    state.step !== 'urgency' ||
    state.categoryId === undefined ||
    !state.description
  ) {
    ctx.answerLater(texts.staleButton)
    return
  }
  const urgency = parsed.parts[1]
  const edit = ctx.pressedMessageId
  const category = (await listCategories(ctx.tx, { activeOnly: true })).find((c) => c.id === state.categoryId)
  if (!category) {
    ctx.answerLater(newTicketTexts.categoryGone, true)
    if (edit !== undefined) await ctx.say({ text: newTicketTexts.askUrgency, editMessageId: edit })
    await ctx.conversation.set({ ...state, step: 'category' })
    await showCategories(ctx, { parentId: 0, page: 0 })
    return
  }
  const ticket = await createTicket(ctx.tx, actorFromUser(person, 'bot'), {
    description: state.description,
    categoryId: category.id,
    priority: priorityFor(urgency, category.default_priority),
    attachments: state.files,
    equipmentId: state.equipmentId,
    source: ctx.scope.messenger,
  })
  // Items of the album still on their way (one update each) join this ticket instead of being asked about.
  if (state.mediaGroupId !== undefined) {
    await ctx.conversation.set({ flow: 'album_answered', mediaGroupId: state.mediaGroupId, ticketId: ticket.id })
  } else await ctx.conversation.clear()
  ctx.answerLater()
  if (edit !== undefined) {
    await ctx.say({ text: newTicketTexts.urgencyChosen(urgencyLabels[urgency]), editMessageId: edit })
  }
  // Tied to the ticket: a Telegram reply to the confirmation lands in it (telegram_messages).
  const confirmation = {
    text:
      ticket.status === 'approval'
        ? await filedForApprovalText(ctx.tx, ticket)
        : newTicketTexts.created(ticketHeader(ticket), state.files.length, state.equipmentLabel),
    keyboard: keyboards.mainMenu,
  }
  await enqueueBotMessage(ctx.tx, ctx.chatKey, confirmation, { ticketId: ticket.id, userId: person.id })
})

/** Issue 14: the answer to the articles offered after the description (bot/article-offer.ts). */
newTicket.callbackQuery(/^b:/, async (ctx) => {
  const parsed = parseCallback(ctx.callbackQuery.data)
  const state = await ctx.conversation.get()
  const helpedId = parsed?.kind === 'articleHelped' ? parsed.parts[2] : undefined
  if (
    (parsed?.kind !== 'articleHelped' && parsed?.kind !== 'articleNotHelped') ||
    ctx.person?.status !== 'active' ||
    state?.flow !== 'new_ticket' ||
    state.step !== 'suggest' ||
    (helpedId !== undefined && !state.articleIds?.includes(helpedId))
  ) {
    ctx.answerLater(texts.staleButton)
    return
  }
  ctx.answerLater()
  await answerArticleOffer(ctx, state, helpedId)
  if (helpedId !== undefined) {
    // It helped: nothing is filed; the files the description brought are left to the daily sweep.
    await ctx.conversation.clear()
    await ctx.say({ text: articleOfferTexts.helped, keyboard: keyboards.mainMenu })
    return
  }
  await ctx.conversation.set({ ...state, step: 'urgency' })
  await ctx.say(urgencyQuestion())
})

/** Messages during the dialogue: the description and its files, or a reminder of the step. */
newTicket.on('message', async (ctx, next) => {
  const state = await ctx.conversation.get()
  const text = ctx.message.text
  if (state?.flow !== 'new_ticket' || (text !== undefined && isCommandOrMenu(text))) {
    await next()
    return
  }
  const message = ctx.message
  const prepared = preparedFiles(ctx)
  const told = await reportFileProblems(ctx)
  const album = message.media_group_id
  const sameAlbum = album !== undefined && album === state.mediaGroupId
  const files = [...state.files, ...prepared.files]
  if (files.length > MAX_FILES_PER_MESSAGE) {
    files.length = MAX_FILES_PER_MESSAGE
    if (!sameAlbum) await ctx.say({ text: newTicketTexts.tooManyFiles(MAX_FILES_PER_MESSAGE) })
  }
  const words = (text ?? message.caption ?? '').trim()
  const description = joinText(state.description, words)
  // Three full Telegram messages outgrow a ticket's description: the ticket would be refused at the
  // urgency press, again and again. The message that does not fit is refused instead, the rest kept.
  if (state.step !== 'category' && description !== undefined && textLength(description) > limits.description) {
    await ctx.say({ text: newTicketTexts.descriptionTooLong(limits.description) })
    return
  }
  const grown: NewTicketState = {
    ...state,
    files,
    description,
    mediaGroupId: album ?? state.mediaGroupId,
  }
  switch (state.step) {
    case 'category':
      await ctx.say({ text: newTicketTexts.categoryPressButton })
      return
    case 'describe':
      await describe(ctx, grown, { sameAlbum, gotFiles: prepared.files.length > 0, told })
      return
    case 'suggest':
      if (sameAlbum || prepared.files.length > 0 || words !== '') {
        await ctx.conversation.set(grown)
        if (!sameAlbum) await ctx.say({ text: `${newTicketTexts.added} ${articleOfferTexts.pressButton}` })
        return
      }
      if (!told) await ctx.say({ text: articleOfferTexts.pressButton })
      return
    case 'urgency':
      if (sameAlbum || prepared.files.length > 0 || words !== '') {
        await ctx.conversation.set(grown)
        // More detail or files while the question waits; the album's later items join without a word.
        if (!sameAlbum) await ctx.say({ text: `${newTicketTexts.added} ${newTicketTexts.urgencyPressButton}` })
        return
      }
      if (!told) await ctx.say({ text: newTicketTexts.urgencyPressButton })
      return
  }
})

// ---------------------------------------------------------------- steps

async function beginNewTicket(ctx: BotContext): Promise<void> {
  if (ctx.person?.status !== 'active') return
  await ctx.conversation.set({ flow: 'new_ticket', step: 'category', files: [] })
  await showCategories(ctx, { parentId: 0, page: 0 })
}

/** «Новая заявка» about a device, from its QR sticker (issue 14, features/equipment-start.ts). */
export async function beginNewTicketAbout(ctx: BotContext, device: { id: number; label: string }): Promise<void> {
  if (ctx.person?.status !== 'active') return
  await ctx.conversation.set({
    flow: 'new_ticket',
    step: 'category',
    files: [],
    equipmentId: device.id,
    equipmentLabel: device.label,
  })
  await showCategories(ctx, { parentId: 0, page: 0 })
}

async function describe(
  ctx: BotContext,
  state: NewTicketState,
  got: { sameAlbum: boolean; gotFiles: boolean; told: boolean },
): Promise<void> {
  if (!state.description) {
    await ctx.conversation.set(state)
    if (got.sameAlbum) return
    if (got.gotFiles) await ctx.say({ text: newTicketTexts.describeInWords })
    else if (!got.told) await ctx.say({ text: newTicketTexts.descriptionExpected })
    return
  }
  // Issue 14: articles of the knowledge base that may answer it first; none fits — the urgency, as ever.
  if (await offerArticles(ctx, state)) return
  await ctx.conversation.set({ ...state, step: 'urgency' })
  await ctx.say(urgencyQuestion())
}

/**
 * One page of categories: the top level (parentId 0) or the children of a parent. Only active ones; a
 * child whose parent is disabled is offered at the top level.
 */
async function showCategories(
  ctx: BotContext,
  where: { parentId: number; page: number; edit?: number | undefined },
): Promise<void> {
  const categories = await listCategories(ctx.tx, { activeOnly: true })
  const active = new Set(categories.map((c) => c.id))
  const parent = where.parentId === 0 ? undefined : categories.find((c) => c.id === where.parentId)
  const level = parent
    ? categories.filter((c) => c.parent_id === parent.id)
    : categories.filter((c) => c.parent_id === null || !active.has(c.parent_id))
  if (level.length === 0) {
    if (parent) {
      await showCategories(ctx, { ...where, parentId: 0, page: 0 })
      return
    }
    await ctx.conversation.clear()
    await ctx.say({ text: newTicketTexts.noCategories, keyboard: keyboards.mainMenu })
    return
  }
  const hasChildren = (c: Category) => categories.some((child) => child.parent_id === c.id)
  await ctx.say(categoryPicker(level, { parent, page: where.page, hasChildren, edit: where.edit }))
}

function categoryPicker(
  level: readonly Category[],
  options: { parent: Category | undefined; page: number; hasChildren: (c: Category) => boolean; edit?: number },
): BotMessage {
  const pages = Math.max(1, Math.ceil(level.length / CATEGORIES_PER_PAGE))
  const current = Math.min(Math.max(0, options.page), pages - 1)
  const shown = level.slice(current * CATEGORIES_PER_PAGE, (current + 1) * CATEGORIES_PER_PAGE)
  const parentId = options.parent?.id ?? 0
  const rows: BotButton[][] = shown.map((c) => [
    { text: options.hasChildren(c) ? `${c.name} ›` : c.name, callbackData: callback.category(c.id) },
  ])
  const paging: BotButton[] = []
  if (current > 0) paging.push({ text: buttons.back, callbackData: callback.categoryPage(parentId, current - 1) })
  if (current < pages - 1) {
    paging.push({ text: buttons.next, callbackData: callback.categoryPage(parentId, current + 1) })
  }
  if (paging.length > 0) rows.push(paging)
  if (options.parent) rows.push([{ text: newTicketTexts.toTopLevel, callbackData: callback.categoryPage(0, 0) }])
  rows.push([{ text: buttons.cancel, callbackData: callback.cancel() }])
  const question = options.parent ? newTicketTexts.askSubcategory(options.parent.name) : newTicketTexts.askCategory
  const text = pages > 1 ? `${question} ${newTicketTexts.page(current + 1, pages)}` : question
  return { text, buttons: rows, ...(options.edit !== undefined ? { editMessageId: options.edit } : {}) }
}

function urgencyQuestion(): BotMessage {
  const urgencies: Urgency[] = ['normal', 'high', 'critical']
  return {
    text: newTicketTexts.askUrgency,
    buttons: [
      ...urgencies.map((u) => [{ text: urgencyLabels[u], callbackData: callback.urgency(u) }]),
      [{ text: buttons.cancel, callbackData: callback.cancel() }],
    ],
  }
}

/**
 * The priority of the urgency a person picked: «Обычная» is what the category says is usual for it,
 * «Срочная» at least high, «Критическая» critical.
 */
function priorityFor(urgency: Urgency, categoryDefault: Priority): Priority {
  if (urgency === 'critical') return 'critical'
  if (urgency === 'high')
    return priorities.indexOf(categoryDefault) > priorities.indexOf('high') ? categoryDefault : 'high'
  return categoryDefault
}

/** Commands and the main menu's buttons are not a description: other features answer them. */
function isCommandOrMenu(text: string): boolean {
  return (
    text.startsWith('/') ||
    isButton(text, buttons.newTicket) ||
    isButton(text, buttons.myTickets) ||
    isButton(text, buttons.help)
  )
}

function joinText(before: string | undefined, more: string): string | undefined {
  const parts = [before, more].filter((part): part is string => part !== undefined && part.trim() !== '')
  return parts.length > 0 ? parts.join('\n\n') : undefined
}
