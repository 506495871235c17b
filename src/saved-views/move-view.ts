import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import type { Actor } from '#src/users/actor.ts'
import {
  findVisibleView,
  journalingViewDenials,
  requireMayChange,
  requireViews,
  siblingsOf,
} from './saved-view-store.ts'

/** Moves a view one place up or down among its list (one's own views, or the shared ones). */
export async function moveView(db: Db, actor: Actor, input: { id: number; direction: 'up' | 'down' }): Promise<void> {
  await journalingViewDenials(db, actor, { action: 'saved_view.update', viewId: input.id }, () => {
    requireViews(actor)
    return transact(db, async (tx) => {
      const view = await findVisibleView(tx, actor, input.id)
      requireMayChange(actor, view)
      const order = await siblingsOf(tx, view)
      const from = order.findIndex((v) => v.id === view.id)
      const to = input.direction === 'up' ? from - 1 : from + 1
      if (from < 0 || to < 0 || to >= order.length) return
      const [moved] = order.splice(from, 1)
      if (moved) order.splice(to, 0, moved)
      // Numbered 1, 2, 3… afresh: positions of views saved at once may be equal, and a swap alone would not move them.
      for (const [i, sibling] of order.entries()) {
        if (sibling.position !== i + 1) {
          await tx
            .updateTable('saved_views')
            .set({ position: i + 1 })
            .where('id', '=', sibling.id)
            .execute()
        }
      }
      await audit(tx, actor, {
        action: 'saved_view.update',
        objectType: 'saved_view',
        objectId: view.id,
        description: `Вид списка заявок № ${view.id} перемещён ${input.direction === 'up' ? 'выше' : 'ниже'}`,
        details: { direction: input.direction },
      })
    })
  })
}
