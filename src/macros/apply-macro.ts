import type { StoredFile } from '#src/attachments/file-store.ts'
import type { Db, Ticket, TicketMessage } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { addMessage } from '#src/tickets/add-message.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { canTransition } from '#src/tickets/rules.ts'
import { auditTicket, journalingDenials, loadVisibleTicket } from '#src/tickets/ticket-access.ts'
import { findTicket } from '#src/tickets/ticket-store.ts'
import { updateTicket } from '#src/tickets/update-ticket.ts'
import type { Actor } from '#src/users/actor.ts'
import { journalingMacroDenials, loadVisibleMacro, requireMacroUse } from './macro-access.ts'
import { checkMacroKind, type MacroStatus, renderMacro } from './macro-rules.ts'
import { macroContext } from './macro-store.ts'

export interface ApplyMacroInput {
  macroId: number
  ticketId: number
  /**
   * The text as the person edited it in the reply box; empty or absent: the macro's own text, placeholders filled.
   */
  body?: string
  /** A reply to the requester or an internal note; absent: as the macro says. */
  internal?: boolean
  attachments?: readonly StoredFile[]
}

export interface AppliedMacro {
  message: TicketMessage
  /** The ticket after the macro's status and priority. */
  ticket: Ticket
}

/**
 * Uses a canned response on a ticket, all or nothing in one transaction: the reply (or note) is posted by
 * `addMessage`, then the macro's priority by `updateTicket` and its status by `changeStatus` — each with its own
 * rights, rules, timeline event, journal row and notices — and the use of the macro is journaled. A ticket the
 * macro's status cannot be reached from directly but can through «В работе» (a new one put to «Ожидает ответа» or
 * «Решена», a waiting one resolved) is taken into work first, as the ticket page would. A macro resolving the
 * ticket gives the reply as the result.
 */
export async function applyMacro(db: Db, actor: Actor, input: ApplyMacroInput): Promise<AppliedMacro> {
  await requireMacroUse(db, actor, 'macro.apply', input.macroId)
  const macro = await journalingMacroDenials(db, actor, { action: 'macro.apply', macroId: input.macroId }, () =>
    loadVisibleMacro(db, actor, input.macroId),
  )
  return journalingDenials(db, actor, { action: 'ticket.macro', ticketId: input.ticketId }, () =>
    transact(db, async (tx) => {
      const ticket = await loadVisibleTicket(tx, actor, input.ticketId)
      const typed = input.body?.trim() ?? ''
      const body = typed !== '' ? typed : renderMacro(macro.body, await macroContext(tx, ticket, actor))
      const internal = input.internal ?? Number(macro.internal) === 1
      checkMacroKind(internal, macro.set_status)
      const message = await addMessage(tx, actor, {
        ticketId: ticket.id,
        body,
        internal,
        attachments: input.attachments,
      })
      // The priority first: a resolved ticket can no longer be changed.
      const priority = macro.set_priority !== null && macro.set_priority !== ticket.priority ? macro.set_priority : null
      if (priority !== null) await updateTicket(tx, actor, { ticketId: ticket.id, priority })
      const target = macro.set_status
      const steps: MacroStatus[] =
        target === null || target === ticket.status
          ? []
          : !canTransition(ticket.status, target) &&
              canTransition(ticket.status, 'in_progress') &&
              canTransition('in_progress', target)
            ? ['in_progress', target]
            : [target]
      for (const status of steps) {
        await changeStatus(tx, actor, {
          ticketId: ticket.id,
          status,
          ...(status === 'resolved' ? { resolution: body } : {}),
        })
      }
      await auditTicket(
        tx,
        actor,
        ticket,
        'ticket.macro',
        `Шаблон ответа № ${macro.id} применён к заявке № ${ticket.id}`,
        {
          macroId: macro.id,
          messageId: message.id,
          internal,
          edited: typed !== '',
          ...(priority !== null ? { priority } : {}),
          ...(steps.length > 0 ? { status: target } : {}),
        },
      )
      const updated = await findTicket(tx, ticket.id)
      if (!updated) throw new DomainError('not_found', 'Заявка не найдена')
      return { message, ticket: updated }
    }),
  )
}
