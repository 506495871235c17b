import type { Db, Ticket } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import type { Actor } from '#src/users/actor.ts'
import { addMessage } from './add-message.ts'
import { changeStatus } from './change-status.ts'
import { limits } from './rules.ts'
import { journalingDenials, requireText } from './ticket-access.ts'

/**
 * «Не решено» on the web: the requester sends a resolved ticket back to work and says what is still wrong, in one
 * transaction (the bot asks for the words in a second message; a form has them at once). Either both happen or
 * neither: a ticket never goes back to work without the reason, nor gets the reason while it stays resolved.
 */
export async function reportNotSolved(
  db: Db,
  actor: Actor,
  input: { ticketId: number; comment: string },
): Promise<Ticket> {
  return journalingDenials(db, actor, { action: 'ticket.reopen', ticketId: input.ticketId }, async () => {
    // Refused before anything is read: an empty reason reopens nothing.
    const comment = requireText(input.comment, 'Что не так', limits.body)
    return transact(db, async (tx) => {
      const reopened = await changeStatus(tx, actor, { ticketId: input.ticketId, status: 'in_progress' })
      await addMessage(tx, actor, { ticketId: reopened.id, body: comment, internal: false })
      return reopened
    })
  })
}
