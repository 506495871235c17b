import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import type { Actor } from '#src/users/actor.ts'
import { findVisibleView, journalingViewDenials, requireMayChange, requireViews } from './saved-view-store.ts'

/** Deletes a view: one's own, or a shared one (a curator or an admin). The tickets it showed stay as they are. */
export async function deleteView(db: Db, actor: Actor, input: { id: number }): Promise<void> {
  await journalingViewDenials(db, actor, { action: 'saved_view.delete', viewId: input.id }, () => {
    requireViews(actor)
    return transact(db, async (tx) => {
      const view = await findVisibleView(tx, actor, input.id)
      requireMayChange(actor, view)
      await tx.deleteFrom('saved_views').where('id', '=', view.id).execute()
      await audit(tx, actor, {
        action: 'saved_view.delete',
        objectType: 'saved_view',
        objectId: view.id,
        description: `Удалён ${view.shared === 1 ? 'общий' : 'личный'} вид списка заявок № ${view.id}`,
        details: { name: view.name, query: view.query },
      })
    })
  })
}
