import { Composer } from 'grammy'
import { type DomainError, isDomainError } from '#src/errors.ts'
import { type Callback, callback, parseCallback } from '#src/notify/callback-data.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { rateTicket } from '#src/tickets/rate-ticket.ts'
import { isStaff, lockedStatuses, statusLabels } from '#src/tickets/rules.ts'
import { takeTicket } from '#src/tickets/take-ticket.ts'
import { replyTarget } from '#src/tickets/ticket-links-store.ts'
import { findTicket } from '#src/tickets/ticket-store.ts'
import type { Actor } from '#src/users/actor.ts'
import type { BotContext } from '../context.ts'
import { conversationTexts, keyboards, texts } from '../texts.ts'
import { showTicket } from './my-tickets.ts'
import { fileChosen } from './reply-routing.ts'
import { chatActor, markPressed, requesterTicket, sayAboutTicket, visibleTicket } from './ticket-chat.ts'

/**
 * The buttons under notices and the bot's ticket messages (`t:…`, callback-data.ts). The data is never
 * trusted: every press goes through the same use cases as the web, with their permission checks and
 * their journal of refusals. A refusal is a polite answer to the press (the error boundary turns a
 * DomainError into one) and changes nothing; where the button can no longer do anything (already
 * taken, already rated) the pressed message loses it.
 */
export const noticeButtons = new Composer<BotContext>()

type TicketPress = Extract<Callback, { kind: 'ticket' | 'rating' }>

noticeButtons.callbackQuery(/^t:/, async (ctx) => {
  const parsed = parseCallback(ctx.callbackQuery.data)
  if (parsed?.kind !== 'ticket' && parsed?.kind !== 'rating') {
    ctx.answerLater(texts.staleButton, true)
    return
  }
  const { actor } = chatActor(ctx)
  await press(ctx, actor, parsed)
})

async function press(ctx: BotContext, actor: Actor, pressed: TicketPress): Promise<void> {
  if (pressed.kind === 'rating') {
    const [, , ticketId, score] = pressed.parts
    return rate(ctx, actor, ticketId, score)
  }
  const [, action, ticketId] = pressed.parts
  switch (action) {
    case 'take':
      return take(ctx, actor, ticketId)
    case 'reply':
      return startReply(ctx, actor, ticketId)
    case 'open':
      await showTicket(ctx, ticketId)
      ctx.answerLater()
      return
    case 'confirm':
      return confirm(ctx, actor, ticketId)
    case 'reopen':
      return reopen(ctx, actor, ticketId)
    case 'file':
      return fileWaitingMessage(ctx, ticketId)
    case 'skip':
      return skipComment(ctx, ticketId)
  }
}

/** «Взять в работу» (executors of the group): takeTicket, as from the web. */
async function take(ctx: BotContext, actor: Actor, ticketId: number): Promise<void> {
  const taken = await refusalMarks(ctx, ticketId, () => takeTicket(ctx.tx, actor, { ticketId }))
  await markPressed(ctx, taken, [conversationTexts.takenByYou])
  ctx.answerLater(conversationTexts.takenAnswer(taken.id))
}

/** «Ответить»: the person's next message lands on the ticket. */
async function startReply(ctx: BotContext, actor: Actor, pressedId: number): Promise<void> {
  // Whoever may see a ticket may write in it (PRODUCT.md §1); addMessage checks again when it lands.
  // A duplicate merged into another ticket passes its replies on there (issue 13).
  const ticket = await visibleTicket(ctx, actor, 'ticket.message', await replyTarget(ctx.tx, pressedId))
  // A finished matter takes no more messages from its requester (add-message.ts); staff may still write.
  if (lockedStatuses.includes(ticket.status) && !isStaff(actor)) {
    await markPressed(ctx, ticket, [])
    ctx.answerLater(
      `Заявка № ${ticket.id} в статусе «${statusLabels[ticket.status]}». ${conversationTexts.ticketClosedOfferNew}`,
      true,
    )
    return
  }
  await ctx.conversation.set({ flow: 'reply_to', ticketId: ticket.id })
  await sayAboutTicket(ctx, ticket, [conversationTexts.writeReply], { keyboard: keyboards.cancelOnly })
  ctx.answerLater()
}

/** «Подтверждаю» (the requester): the resolution is accepted, the ticket closes, a rating is asked for. */
async function confirm(ctx: BotContext, actor: Actor, ticketId: number): Promise<void> {
  await requesterTicket(ctx, actor, 'ticket.close', ticketId)
  const closed = await refusalMarks(ctx, ticketId, () => changeStatus(ctx.tx, actor, { ticketId, status: 'closed' }))
  await markPressed(ctx, closed, [conversationTexts.confirmedMark])
  ctx.answerLater(conversationTexts.confirmedAnswer)
}

/** «Не решено» (the requester): back to work, and the next message says what is still wrong. */
async function reopen(ctx: BotContext, actor: Actor, ticketId: number): Promise<void> {
  await requesterTicket(ctx, actor, 'ticket.reopen', ticketId)
  const reopened = await refusalMarks(ctx, ticketId, () =>
    changeStatus(ctx.tx, actor, { ticketId, status: 'in_progress' }),
  )
  await markPressed(ctx, reopened, [conversationTexts.reopenedMark])
  await ctx.conversation.set({ flow: 'reply_to', ticketId: reopened.id })
  await sayAboutTicket(ctx, reopened, [conversationTexts.askWhatIsWrong], { keyboard: keyboards.cancelOnly })
  ctx.answerLater()
}

/** A score 1–5 (the requester, once); then a comment may follow, or «Без комментария». */
async function rate(ctx: BotContext, actor: Actor, ticketId: number, score: number): Promise<void> {
  await requesterTicket(ctx, actor, 'ticket.rate', ticketId)
  const rated = await refusalMarks(ctx, ticketId, () => rateTicket(ctx.tx, actor, { ticketId, score }))
  await markPressed(ctx, rated, [conversationTexts.rated(score), conversationTexts.askRatingComment], {
    replaceBody: true,
    buttons: [[{ text: conversationTexts.noComment, callbackData: callback.ticket('skip', rated.id) }]],
  })
  const promptMessageId = ctx.pressedMessageId
  await ctx.conversation.set({
    flow: 'rating_comment',
    ticketId: rated.id,
    ...(promptMessageId !== undefined ? { promptMessageId } : {}),
  })
  ctx.answerLater(conversationTexts.rated(score))
}

/** «Без комментария»: the rating stays as it is. */
async function skipComment(ctx: BotContext, ticketId: number): Promise<void> {
  const state = await ctx.conversation.get()
  const ticket = await findTicket(ctx.tx, ticketId)
  const waiting = state?.flow === 'rating_comment' && state.ticketId === ticketId
  if (waiting) await ctx.conversation.clear()
  if (ticket && ticket.rating !== null && ticket.requester_id === ctx.person?.id) {
    await markPressed(ctx, ticket, [conversationTexts.rated(ticket.rating)], { replaceBody: true })
  }
  ctx.answerLater(waiting ? conversationTexts.ratingCommentSkipped : texts.staleButton)
}

/** The answer to «К какой заявке это относится?»: the kept message is filed on the chosen ticket. */
async function fileWaitingMessage(ctx: BotContext, ticketId: number): Promise<void> {
  const filed = await fileChosen(ctx, ticketId)
  const pressed = ctx.pressedMessageId
  if (!filed) {
    // An old question loses its buttons; any other message a forged press names is left alone.
    const message = ctx.callbackQuery?.message
    const isQuestion = message !== undefined && 'text' in message && message.text === conversationTexts.whichTicket
    if (pressed !== undefined && isQuestion)
      await ctx.say({ text: conversationTexts.choiceStale, editMessageId: pressed })
    ctx.answerLater(conversationTexts.choiceStale, true)
    return
  }
  ctx.answerLater(conversationTexts.filedOn(ticketId))
}

/**
 * Runs a use case for a press; when it is refused because the moment has passed (taken by someone
 * else, already closed or rated), the pressed notice loses its buttons and says so. The refusal itself
 * goes on to the error boundary, which answers the press politely.
 */
async function refusalMarks<T>(ctx: BotContext, ticketId: number, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (isDomainError(error) && isStale(error)) {
      const ticket = await findTicket(ctx.tx, ticketId)
      if (ticket) await markPressed(ctx, ticket, [error.message])
    }
    throw error
  }
}

function isStale(error: DomainError): boolean {
  return error.code === 'conflict' || error.code === 'invalid_transition'
}
