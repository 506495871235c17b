import { auditDenied } from '#src/audit/denied.ts'
import type { Db, SavedView, Tx } from '#src/db/schema.ts'
import { DomainError, isDomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'

/**
 * Saved views of the ticket list (issue 13): a name and the list's query. Personal views are their owner's
 * alone (to anyone else they do not exist); shared ones are seen by all IT staff and changed by curators.
 */

/** A name as the navigation shows it: short. */
export const VIEW_NAME_MAX = 60
/** The list's query string is a few hundred characters at most; anything longer is not one of ours. */
export const VIEW_QUERY_MAX = 2_000
/** Each person's own views, and the shared ones: the navigation counts every one of them on the list page. */
export const MAX_PERSONAL_VIEWS = 20
export const MAX_SHARED_VIEWS = 20

declare const normalized: unique symbol
/**
 * The list's query string as the list's own parser reads and writes it (`normalizeListQuery`,
 * src/web/saved-view-query.ts): a saved view never holds anything the list would not understand. The brand
 * says that a value went through that parser; a feature never imports an edge, so the edge hands it over.
 */
export type NormalizedQuery = string & { readonly [normalized]: true }

/** The views a person sees: the shared ones first, then their own, each in its order. None for a requester. */
export async function listVisibleViews(db: Tx, actor: Actor): Promise<SavedView[]> {
  if (actor.id === null || !can(actor, 'saved_view.manage')) return []
  const ownerId = actor.id
  return db
    .selectFrom('saved_views')
    .selectAll()
    .where((eb) => eb.or([eb('shared', '=', 1), eb('owner_id', '=', ownerId)]))
    .orderBy('shared', 'desc')
    .orderBy('position')
    .orderBy('id')
    .execute()
}

/** The view, if the person sees it (their own, or a shared one): else not_found, whoever's it is. */
export async function findVisibleView(db: Tx, actor: Actor, id: number): Promise<SavedView> {
  const view = await db.selectFrom('saved_views').selectAll().where('id', '=', id).executeTakeFirst()
  if (!view || !(view.owner_id === actor.id || (view.shared === 1 && can(actor, 'saved_view.manage')))) {
    throw new DomainError('not_found', 'Вид не найден')
  }
  return view
}

/** A shared view is the curators' to change; a personal one its owner's. */
export function requireMayChange(actor: Actor, view: SavedView): void {
  if (view.shared === 1 && !can(actor, 'saved_view.share')) {
    throw new DomainError('forbidden', 'Общий вид меняют куратор или администратор')
  }
}

/** The views a name must differ from: the owner's own and, for a shared view, every shared one. */
export async function refuseTakenName(
  db: Tx,
  input: { name: string; ownerId: number; shared: boolean; exceptId?: number },
): Promise<void> {
  const lower = input.name.toLocaleLowerCase('ru')
  const rows = await db
    .selectFrom('saved_views')
    .select(['id', 'name'])
    .where((eb) =>
      input.shared
        ? eb.or([eb('owner_id', '=', input.ownerId), eb('shared', '=', 1)])
        : eb('owner_id', '=', input.ownerId),
    )
    .execute()
  if (rows.some((row) => row.id !== input.exceptId && row.name.toLocaleLowerCase('ru') === lower)) {
    throw new DomainError('conflict', 'Вид с таким названием уже есть')
  }
}

/** The list a view belongs to (its owner's personal views, or the shared ones), in order. */
export async function siblingsOf(db: Tx, view: Pick<SavedView, 'owner_id' | 'shared'>): Promise<SavedView[]> {
  return db
    .selectFrom('saved_views')
    .selectAll()
    .where((eb) =>
      view.shared === 1 ? eb('shared', '=', 1) : eb.and([eb('shared', '=', 0), eb('owner_id', '=', view.owner_id)]),
    )
    .orderBy('position')
    .orderBy('id')
    .execute()
}

/**
 * Where a new or newly (un)shared view goes in the list it joins: past its last. Refused when that list is
 * full (a person's own views, or the shared ones).
 */
export async function placeInList(db: Tx, view: Pick<SavedView, 'owner_id' | 'shared'>): Promise<number> {
  const list = await siblingsOf(db, view)
  const limit = view.shared === 1 ? MAX_SHARED_VIEWS : MAX_PERSONAL_VIEWS
  if (list.length >= limit) {
    throw new DomainError(
      'conflict',
      view.shared === 1 ? `Общих видов не больше ${limit}` : `Своих видов не больше ${limit}: удалите ненужный`,
    )
  }
  return list.reduce((max, v) => Math.max(max, v.position), 0) + 1
}

/** The query, refused if it is too long to be a list's (the brand says it was parsed already). */
export function checkedQuery(query: NormalizedQuery): NormalizedQuery {
  if (query.length > VIEW_QUERY_MAX) throw new DomainError('validation', 'Слишком длинный фильтр для вида')
  return query
}

/**
 * Runs a use case on a view; a refusal for lack of rights, or a view the person does not see, is journaled in
 * a transaction of its own (the use case's has rolled back with it) and rethrown.
 */
export async function journalingViewDenials<T>(
  db: Db,
  actor: Actor,
  attempt: { action: string; viewId: number | null },
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (isDomainError(error) && (error.code === 'forbidden' || error.code === 'not_found')) {
      await auditDenied(db, actor, {
        action: attempt.action,
        objectType: 'saved_view',
        objectId: attempt.viewId,
        description:
          attempt.viewId === null
            ? `Отказано в действии ${attempt.action}`
            : `Отказано в действии ${attempt.action} с видом № ${attempt.viewId}`,
        details: error.code === 'not_found' ? { reason: 'not_found' } : null,
      })
    }
    throw error
  }
}

/** Refuses anyone who keeps no views (a requester): `forbidden`, journaled by `journalingViewDenials`. */
export function requireViews(actor: Actor): number {
  if (actor.id === null || !can(actor, 'saved_view.manage')) {
    throw new DomainError('forbidden', 'Сохранённые виды списка — для сотрудников ИТ-отдела')
  }
  return actor.id
}
