import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { journalingMacroDenials, loadVisibleMacro, requireMacroUse } from './macro-access.ts'
import { mayEditMacro, scopeOf } from './macro-rules.ts'

/**
 * Removes a canned response (its owner, or for a shared one a curator or an admin): it is no longer listed nor
 * usable. The row is kept, archived, for the journal's references; the messages it wrote stay as they were.
 */
export async function archiveMacro(db: Db, actor: Actor, input: { id: number }): Promise<void> {
  await requireMacroUse(db, actor, 'macro.delete', input.id)
  await journalingMacroDenials(db, actor, { action: 'macro.delete', macroId: input.id }, () =>
    transact(db, async (tx) => {
      const macro = await loadVisibleMacro(tx, actor, input.id)
      if (!mayEditMacro(actor, macro)) {
        throw new DomainError('forbidden', 'Общие шаблоны (для группы или для всех) ведут кураторы и администраторы')
      }
      const at = now()
      await tx.updateTable('macros').set({ archived_at: at, updated_at: at }).where('id', '=', macro.id).execute()
      await audit(tx, actor, {
        action: 'macro.delete',
        objectType: 'macro',
        objectId: macro.id,
        description: `Удалён шаблон ответа № ${macro.id}`,
        details: { scope: scopeOf(macro), groupId: macro.group_id },
      })
    }),
  )
}
