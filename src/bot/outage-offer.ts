import { isDomainError } from '#src/errors.ts'
import { callback } from '#src/notify/callback-data.ts'
import { ticketHeader } from '#src/notify/notice-texts.ts'
import { type BotMessage, enqueueBotMessage } from '#src/notify/outbox.ts'
import { joinOutage } from '#src/outages/join-outage.ts'
import { outageBotTexts } from '#src/outages/outage-rules.ts'
import { openOutageCovering } from '#src/outages/outage-store.ts'
import { setOutageNotices } from '#src/outages/set-outage-notices.ts'
import { actorFromUser } from '#src/users/actor.ts'
import type { BotContext } from './context.ts'
import type { NewTicketState } from './conversation-store.ts'
import { buttons, keyboards, newTicketTexts } from './texts.ts'

/**
 * «Известная проблема, уже работаем» (issue 14): right after a person picks a category in «Новая заявка», an open
 * outage of their department that covers the category is offered with «У меня тоже» (their ticket joins it as a
 * child: join-outage.ts) and «Нет, у меня другое» (the dialogue goes on as ever: the description is asked). The
 * dialogue waits at `describe` meanwhile, so a person who simply types their problem files it as usual.
 */

function offerMessage(outage: { id: number; title: string }): BotMessage {
  return {
    text: outageBotTexts.offer(outage.title),
    buttons: [
      [{ text: outageBotTexts.metoo, callbackData: callback.outageAnswer('me', outage.id) }],
      [{ text: outageBotTexts.other, callbackData: callback.outageAnswer('no', outage.id) }],
      [{ text: buttons.cancel, callbackData: callback.cancel() }],
    ],
  }
}

/** The offer, when an open outage covers the person's department and this category; false otherwise. */
export async function offerOutage(ctx: BotContext, categoryId: number): Promise<boolean> {
  const departmentId = ctx.person?.department_id ?? null
  if (departmentId === null) return false
  const outage = await openOutageCovering(ctx.tx, { departmentId, categoryId })
  if (!outage) return false
  await ctx.say(offerMessage(outage))
  return true
}

/**
 * «У меня тоже» or «Нет, у меня другое» pressed under the offer (features/outages.ts has checked the dialogue is
 * still at the description, with a category and nothing described yet).
 */
export async function answerOutageOffer(
  ctx: BotContext,
  state: NewTicketState & { categoryId: number },
  answer: 'me' | 'no',
  outageId: number,
): Promise<void> {
  const person = ctx.person
  const edit = ctx.pressedMessageId
  const outage = await ctx.tx.selectFrom('outages').select(['title']).where('id', '=', outageId).executeTakeFirst()
  const title = outage?.title ?? ''
  if (edit !== undefined) await ctx.say({ text: outageBotTexts.offerAnsweredMetoo(title), editMessageId: edit })
  if (answer === 'me' && person) {
    try {
      const ticket = await joinOutage(ctx.tx, actorFromUser(person, 'bot'), {
        outageId,
        categoryId: state.categoryId,
        source: ctx.scope.messenger,
      })
      await ctx.conversation.clear()
      // Tied to the ticket: a reply to it lands in the child, and its resolution is told like any other.
      const joined = { text: outageBotTexts.joined(ticketHeader(ticket)), keyboard: keyboards.mainMenu }
      await enqueueBotMessage(ctx.tx, ctx.chatKey, joined, { ticketId: ticket.id, userId: person.id })
      return
    } catch (error) {
      // Resolved meanwhile, or already joined: said plainly, and the dialogue goes on as for «другое».
      if (!isDomainError(error) || (error.code !== 'conflict' && error.code !== 'validation')) throw error
      await ctx.say({ text: error.message })
    }
  }
  await ctx.say({ text: newTicketTexts.askDescription, keyboard: keyboards.cancelOnly })
}

/** «Не присылать такие объявления» under an announcement: the person's choice, journaled; the button goes. */
export async function optOutOfOutages(ctx: BotContext): Promise<void> {
  const person = ctx.person
  if (!person) return
  await setOutageNotices(ctx.tx, actorFromUser(person, 'bot'), { on: false })
  const edit = ctx.pressedMessageId
  const shown = ctx.callbackQuery?.message?.text
  if (edit !== undefined && shown) await ctx.say({ text: shown, editMessageId: edit })
  await ctx.say({ text: outageBotTexts.optedOut })
}
