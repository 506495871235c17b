import { checkFiles, insertAttachments, MAX_FILES_PER_MESSAGE } from '#src/attachments/attach-files.ts'
import type { StoredFile } from '#src/attachments/file-store.ts'
import type { Db, TicketMessage } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import {
  auditTicket,
  journalingDenials,
  loadVisibleTicket,
  refuseLockedForRequester,
  requirePermission,
} from './ticket-access.ts'
import { saveTicket } from './ticket-store.ts'

/**
 * Adds files to one's own message already on a ticket: Telegram delivers an album as several updates,
 * and the later parts join the message the first part became (PRODUCT.md §4: an album is one message).
 */
export async function addMessageFiles(
  db: Db,
  actor: Actor,
  input: { messageId: number; attachments: readonly StoredFile[] },
): Promise<TicketMessage> {
  const message = await db
    .selectFrom('ticket_messages')
    .selectAll()
    .where('id', '=', input.messageId)
    .executeTakeFirst()
  const ticketId = message?.ticket_id ?? null
  return journalingDenials(db, actor, { action: 'ticket.message', ticketId }, () =>
    transact(db, async (tx) => {
      if (!message || ticketId === null) throw new DomainError('not_found', 'Сообщение не найдено')
      const ticket = await loadVisibleTicket(tx, actor, ticketId)
      requirePermission(
        actor,
        message.kind === 'internal' ? 'ticket.note' : 'ticket.message',
        ticket,
        'Нет прав писать в эту заявку',
      )
      if (actor.id === null || message.author_id !== actor.id) {
        throw new DomainError('forbidden', 'Дополнить можно только своё сообщение')
      }
      if (actor.id === ticket.requester_id) refuseLockedForRequester(ticket)
      const already = await tx
        .selectFrom('attachments')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('message_id', '=', message.id)
        .executeTakeFirst()
      if (Number(already?.n ?? 0) + input.attachments.length > MAX_FILES_PER_MESSAGE) {
        throw new DomainError('validation', `Не больше ${MAX_FILES_PER_MESSAGE} файлов в одном сообщении`)
      }
      checkFiles(input.attachments)
      const at = now()
      await insertAttachments(
        tx,
        { ticketId: ticket.id, messageId: message.id, uploaderId: actor.id, at },
        input.attachments,
      )
      await saveTicket(tx, ticket.id, { updated_at: at })
      await auditTicket(
        tx,
        actor,
        ticket,
        'ticket.message',
        `Файлы к сообщению № ${message.id} в заявке № ${ticket.id}`,
        {
          messageId: message.id,
          attachments: input.attachments.length,
        },
      )
      return message
    }),
  )
}
