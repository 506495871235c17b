import { audit } from '#src/audit/journal.ts'
import type { Db, SavedView } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { requiredText } from '#src/users/fields.ts'
import { can } from '#src/users/permissions.ts'
import { refuseDuplicate } from '#src/users/unique.ts'
import {
  checkedQuery,
  findVisibleView,
  journalingViewDenials,
  type NormalizedQuery,
  placeInList,
  refuseTakenName,
  requireMayChange,
  requireViews,
  VIEW_NAME_MAX,
} from './saved-view-store.ts'

export interface UpdateViewInput {
  id: number
  name?: string
  query?: NormalizedQuery
  /** Share with all IT staff, or make it its author's own again (a curator or an admin). */
  shared?: boolean
}

/** Renames a view, changes its filter, or shares it (its owner; a shared one: a curator or an admin). */
export async function updateView(db: Db, actor: Actor, input: UpdateViewInput): Promise<SavedView> {
  return journalingViewDenials(db, actor, { action: 'saved_view.update', viewId: input.id }, () => {
    requireViews(actor)
    const name =
      input.name === undefined ? undefined : requiredText(input.name, { label: 'Название', max: VIEW_NAME_MAX })
    const query = input.query === undefined ? undefined : checkedQuery(input.query)
    return refuseDuplicate('Вид с таким названием уже есть', () =>
      transact(db, async (tx) => {
        const view = await findVisibleView(tx, actor, input.id)
        requireMayChange(actor, view)
        const shared = input.shared ?? view.shared === 1
        if (shared !== (view.shared === 1) && !can(actor, 'saved_view.share')) {
          throw new DomainError('forbidden', 'Делиться видом со всеми могут куратор или администратор')
        }
        const changes = {
          ...(name !== undefined && name !== view.name ? { name } : {}),
          ...(query !== undefined && query !== view.query ? { query } : {}),
          ...(shared !== (view.shared === 1) ? { shared: shared ? (1 as const) : (0 as const) } : {}),
        }
        if (Object.keys(changes).length === 0) return view
        if (changes.name !== undefined || changes.shared !== undefined) {
          await refuseTakenName(tx, { name: name ?? view.name, ownerId: view.owner_id, shared, exceptId: view.id })
        }
        // Shared or taken back, it goes to the end of the list it joins, if that list has room.
        const position =
          changes.shared === undefined
            ? {}
            : { position: await placeInList(tx, { owner_id: view.owner_id, shared: changes.shared }) }
        const updated = await tx
          .updateTable('saved_views')
          .set({ ...changes, ...position, updated_at: now() })
          .where('id', '=', view.id)
          .returningAll()
          .executeTakeFirstOrThrow()
        await audit(tx, actor, {
          action: 'saved_view.update',
          objectType: 'saved_view',
          objectId: view.id,
          description: `Изменён вид списка заявок № ${view.id}`,
          details: { changes },
        })
        return updated
      }),
    )
  })
}
