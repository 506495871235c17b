import type { Db } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { requireMacroUse } from './macro-access.ts'
import { listUsableMacros, type MacroRow } from './macro-store.ts'

/**
 * The canned responses the actor may use, by title: their own, their groups' (every group's for curators and
 * admins, who keep them), everyone's. IT staff only.
 */
export async function listMacros(db: Db, actor: Actor): Promise<MacroRow[]> {
  await requireMacroUse(db, actor, 'macro.list')
  return listUsableMacros(db, actor)
}
