import { Composer } from 'grammy'
import { approverOf, loadForDecision } from '#src/approvals/approval-store.ts'
import { approveTicket } from '#src/approvals/approve-ticket.ts'
import { rejectTicket } from '#src/approvals/reject-ticket.ts'
import type { Ticket, Tx } from '#src/db/schema.ts'
import { type DomainError, isDomainError } from '#src/errors.ts'
import { parseCallback } from '#src/notify/callback-data.ts'
import { ticketHeader } from '#src/notify/notice-texts.ts'
import { journalingDenials } from '#src/tickets/ticket-access.ts'
import { actorFromUser } from '#src/users/actor.ts'
import type { BotContext } from '../context.ts'
import { keyboards, texts } from '../texts.ts'

/**
 * «Согласование» in Telegram (issue 14): the approver's notice carries «Согласовать» `g:ok:N`, which approves at
 * once, and «Отклонить» `g:no:N`, which asks for the reason; the next text rejects. The callback data is never
 * trusted: the use cases check that the presser is the ticket's approver (a forged or stale press changes nothing
 * and is answered politely), and a decided notice loses its buttons so that it cannot be pressed twice.
 */
export const approvalDecisions = new Composer<BotContext>()

export const approvalTexts = {
  approvedByYou: (id: number) => `✅ Вы согласовали заявку № ${id}. Она передана в ИТ-отдел.`,
  rejectedByYou: (id: number) => `Вы отклонили заявку № ${id}. Заявитель получит Вашу причину.`,
  askReason: (id: number) => `Напишите одним сообщением, почему заявка № ${id} не согласована, — её увидит заявитель.`,
  reasonExpected: 'Напишите, пожалуйста, причину отказа текстом — или нажмите «Отмена».',
  alreadyDecided: 'Решение по этой заявке уже принято.',
  notFound: 'Заявка не найдена.',
  /** The requester's confirmation in the bot of a ticket filed into approval. */
  filed: (header: string, byCurators: boolean) =>
    [
      header,
      byCurators
        ? '⏳ Заявка отправлена на согласование куратору ИТ.'
        : '⏳ Заявка отправлена на согласование заведующему.',
      'После согласования она попадёт в ИТ-отдел; о решении мы сообщим здесь.',
    ].join('\n'),
} as const

/** The bot's confirmation of a ticket it filed into approval (bot/features/new-ticket.ts). */
export async function filedForApprovalText(tx: Tx, ticket: Ticket): Promise<string> {
  return approvalTexts.filed(ticketHeader(ticket), (await approverOf(tx, ticket)) === null)
}

approvalDecisions.callbackQuery(/^g:/, async (ctx) => {
  const parsed = parseCallback(ctx.callbackQuery.data)
  const presser = ctx.person
  if (parsed?.kind !== 'approval' || presser?.status !== 'active') {
    ctx.answerLater(texts.notAllowed, true)
    return
  }
  const [, decision, ticketId] = parsed.parts
  const actor = actorFromUser(presser, 'bot')
  const noticeMessageId = ctx.pressedMessageId
  try {
    if (decision === 'ok') {
      const ticket = await approveTicket(ctx.tx, actor, { ticketId })
      await markNotice(ctx, ticket, approvalTexts.approvedByYou(ticket.id), noticeMessageId)
      ctx.answerLater(approvalTexts.approvedByYou(ticket.id))
      return
    }
    // The reason comes in the next message; a forged or stale press is refused now, not after it is typed.
    const attempt = { action: 'ticket.reject_approval', ticketId }
    await journalingDenials(ctx.tx, actor, attempt, () => loadForDecision(ctx.tx, actor, ticketId))
    await ctx.conversation.set({
      flow: 'approval_reason',
      ticketId,
      ...(noticeMessageId !== undefined ? { noticeMessageId } : {}),
    })
    await ctx.say({ text: approvalTexts.askReason(ticketId), keyboard: keyboards.cancelOnly })
    ctx.answerLater()
  } catch (error) {
    if (!isDomainError(error)) throw error
    if (error.code === 'invalid_transition' && noticeMessageId !== undefined) {
      await ctx.say({ text: `Заявка № ${ticketId}\n${approvalTexts.alreadyDecided}`, editMessageId: noticeMessageId })
    }
    ctx.answerLater(refusalText(error), true)
  }
})

/** The reason for a rejection asked for above. */
approvalDecisions.on('message', async (ctx, next) => {
  const state = await ctx.conversation.get()
  if (state?.flow !== 'approval_reason') {
    await next()
    return
  }
  const presser = ctx.person
  if (presser?.status !== 'active') {
    await ctx.conversation.clear()
    await next()
    return
  }
  const reason = ctx.message.text
  if (reason === undefined || reason.startsWith('/')) {
    await ctx.say({ text: approvalTexts.reasonExpected })
    return
  }
  let ticket: Ticket
  try {
    ticket = await rejectTicket(ctx.tx, actorFromUser(presser, 'bot'), { ticketId: state.ticketId, reason })
  } catch (error) {
    if (!isDomainError(error)) throw error
    if (error.code === 'validation') {
      // Too long, say: the head may write it again.
      await ctx.say({ text: error.message })
      return
    }
    await ctx.conversation.clear()
    await ctx.say({ text: refusalText(error), keyboard: keyboards.mainMenu })
    return
  }
  await ctx.conversation.clear()
  await markNotice(ctx, ticket, approvalTexts.rejectedByYou(ticket.id), state.noticeMessageId)
  await ctx.say({ text: approvalTexts.rejectedByYou(ticket.id), keyboard: keyboards.mainMenu })
})

function refusalText(error: DomainError): string {
  switch (error.code) {
    case 'forbidden':
      return texts.notAllowed
    case 'not_found':
      return approvalTexts.notFound
    case 'invalid_transition':
      return approvalTexts.alreadyDecided
    default:
      return error.message
  }
}

/** The decided notice: its header and the outcome, without the buttons. */
async function markNotice(ctx: BotContext, ticket: Ticket, line: string, messageId: number | undefined): Promise<void> {
  if (messageId === undefined) return
  await ctx.say({ text: `${ticketHeader(ticket)}\n${line}`, editMessageId: messageId })
}
