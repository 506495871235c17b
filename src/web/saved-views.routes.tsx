import type { Context } from 'hono'
import { Hono } from 'hono'
import { type AppDeps, readDbOf } from '#src/api/env.ts'
import { idParam } from '#src/api/validate.ts'
import { listCategories } from '#src/categories/category-store.ts'
import { listDepartments } from '#src/departments/department-store.ts'
import { listGroups } from '#src/groups/group-store.ts'
import { deleteView } from '#src/saved-views/delete-view.ts'
import { moveView } from '#src/saved-views/move-view.ts'
import { saveView } from '#src/saved-views/save-view.ts'
import { listVisibleViews } from '#src/saved-views/saved-view-store.ts'
import { updateView } from '#src/saved-views/update-view.ts'
import { countTickets } from '#src/tickets/ticket-store.ts'
import type { Actor } from '#src/users/actor.ts'
import { attempt, direction, onlyWith } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { msg, t } from './i18n.ts'
import { activeStaff } from './lookups.ts'
import { normalizeListQuery, viewHref, viewListQuery } from './saved-view-query.ts'
import { toFilter } from './ticket-query.ts'
import { type SavedViewLink, SavedViewsPage, type ViewProblem } from './views/saved-views.tsx'

type WebContext = Context<WebEnv>

/**
 * The saved views the person sees, each with its count (capped at 1 000, as the ready views'), for the list's
 * navigation and the page that manages them. Counted only there, not on every page. A view with words to
 * search counts through the read handle (SQLite: a thread), as the list's own search reads.
 */
export async function savedViewLinks(deps: AppDeps, actor: Actor, tz: string): Promise<SavedViewLink[]> {
  const views = await listVisibleViews(deps.db, actor)
  // Together, as the ready views beside them: the searches among them run side by side on the read threads.
  return Promise.all(
    views.map(async (view) => {
      const query = viewListQuery(view.query)
      const reads = query.q === undefined ? deps.db : readDbOf(deps)
      return {
        id: view.id,
        name: view.name,
        shared: view.shared === 1,
        ownerId: view.owner_id,
        query,
        href: viewHref(view.query),
        count: await countTickets(reads, actor, toFilter(query, tz)),
      }
    }),
  )
}

const outcomes: Record<string, string> = {
  created: msg('Вид сохранён'),
  saved: msg('Изменения сохранены'),
  moved: msg('Порядок изменён'),
  deleted: msg('Вид удалён'),
}

/**
 * /tickets/views: the page that manages saved views, and the forms that save, rename, share, reorder and
 * delete them (IT staff; a requester keeps no views: 404). Mounted by tickets.routes.tsx before `/:id`.
 */
export function savedViewRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  // `/views/*` covers `/views` itself too.
  routes.use('/views/*', onlyWith('saved_view.manage', 'Виды списка'))

  routes.get('/views', async (c) => {
    const code = c.req.query('done')
    const outcome = code !== undefined && Object.hasOwn(outcomes, code) ? t(outcomes[code] ?? '') : undefined
    return page(c, { outcome })
  })

  routes.post('/views', async (c) => {
    const form = await readForm(c)
    const draft = {
      name: form.text('name', 200) ?? '',
      query: form.text('query', 4_000) ?? '',
      shared: form.text('shared') === '1',
    }
    let href = '/tickets/views?done=created'
    const refused = await attempt(
      async () => {
        const view = await saveView(c.get('deps').db, c.get('actor'), {
          name: draft.name,
          query: normalizeListQuery(draft.query),
          shared: draft.shared,
        })
        // Straight to the list it stands for: the new view is in the navigation, current.
        href = viewHref(view.query)
      },
      (message) => page(c, { problem: { message, draft } }, 422),
    )
    return refused ?? c.redirect(href, 303)
  })

  routes.post('/views/:id', async (c) => {
    const id = idParam(c)
    const form = await readForm(c)
    const name = form.text('name', 200)
    const sharedField = form.text('shared')
    const refused = await attempt(
      () =>
        updateView(c.get('deps').db, c.get('actor'), {
          id,
          name,
          shared: sharedField === undefined ? undefined : sharedField === '1',
        }),
      (message) => page(c, { problem: { viewId: id, message } }, 422),
    )
    return refused ?? c.redirect(`/tickets/views?done=saved#view-${id}`, 303)
  })

  routes.post('/views/:id/move', async (c) => {
    const id = idParam(c)
    const form = await readForm(c)
    const refused = await attempt(
      () => moveView(c.get('deps').db, c.get('actor'), { id, direction: direction(form) }),
      (message) => page(c, { problem: { viewId: id, message } }, 422),
    )
    return refused ?? c.redirect(`/tickets/views?done=moved#view-${id}`, 303)
  })

  routes.post('/views/:id/delete', async (c) => {
    const id = idParam(c)
    const refused = await attempt(
      () => deleteView(c.get('deps').db, c.get('actor'), { id }),
      (message) => page(c, { problem: { viewId: id, message } }, 422),
    )
    return refused ?? c.redirect('/tickets/views?done=deleted', 303)
  })

  return routes
}

async function page(
  c: WebContext,
  extras: { outcome?: string; problem?: ViewProblem },
  status: 200 | 422 = 200,
): Promise<Response> {
  const deps = c.get('deps')
  const { db } = deps
  const views = await savedViewLinks(deps, c.get('actor'), deps.config.tzDisplay)
  const lookups = {
    categories: await listCategories(db),
    departments: await listDepartments(db),
    groups: await listGroups(db),
    staff: await activeStaff(db),
  }
  return c.html(
    <SavedViewsPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      views={views}
      lookups={lookups}
      outcome={extras.outcome}
      problem={extras.problem}
    />,
    status,
  )
}
