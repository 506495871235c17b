import type { Db, Priority, Ticket } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import { type MacroStatus, renderMacro } from './macro-rules.ts'
import { listUsableMacros, macroContext } from './macro-store.ts'

/** A canned response ready for one ticket's reply box. */
export interface TicketMacro {
  id: number
  title: string
  /** Placeholders filled for this ticket and this staff member. */
  text: string
  internal: boolean
  setStatus: MacroStatus | null
  setPriority: Priority | null
}

/**
 * The actor's canned responses rendered for a ticket they are looking at, for its reply box to insert without
 * asking the server again. Nothing for someone who may not use macros. The caller has read the ticket (a journaled
 * read of the requester's data: view-ticket.ts), which these texts are part of.
 */
export async function ticketMacros(
  db: Db,
  actor: Actor,
  ticket: Pick<Ticket, 'id' | 'title' | 'requester_id'>,
): Promise<TicketMacro[]> {
  if (!can(actor, 'macro.use')) return []
  const macros = await listUsableMacros(db, actor)
  if (macros.length === 0) return []
  const context = await macroContext(db, ticket, actor)
  return macros.map((macro) => ({
    id: macro.id,
    title: macro.title,
    text: renderMacro(macro.body, context),
    internal: Number(macro.internal) === 1,
    setStatus: macro.set_status,
    setPriority: macro.set_priority,
  }))
}
