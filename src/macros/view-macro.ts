import type { Db } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { journalingMacroDenials, loadVisibleMacro, requireMacroUse } from './macro-access.ts'
import type { MacroRow } from './macro-store.ts'

/** One canned response the actor may use; someone else's personal one is not found (and the attempt journaled). */
export async function viewMacro(db: Db, actor: Actor, input: { id: number }): Promise<MacroRow> {
  await requireMacroUse(db, actor, 'macro.view', input.id)
  return journalingMacroDenials(db, actor, { action: 'macro.view', macroId: input.id }, () =>
    loadVisibleMacro(db, actor, input.id),
  )
}
