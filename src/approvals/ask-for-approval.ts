import type { Ticket, Tx } from '#src/db/schema.ts'
import { activeUserIdsWithRoles, notifyUsers } from '#src/notify/outbox.ts'
import type { Actor } from '#src/users/actor.ts'
import { approverOf } from './approval-store.ts'

/**
 * The step of `createTicket` for a ticket filed into `approval` (in its transaction): the approver's Telegram notice
 * with «Согласовать» / «Отклонить» — the head of the ticket's (the requester's) department, or every active curator when nobody
 * heads it — and the requester's «отправлена на согласование». IT hears nothing until it is approved.
 *
 * The same for a ticket IT staff file on someone's behalf (a phone call): an access request needs the head's
 * word whoever types it in. The requester is told unless they filed it in the bot themselves (the bot's own
 * confirmation says it).
 */
export async function askForApproval(tx: Tx, actor: Actor, ticket: Ticket): Promise<void> {
  const approverId = await approverOf(tx, ticket)
  const approvers = approverId === null ? await activeUserIdsWithRoles(tx, ['curator']) : [approverId]
  await notifyUsers(
    tx,
    approvers.filter((id) => id !== actor.id),
    { kind: 'ticket_approval_requested', ticketId: ticket.id },
  )
  // The web's bell, for approvers who have one (IT staff: curators); a head with the requester's role sees the
  // navigation's «На согласовании» with its count instead.
  const belled = await tx
    .selectFrom('users')
    .select('id')
    .where('id', 'in', approvers.length > 0 ? approvers : [-1])
    .where('role', '!=', 'requester')
    .where('status', '=', 'active')
    .execute()
  const bells = belled.filter((row) => row.id !== actor.id)
  if (bells.length > 0) {
    await tx
      .insertInto('web_notifications')
      .values(
        bells.map((row) => ({
          user_id: row.id,
          ticket_id: ticket.id,
          kind: 'approval' as const,
          event_id: null,
          created_at: ticket.created_at,
          read_at: null,
        })),
      )
      .execute()
  }
  const byRequesterInBot = actor.channel === 'bot' && actor.id === ticket.requester_id
  if (!byRequesterInBot) {
    await notifyUsers(tx, [ticket.requester_id], {
      kind: 'ticket_awaiting_approval',
      ticketId: ticket.id,
      data: { byCurators: approverId === null },
    })
  }
}
