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
  journalingViewDenials,
  type NormalizedQuery,
  placeInList,
  refuseTakenName,
  requireViews,
  VIEW_NAME_MAX,
} from './saved-view-store.ts'

export interface SaveViewInput {
  name: string
  query: NormalizedQuery
  /** Shared with all IT staff (a curator or an admin); else the person's own. */
  shared?: boolean
}

/** Saves the list's current filter under a name: the person's own view, or one shared with all IT staff. */
export async function saveView(db: Db, actor: Actor, input: SaveViewInput): Promise<SavedView> {
  return journalingViewDenials(db, actor, { action: 'saved_view.create', viewId: null }, () => {
    const ownerId = requireViews(actor)
    const shared = input.shared === true
    if (shared && !can(actor, 'saved_view.share')) {
      throw new DomainError('forbidden', 'Общий вид создают куратор или администратор')
    }
    const name = requiredText(input.name, { label: 'Название', max: VIEW_NAME_MAX })
    const query = checkedQuery(input.query)
    return refuseDuplicate('Вид с таким названием уже есть', () =>
      transact(db, async (tx) => {
        await refuseTakenName(tx, { name, ownerId, shared })
        const place = { owner_id: ownerId, shared: shared ? (1 as const) : (0 as const) }
        const position = await placeInList(tx, place)
        const at = now()
        const view = await tx
          .insertInto('saved_views')
          .values({ name, query, ...place, position, created_at: at, updated_at: at })
          .returningAll()
          .executeTakeFirstOrThrow()
        await audit(tx, actor, {
          action: 'saved_view.create',
          objectType: 'saved_view',
          objectId: view.id,
          description: `Сохранён ${shared ? 'общий' : 'личный'} вид списка заявок № ${view.id}`,
          details: { query, shared },
        })
        return view
      }),
    )
  })
}
