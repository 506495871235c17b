import type { Db, Priority } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { auditTicket, journalingDenials, loadVisibleTicket } from '#src/tickets/ticket-access.ts'
import type { Actor } from '#src/users/actor.ts'
import { journalingMacroDenials, loadVisibleMacro, requireMacroUse } from './macro-access.ts'
import { type MacroStatus, renderMacro } from './macro-rules.ts'
import { macroContext } from './macro-store.ts'

export interface MacroPreview {
  macroId: number
  ticketId: number
  /** The text with its placeholders filled for this ticket. */
  text: string
  internal: boolean
  setStatus: MacroStatus | null
  setPriority: Priority | null
}

/**
 * A canned response as it would be posted to this ticket, placeholders filled. The text names the requester: a
 * read of their personal data, journaled.
 */
export async function previewMacro(
  db: Db,
  actor: Actor,
  input: { macroId: number; ticketId: number },
): Promise<MacroPreview> {
  await requireMacroUse(db, actor, 'macro.preview', input.macroId)
  const macro = await journalingMacroDenials(db, actor, { action: 'macro.preview', macroId: input.macroId }, () =>
    loadVisibleMacro(db, actor, input.macroId),
  )
  return journalingDenials(db, actor, { action: 'ticket.macro_preview', ticketId: input.ticketId }, () =>
    transact(db, async (tx) => {
      const ticket = await loadVisibleTicket(tx, actor, input.ticketId, false)
      const text = renderMacro(macro.body, await macroContext(tx, ticket, actor))
      await auditTicket(
        tx,
        actor,
        ticket,
        'ticket.macro_preview',
        `Шаблон ответа № ${macro.id} подставлен для заявки № ${ticket.id}`,
        { macroId: macro.id },
      )
      return {
        macroId: macro.id,
        ticketId: ticket.id,
        text,
        internal: Number(macro.internal) === 1,
        setStatus: macro.set_status,
        setPriority: macro.set_priority,
      }
    }),
  )
}
