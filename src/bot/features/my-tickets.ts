import { Composer } from 'grammy'
import { audit } from '#src/audit/journal.ts'
import { callback } from '#src/notify/callback-data.ts'
import { clip, noticeTexts, ticketUrl } from '#src/notify/notice-texts.ts'
import type { BotButton } from '#src/notify/outbox.ts'
import { getSetting } from '#src/settings/settings.ts'
import { statusLabels } from '#src/tickets/rules.ts'
import { listTickets, type TicketListItem } from '#src/tickets/ticket-store.ts'
import { type TicketDetail, viewTicket } from '#src/tickets/view-ticket.ts'
import { can } from '#src/users/permissions.ts'
import type { BotContext } from '../context.ts'
import { buttons, conversationTexts, isButton, keyboards } from '../texts.ts'
import { chatActor, isOpen, openStatuses, sayAboutTicket, shortDateTime } from './ticket-chat.ts'

/**
 * «Мои заявки» (`/my` and the menu button, PRODUCT.md §4): the person's open tickets first, then a few
 * recently finished, each a button (`t:open:N`) that shows the ticket's last messages — external ones
 * only, never IT's internal notes — with «Ответить». Under «ПДн не передаются в Telegram» only numbers
 * and statuses are shown, and the web page has the rest.
 */
export const myTickets = new Composer<BotContext>()

const OPEN_SHOWN = 10
const CLOSED_SHOWN = 3
const MESSAGES_SHOWN = 5
const MESSAGE_CLIP = 500

myTickets.command('my', showMyTickets)
myTickets.on('message:text').filter((ctx) => isButton(ctx.message.text, buttons.myTickets), showMyTickets)

async function showMyTickets(ctx: BotContext): Promise<void> {
  const { person, actor } = chatActor(ctx)
  // A half-done reply or rating comment is left: the list is a new start.
  const state = await ctx.conversation.get()
  if (state?.flow === 'reply_to' || state?.flow === 'rating_comment') await ctx.conversation.clear()

  const mine = { requesterId: person.id, sort: '-updated_at' as const }
  const open = await listTickets(ctx.tx, actor, { ...mine, status: [...openStatuses], perPage: OPEN_SHOWN })
  const finished = await listTickets(ctx.tx, actor, {
    ...mine,
    status: ['closed', 'cancelled'],
    perPage: CLOSED_SHOWN,
  })
  const shown = [...open.items, ...finished.items]
  // The list shows ticket titles: a read of personal data, journaled like the web's list.
  await audit(ctx.tx, actor, {
    action: 'ticket.list',
    objectType: 'ticket',
    subjectId: person.id,
    pdn: true,
    description: `Просмотр списка своих заявок в Telegram: ${shown.length}`,
    details: { ids: shown.map((t) => t.id) },
  })
  if (shown.length === 0) {
    await ctx.say({ text: conversationTexts.noTickets, keyboard: keyboards.mainMenu })
    return
  }

  const privacy = await getSetting(ctx.tx, 'privacy.no_pdn_in_telegram')
  const line = (t: TicketListItem) =>
    privacy ? `№ ${t.id} · ${statusLabels[t.status]}` : `№ ${t.id} · ${statusLabels[t.status]} — «${clip(t.title, 60)}»`
  const lines: string[] = [conversationTexts.myTicketsTitle]
  if (open.items.length > 0) lines.push('', conversationTexts.openTickets, ...open.items.map(line))
  if (open.total > open.items.length) {
    lines.push(conversationTexts.moreOnSite(open.total - open.items.length, `${ctx.scope.config.baseUrl}/tickets`))
  }
  if (finished.items.length > 0) lines.push('', conversationTexts.recentClosed, ...finished.items.map(line))
  lines.push('', conversationTexts.pickToOpen)

  const choices: BotButton[] = shown.map((t) => ({
    text: `№ ${t.id} · ${statusLabels[t.status]}`,
    callbackData: callback.ticket('open', t.id),
  }))
  const rows: BotButton[][] = []
  for (let i = 0; i < choices.length; i += 2) rows.push(choices.slice(i, i + 2))
  await ctx.say({ text: lines.join('\n'), buttons: rows })
}

/** `t:open:N`: the ticket's last external messages, with what the person may do next. */
export async function showTicket(ctx: BotContext, ticketId: number): Promise<void> {
  const { actor } = chatActor(ctx)
  const detail = await viewTicket(ctx.tx, actor, { ticketId })
  const { ticket } = detail
  const privacy = await getSetting(ctx.tx, 'privacy.no_pdn_in_telegram')
  const url = ticketUrl(ctx.scope.config.baseUrl, ticket.id)

  const lines = privacy ? [noticeTexts.privacyLine(url)] : ticketBody(detail, ctx.scope.config.tzDisplay)
  const actions: BotButton[] = []
  if (isOpen(ticket.status) && can(actor, 'ticket.message', ticket)) {
    actions.push({ text: noticeTexts.reply, callbackData: callback.ticket('reply', ticket.id) })
  }
  const rows: BotButton[][] = actions.length > 0 ? [actions] : []
  if (ticket.status === 'resolved' && ticket.requester_id === actor.id) {
    rows.push([
      { text: noticeTexts.confirm, callbackData: callback.ticket('confirm', ticket.id) },
      { text: noticeTexts.reopen, callbackData: callback.ticket('reopen', ticket.id) },
    ])
  }
  rows.push([{ text: noticeTexts.open, url }])
  await sayAboutTicket(ctx, ticket, lines, { buttons: rows })
}

function ticketBody(detail: TicketDetail, timeZone: string): string[] {
  const { ticket } = detail
  const filesOf = (messageId: number) => detail.attachments.filter((a) => a.message_id === messageId).length
  const external = detail.messages.filter((m) => m.kind === 'external').slice(-MESSAGES_SHOWN)
  const lines = [`«${clip(ticket.title, 200)}»`, conversationTexts.assignee(detail.assignee?.full_name ?? null)]
  if (ticket.status === 'resolved' || ticket.status === 'closed') {
    if (ticket.resolution) lines.push(`Результат: ${clip(ticket.resolution, MESSAGE_CLIP)}`)
  }
  lines.push('')
  if (external.length === 0) {
    lines.push(conversationTexts.noMessages)
    return lines
  }
  lines.push(conversationTexts.lastMessages)
  for (const m of external) {
    const files = filesOf(m.id)
    const body = m.body === '' ? '' : ` ${clip(m.body, MESSAGE_CLIP)}`
    lines.push(
      `${shortDateTime(m.created_at, timeZone)} · ${m.author_name}:${body}${files > 0 ? ` ${conversationTexts.files(files)}` : ''}`,
    )
  }
  return lines
}
