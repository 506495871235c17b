import { Hono } from 'hono'
import { z } from 'zod'
import type { SavedView } from '#src/db/schema.ts'
import { deleteView } from '#src/saved-views/delete-view.ts'
import { listViews, openView } from '#src/saved-views/list-views.ts'
import { saveView } from '#src/saved-views/save-view.ts'
import { VIEW_QUERY_MAX } from '#src/saved-views/saved-view-store.ts'
import { updateView } from '#src/saved-views/update-view.ts'
import { auditListRead } from '#src/tickets/ticket-access.ts'
import { DEFAULT_PER_PAGE, listTickets, MAX_PER_PAGE } from '#src/tickets/ticket-store.ts'
// The list's query language is the web list's (a view saved on the web opens here, and back): its parser is pure.
import { normalizeListQuery, viewListQuery } from '#src/web/saved-view-query.ts'
import { toFilter } from '#src/web/ticket-query.ts'
import { authenticate } from './authenticate.ts'
import { type ApiEnv, readDbOf } from './env.ts'
import { presentTicketListItem } from './present.ts'
import { idParam, jsonBody, q, queryOf, text } from './validate.ts'

// A name is checked for its length by the use case (in Russian, like the web's); the edge only bounds the text.
const viewName = text(200)
const viewQuery = text(VIEW_QUERY_MAX)

export const createViewBody = z.object({ name: viewName, query: viewQuery, shared: z.boolean().optional() }).strict()
export const updateViewBody = z
  .object({ name: viewName.optional(), query: viewQuery.optional(), shared: z.boolean().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'Укажите, что изменить: name, query или shared')
export const viewTicketsQuery = z
  .object({
    cursor: z.string().min(1).max(400).optional(),
    per_page: q.int(1, MAX_PER_PAGE).optional(),
  })
  .strict()

/** A saved view as the API shows it: `query` is the web list's query string (`/tickets?{query}`). */
export function presentView(view: SavedView) {
  return {
    id: view.id,
    name: view.name,
    query: view.query,
    shared: view.shared === 1,
    owner_id: view.owner_id,
    position: view.position,
    created_at: view.created_at,
    updated_at: view.updated_at,
  }
}

/**
 * /views: saved views of the ticket list (IT staff): the person's own and the shared ones, and each one's tickets.
 * A view's `query` is normalised by the list's own parser on the way in, whatever was sent.
 */
export function viewRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)

  routes.get('/', async (c) => {
    const views = await listViews(c.get('deps').db, c.get('actor'))
    return c.json({ items: views.map(presentView) })
  })

  routes.post('/', async (c) => {
    const body = await jsonBody(c, createViewBody)
    const view = await saveView(c.get('deps').db, c.get('actor'), {
      name: body.name,
      query: normalizeListQuery(body.query),
      shared: body.shared,
    })
    return c.json(presentView(view), 201)
  })

  routes.patch('/:id', async (c) => {
    const id = idParam(c)
    const body = await jsonBody(c, updateViewBody)
    const view = await updateView(c.get('deps').db, c.get('actor'), {
      id,
      name: body.name,
      query: body.query === undefined ? undefined : normalizeListQuery(body.query),
      shared: body.shared,
    })
    return c.json(presentView(view))
  })

  routes.delete('/:id', async (c) => {
    await deleteView(c.get('deps').db, c.get('actor'), { id: idParam(c) })
    return c.body(null, 204)
  })

  // The view's tickets, answered as GET /tickets answers (pages by `next_cursor` only).
  routes.get('/:id/tickets', async (c) => {
    const id = idParam(c)
    const query = queryOf(c, viewTicketsQuery)
    const deps = c.get('deps')
    const actor = c.get('actor')
    const view = await openView(deps.db, actor, id)
    const list = viewListQuery(view.query)
    const perPage = query.per_page ?? DEFAULT_PER_PAGE
    const reads = list.q === undefined ? deps.db : readDbOf(deps)
    const result = await listTickets(reads, actor, {
      ...toFilter(list, deps.config.tzDisplay, perPage),
      cursor: query.cursor,
    })
    await auditListRead(deps.db, actor, result, { view: view.id, cursor: query.cursor ?? null, perPage })
    return c.json({
      items: result.items.map(presentTicketListItem),
      total: result.total,
      total_capped: result.totalCapped,
      page: null,
      per_page: perPage,
      next_cursor: result.next,
      prev_cursor: result.prev,
    })
  })

  return routes
}
