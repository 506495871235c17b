import type { Attachment, Db } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import { auditTicket, journalingDenials, loadVisibleTicket } from './ticket-access.ts'

export interface ViewAttachmentInput {
  ticketId: number
  attachmentId: number
}

/**
 * A file of a ticket, for a preview or a download. It is visible when its ticket is and, for a file of a
 * message, when that message is: files of an internal note are staff's only. Anything else is not found,
 * so file numbers cannot be probed. The read is journaled: a photo of a screen may show personal data.
 */
export async function viewAttachment(db: Db, actor: Actor, input: ViewAttachmentInput): Promise<Attachment> {
  return journalingDenials(db, actor, { action: 'ticket.file_view', ticketId: input.ticketId }, () =>
    transact(db, async (tx) => {
      const ticket = await loadVisibleTicket(tx, actor, input.ticketId, false)
      const attachment = await tx
        .selectFrom('attachments')
        .selectAll()
        .where('id', '=', input.attachmentId)
        .where('ticket_id', '=', ticket.id)
        .executeTakeFirst()
      if (!attachment) throw new DomainError('not_found', 'Файл не найден')
      if (attachment.message_id !== null && !can(actor, 'ticket.view_internal', ticket)) {
        const message = await tx
          .selectFrom('ticket_messages')
          .select('kind')
          .where('id', '=', attachment.message_id)
          .executeTakeFirst()
        if (message?.kind !== 'external') throw new DomainError('not_found', 'Файл не найден')
      }
      await auditTicket(
        tx,
        actor,
        ticket,
        'ticket.file_view',
        `Просмотр файла № ${attachment.id} заявки № ${ticket.id}`,
        { attachmentId: attachment.id, messageId: attachment.message_id },
      )
      return attachment
    }),
  )
}
