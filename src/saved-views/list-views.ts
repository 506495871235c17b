import type { Db, SavedView } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { findVisibleView, journalingViewDenials, listVisibleViews, requireViews } from './saved-view-store.ts'

/** The views a staff member sees (the shared ones, then their own); a requester keeps none: refused, journaled. */
export async function listViews(db: Db, actor: Actor): Promise<SavedView[]> {
  return journalingViewDenials(db, actor, { action: 'saved_view.list', viewId: null }, () => {
    requireViews(actor)
    return listVisibleViews(db, actor)
  })
}

/** One view the person sees (to open its tickets); anyone else's personal view is not_found, journaled. */
export async function openView(db: Db, actor: Actor, id: number): Promise<SavedView> {
  return journalingViewDenials(db, actor, { action: 'saved_view.open', viewId: id }, () => {
    requireViews(actor)
    return findVisibleView(db, actor, id)
  })
}
