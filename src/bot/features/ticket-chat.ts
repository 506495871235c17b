import type { Ticket, TicketStatus, Tx, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { ticketHeader } from '#src/notify/notice-texts.ts'
import { type BotButton, type BotMessage, enqueueBotMessage } from '#src/notify/outbox.ts'
import { lockedStatuses } from '#src/tickets/rules.ts'
import { journalingDenials, loadVisibleTicket } from '#src/tickets/ticket-access.ts'
import { type Actor, actorFromUser } from '#src/users/actor.ts'
import type { BotContext } from '../context.ts'
import { conversationTexts } from '../texts.ts'

/**
 * What the ticket features of the bot share: the acting person, messages about one ticket (recorded in
 * `telegram_messages` when sent, so that a Telegram reply to any of them lands on that ticket), and the
 * edit of a pressed notice.
 */

/** Statuses in which a ticket still takes the requester's messages («открытые»). */
export const openStatuses: readonly TicketStatus[] = ['approval', 'new', 'in_progress', 'waiting', 'resolved']

export function isOpen(status: TicketStatus): boolean {
  return !lockedStatuses.includes(status)
}

/** The active person of this chat as an actor; the registration gate lets nobody else this far. */
export function chatActor(ctx: BotContext): { person: User; actor: Actor } {
  const person = ctx.person
  if (person?.status !== 'active') throw new DomainError('forbidden', 'Это действие Вам недоступно.')
  return { person, actor: actorFromUser(person, 'bot') }
}

/** Says something about one ticket: its header first, and a reply to it will land on the ticket. */
export async function sayAboutTicket(
  ctx: BotContext,
  ticket: Pick<Ticket, 'id' | 'status'>,
  lines: ReadonlyArray<string | null | false | undefined>,
  extra: Omit<BotMessage, 'text'> = {},
): Promise<void> {
  const text = [ticketHeader(ticket), ...lines].filter((l): l is string => typeof l === 'string')
  await enqueueBotMessage(
    ctx.tx,
    ctx.chatKey,
    { text: text.join('\n'), ...extra },
    { ticketId: ticket.id, userId: ctx.person?.id ?? null },
  )
}

/** The ticket a message of this chat (the bot's or the person's) is about, if it is known. */
export async function ticketOfMessage(tx: Tx, chatId: string, messageId: number): Promise<number | undefined> {
  const row = await tx
    .selectFrom('telegram_messages')
    .select('ticket_id')
    .where('chat_id', '=', chatId)
    .where('message_id', '=', messageId)
    .executeTakeFirst()
  return row?.ticket_id ?? undefined
}

/** Remembers that the person's own message went to a ticket: a reply to it lands there too. */
export async function rememberMessage(tx: Tx, chatId: string, messageId: number, ticketId: number): Promise<void> {
  await tx
    .insertInto('telegram_messages')
    .values({ chat_id: chatId, message_id: messageId, ticket_id: ticketId, outbox_id: null, created_at: now() })
    .onConflict((oc) => oc.columns(['chat_id', 'message_id']).doNothing())
    .execute()
}

/**
 * The ticket as the person may see it; a ticket they may not see does not exist for them, and the
 * attempt is journaled (ticket-access.ts), like the web's refusals.
 */
export async function visibleTicket(ctx: BotContext, actor: Actor, action: string, ticketId: number): Promise<Ticket> {
  return journalingDenials(ctx.tx, actor, { action, ticketId }, () => loadVisibleTicket(ctx.tx, actor, ticketId, false))
}

/**
 * The buttons a requester's notice offers (confirm, reopen, rate) belong to the requester: staff act on
 * tickets from the web. A press by anyone else is refused and journaled.
 */
export async function requesterTicket(
  ctx: BotContext,
  actor: Actor,
  action: string,
  ticketId: number,
): Promise<Ticket> {
  return journalingDenials(ctx.tx, actor, { action, ticketId }, async () => {
    const ticket = await loadVisibleTicket(ctx.tx, actor, ticketId, false)
    if (ticket.requester_id !== actor.id) throw new DomainError('forbidden', conversationTexts.onlyRequester)
    return ticket
  })
}

/**
 * Edits the message whose button was pressed: the header shows the ticket's current status, a line says
 * what happened, and only the given buttons (plus the original link buttons) remain — so a button
 * cannot be pressed twice. Only a message known to be about this very ticket is edited: a forged press
 * under some other message changes nothing.
 */
export async function markPressed(
  ctx: BotContext,
  ticket: Pick<Ticket, 'id' | 'status'>,
  lines: readonly string[],
  options: { buttons?: BotButton[][]; replaceBody?: boolean } = {},
): Promise<void> {
  const messageId = ctx.pressedMessageId
  if (messageId === undefined) return
  if ((await ticketOfMessage(ctx.tx, ctx.chatKey, messageId)) !== ticket.id) return
  const pressed = ctx.callbackQuery?.message
  const original = pressed && 'text' in pressed && typeof pressed.text === 'string' ? pressed.text : ''
  const body = options.replaceBody ? [] : original.split('\n').filter((line) => line !== '')
  if (body[0]?.startsWith('Заявка № ')) body.shift()
  const links =
    pressed && 'reply_markup' in pressed && pressed.reply_markup
      ? pressed.reply_markup.inline_keyboard.flatMap((row) =>
          row.flatMap((b) => ('url' in b && typeof b.url === 'string' ? [{ text: b.text, url: b.url }] : [])),
        )
      : []
  const buttons = [...(options.buttons ?? []), ...(links.length > 0 ? [links] : [])]
  await sayAboutTicket(ctx, ticket, [...body, ...lines], { buttons, editMessageId: messageId })
}

/** `26.11 14:03` in the display time zone: enough to tell recent messages apart. */
export function shortDateTime(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('ru-RU', {
    timeZone,
    day: '2-digit',
    month: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso))
  return parts.replace(',', '')
}
