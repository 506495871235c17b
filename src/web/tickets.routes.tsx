import type { Context } from 'hono'
import { Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import { readDbOf } from '#src/api/env.ts'
import { idParam } from '#src/api/validate.ts'
import { approvalPanelOf } from '#src/approvals/approval-store.ts'
import { listCategories } from '#src/categories/category-store.ts'
import { type Db, type Priority, priorities, type TicketStatus, ticketStatuses } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { listDepartments } from '#src/departments/department-store.ts'
import { reportedEquipment } from '#src/equipment/reported-equipment.ts'
import { parseId } from '#src/format/ids.ts'
import { listGroups } from '#src/groups/group-store.ts'
import { applyMacro } from '#src/macros/apply-macro.ts'
import { ticketMacros } from '#src/macros/ticket-macros.ts'
import { addMessage, checkAddMessage } from '#src/tickets/add-message.ts'
import { assignTicket } from '#src/tickets/assign-ticket.ts'
import { BULK_LIMIT, type BulkOutcome, bulkActionOf, bulkKinds, bulkUpdate } from '#src/tickets/bulk-update.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { checkCreateTicket, createTicket } from '#src/tickets/create-ticket.ts'
import { onBehalfRequester } from '#src/tickets/on-behalf-requester.ts'
import { isStaff } from '#src/tickets/rules.ts'
import { takeTicket } from '#src/tickets/take-ticket.ts'
import { auditListRead } from '#src/tickets/ticket-access.ts'
import {
  countTickets,
  listTicketPage,
  listTickets,
  MAX_PER_PAGE,
  type TicketFilter,
  unindexedSorts,
} from '#src/tickets/ticket-store.ts'
import { updateTicket } from '#src/tickets/update-ticket.ts'
import { viewTicket } from '#src/tickets/view-ticket.ts'
import type { Actor } from '#src/users/actor.ts'
import { attempt, FormProblem } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { ticketEquipmentRoutes } from './equipment.routes.tsx'
import { readForm } from './forms.ts'
import { t } from './i18n.ts'
import { activeStaff } from './lookups.ts'
import { readTicketNotifications } from './notifications.routes.tsx'
import { ONCE_FIELD } from './once-form.ts'
import { requesterRoutes } from './requester.routes.tsx'
import { savedViewLinks, savedViewRoutes } from './saved-views.routes.tsx'
import { requireSession } from './session.ts'
import { ticketExportRoutes } from './ticket-export.routes.tsx'
import { formFiles, ticketFileRoutes, uploadProblem, withUploads } from './ticket-files.routes.tsx'
import { ticketLinkRoutes } from './ticket-links.routes.tsx'
import { ticketLiveRoutes } from './ticket-live.routes.tsx'
import { listHref, parseListQuery, readyViews, toFilter } from './ticket-query.ts'
import { BulkResultPage } from './views/bulk-result.tsx'
import { NewTicketPage, type NewTicketValues } from './views/new-ticket.tsx'
import { FILTERS_COOKIE, type ListViewProps, TicketListPage, TicketResults } from './views/ticket-list.tsx'
import { type TicketForm, TicketLiveParts, TicketPage, type TicketViewProps } from './views/ticket-page.tsx'

type WebContext = Context<WebEnv>

/** The ids of every ticket a filter matches, page after page, up to one past BULK_LIMIT (then refused). */
async function idsOfFilter(reads: Db, actor: Actor, filter: TicketFilter): Promise<number[]> {
  const ids: number[] = []
  for (let cursor: string | undefined; ids.length <= BULK_LIMIT; ) {
    const page = await listTicketPage(reads, actor, { ...filter, cursor })
    ids.push(...page.items.map((item) => item.id))
    if (page.next === null) break
    cursor = page.next
  }
  return ids.slice(0, BULK_LIMIT + 1)
}

/** /tickets: the list, export, the new ticket form, the ticket page and its actions. */
export function ticketRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  // Bodies are limited before this (body-limit.ts): the session check reads the form for its CSRF token.
  routes.use(requireSession)
  // The requester's own list and answers (requester.routes.tsx), saved views (saved-views.routes.tsx): before `/:id`.
  routes.route('/', requesterRoutes(act))
  routes.route('/', savedViewRoutes())

  routes.get('/', async (c) => {
    const { db, config } = c.get('deps')
    const actor = c.get('actor')
    const user = c.get('user')
    const staff = isStaff(actor)
    const params = new URL(c.req.url).searchParams
    const query = parseListQuery(params, { staff })
    // A form sent without our script carries its empty fields: the list's URL is the tidy one.
    if ([...params.values()].some((value) => value === '')) return c.redirect(listHref(query), 302)
    // A search, or a sort no index gives (by names), reads every match: through the read handle (SQLite: a
    // thread), as the API's search does. The tabs count without words.
    const heavy = query.q !== undefined || (query.sort !== undefined && unindexedSorts.includes(query.sort))
    const reads = heavy ? readDbOf(c.get('deps')) : db
    const result = await listTickets(reads, actor, toFilter(query, config.tzDisplay))
    const views = await Promise.all(
      readyViews(user.id, staff).map(async (v) => ({
        ...v,
        count: await countTickets(db, actor, toFilter(v.query, config.tzDisplay)),
      })),
    )
    await auditListRead(db, actor, result, { cursor: query.cursor ?? null })
    const partial = c.req.header('hx-request') === 'true' && c.req.header('hx-target') === 'ticket-results'
    const props: ListViewProps = {
      user,
      csrf: c.get('csrf'),
      staff,
      query,
      items: result.items,
      total: { count: result.total, capped: result.totalCapped },
      next: result.next,
      prev: result.prev,
      views,
      saved: staff ? await savedViewLinks(c.get('deps'), actor, config.tzDisplay) : undefined,
      lookups: partial
        ? { categories: [], departments: [], groups: [], staff: [] }
        : {
            // A requester filters among the categories they could choose; staff also find the disabled ones.
            categories: await listCategories(db, { activeOnly: !staff }),
            departments: staff ? await listDepartments(db) : [],
            groups: staff ? await listGroups(db) : [],
            staff: staff ? await activeStaff(db) : [],
          },
      // Folded unless the person left it open (the cookie app.js writes when the panel is toggled).
      filtersOpen: getCookie(c, FILTERS_COOKIE) === '1',
      now: now(),
      tz: config.tzDisplay,
    }
    c.header('vary', 'HX-Request, HX-Target')
    return c.html(partial ? <TicketResults {...props} /> : <TicketListPage {...props} />)
  })

  // The list's exports and the background exports' pages (ticket-export.routes.tsx), before `/:id`.
  routes.route('/', ticketExportRoutes())

  // Staff's action over the ticked tickets, or over every ticket of the list's filter (at most BULK_LIMIT).
  routes.post('/bulk', async (c) => {
    const { config } = c.get('deps')
    const actor = c.get('actor')
    const form = await readForm(c)
    const body = await c.req.parseBody({ all: true })
    const raw = body.ids
    const ticked = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).slice(0, BULK_LIMIT + 1)
    // The list's own address: where the result page leads back (only ever a list of ours).
    const filter = form.text('filter', 4_000)
    const back = filter !== undefined && /^\/tickets(\?|$)/.test(filter) ? filter : '/tickets'
    let ids = ticked.map((v) => (typeof v === 'string' ? parseId(v) : undefined)).filter((v) => v !== undefined)
    if (form.text('all') === '1') {
      const params = new URL(back, 'http://list').searchParams
      const query = parseListQuery(params, { staff: isStaff(actor) })
      ids = await idsOfFilter(readDbOf(c.get('deps')), actor, toFilter(query, config.tzDisplay, MAX_PER_PAGE))
    }
    const choice = (name: string) => {
      const value = form.text(name, 12)
      return value === 'none' ? null : parseId(value)
    }
    const kind = bulkKinds.find((k) => k === form.text('action', 20))
    let outcome: BulkOutcome | undefined
    const refused = await attempt(
      async () => {
        if (kind === undefined) throw new FormProblem(t('Выберите действие'))
        const action = bulkActionOf({
          kind,
          assigneeId: form.text('assignee') === undefined ? undefined : choice('assignee'),
          status: ticketStatuses.find((s) => s === form.text('status', 20)),
          priority: priorities.find((p) => p === form.text('priority', 20)),
          categoryId: form.id('category'),
          groupId: form.text('group') === undefined ? undefined : choice('group'),
          text: form.text('text', 10_000)?.trim() || undefined,
        })
        outcome = await bulkUpdate(c.get('deps').db, actor, ids, action)
      },
      async (message) =>
        c.html(<BulkResultPage user={c.get('user')} csrf={c.get('csrf')} back={back} problem={message} />, 422),
    )
    if (refused) return refused
    return c.html(<BulkResultPage user={c.get('user')} csrf={c.get('csrf')} back={back} outcome={outcome} />)
  })

  routes.get('/new', async (c) => {
    const { db } = c.get('deps')
    // Issue 14: from a device's sticker (`?equipment=<id>`), the form names the device and carries it.
    const equipmentId = parseId(c.req.query('equipment'))
    const equipment = equipmentId === undefined ? undefined : await reportedEquipment(db, equipmentId)
    // From an article that did not help (`?category=<id>`, /kb/:id/feedback): its category chosen already.
    const categories = await listCategories(db, { activeOnly: true })
    const categoryId = parseId(c.req.query('category'))
    const category = categories.find((cat) => cat.id === categoryId)?.id
    return c.html(
      <NewTicketPage
        {...(await newTicketProps(c))}
        categories={categories}
        equipment={equipment}
        values={category === undefined ? undefined : { category }}
      />,
    )
  })

  routes.post('/new', async (c) => {
    const { db } = c.get('deps')
    const form = await readForm(c)
    const files = await formFiles(c)
    const priority = priorities.find((p) => p === form.text('priority'))
    const values: NewTicketValues = {
      title: form.text('title', 200)?.trim(),
      description: form.text('description', 10_000) ?? '',
      category: form.id('category'),
      priority,
      requester: form.id('requester'),
    }
    let created: number | undefined
    const refused = await attempt(
      async () => {
        const categoryId = values.category
        if (categoryId === undefined) throw new FormProblem(t('Выберите категорию'))
        const problem = uploadProblem(files)
        if (problem) throw new FormProblem(problem)
        const actor = c.get('actor')
        // Refused for lack of rights before a byte is stored; any later refusal takes the files back.
        if (files.length > 0) await checkCreateTicket(db, actor, { requesterId: values.requester })
        const ticket = await withUploads(c, files, (attachments) =>
          createTicket(db, actor, {
            title: values.title === '' ? undefined : values.title,
            description: values.description ?? '',
            categoryId,
            priority: values.priority,
            requesterId: values.requester,
            attachments,
            equipmentId: form.id('equipment'),
            // The form's once-token is the API's Idempotency-Key too: even a repeat the once-guard let through
            // (its first request failed after the commit) files nothing twice.
            idempotencyKey: form.text(ONCE_FIELD, 64),
          }),
        )
        created = ticket.id
      },
      async (message) => {
        const props = await newTicketProps(c)
        // The caller chosen in the search stays chosen (files must be picked again: browsers forget them).
        const requesterLabel =
          values.requester === undefined
            ? undefined
            : (await onBehalfRequester(db, c.get('actor'), values.requester))?.full_name
        return c.html(
          <NewTicketPage
            {...props}
            categories={await listCategories(db, { activeOnly: true })}
            values={{ ...values, requesterLabel }}
            equipment={await equipmentOfForm(db, form.id('equipment'))}
            error={message}
          />,
          422,
        )
      },
      { forbiddenBeside: true },
    )
    return refused ?? c.redirect(`/tickets/${created}`, 303)
  })

  routes.route('/', ticketFileRoutes())
  routes.route('/', ticketLiveRoutes())
  routes.route('/', ticketLinkRoutes(renderTicket))
  // Issue 14: which device the ticket is about (the side panel's form).
  routes.route(
    '/',
    ticketEquipmentRoutes((c, id, message) => renderTicket(c, id, { errors: { equipment: message } }, 422)),
  )

  routes.get('/:id', async (c) => {
    // Opened: what the person's notifications said of it is read (issue 13), before the bell is drawn.
    await readTicketNotifications(c, idParam(c))
    return renderTicket(c, idParam(c))
  })

  // The parts a live update replaces; fetched by app.js only when the stream reports a change.
  routes.get('/:id/live', async (c) => {
    c.header('cache-control', 'no-store')
    return c.html(<TicketLiveParts {...(await ticketViewProps(c, idParam(c)))} />)
  })

  routes.post('/:id/messages', async (c) => {
    const { db } = c.get('deps')
    const ticketId = idParam(c)
    const form = await readForm(c)
    const files = await formFiles(c)
    const body = form.text('body', 10_000) ?? ''
    // A canned response chosen in the reply box goes with it: its status and priority too (apply-macro.ts).
    const macroId = form.id('macro')
    return act(
      c,
      ticketId,
      'message',
      async () => {
        const problem = uploadProblem(files)
        if (problem) throw new FormProblem(problem)
        const actor = c.get('actor')
        const internal = form.text('kind') === 'internal'
        // Refused (hidden ticket, no right, closed) before a byte is stored; any later refusal takes the files back.
        if (files.length > 0) await checkAddMessage(db, actor, { ticketId, internal })
        return withUploads(c, files, async (attachments) => {
          if (macroId === undefined) return addMessage(db, actor, { ticketId, body, internal, attachments })
          // An empty reply takes the macro's text (no script): as a note or a reply as the macro says, unless a
          // note was chosen (the switch stands at «Ответ заявителю» unless someone moved it).
          const kind = internal || body.trim() !== '' ? internal : undefined
          return (await applyMacro(db, actor, { macroId, ticketId, body, internal: kind, attachments })).message
        })
      },
      body,
      macroId,
    )
  })

  routes.post('/:id/take', async (c) => {
    const ticketId = idParam(c)
    return act(c, ticketId, 'take', () => takeTicket(c.get('deps').db, c.get('actor'), { ticketId }))
  })

  routes.post('/:id/assign', async (c) => {
    const ticketId = idParam(c)
    const form = await readForm(c)
    const raw = form.text('assignee')
    const assigneeId = raw === 'none' || raw === '' ? null : form.id('assignee')
    return act(c, ticketId, 'assign', () => {
      if (assigneeId === undefined) throw new FormProblem(t('Выберите исполнителя'))
      return assignTicket(c.get('deps').db, c.get('actor'), { ticketId, assigneeId })
    })
  })

  routes.post('/:id/status', async (c) => {
    const ticketId = idParam(c)
    const form = await readForm(c)
    const status: TicketStatus | undefined = ticketStatuses.find((s) => s === form.text('status'))
    return act(c, ticketId, 'status', () => {
      if (status === undefined) throw new FormProblem(t('Неизвестный статус'))
      return changeStatus(c.get('deps').db, c.get('actor'), {
        ticketId,
        status,
        resolution: form.text('resolution', 10_000),
        reason: form.text('reason', 1_000),
      })
    })
  })

  routes.post('/:id/update', async (c) => {
    const ticketId = idParam(c)
    const form = await readForm(c)
    const priority: Priority | undefined = priorities.find((p) => p === form.text('priority'))
    const categoryId = form.id('category')
    // An empty choice is «не указано»; a form of an older page without the fields changes neither.
    const department = form.text('department')
    const departmentId = department === undefined ? undefined : department === '' ? null : form.id('department')
    const location = form.text('location', 1_000)
    return act(c, ticketId, 'update', () =>
      updateTicket(c.get('deps').db, c.get('actor'), { ticketId, priority, categoryId, departmentId, location }),
    )
  })

  return routes
}

/**
 * Runs an action on a ticket: back to the ticket page (PRG), or the page again with the refusal beside
 * its form (422). A ticket the person may not see is a 404, whatever the action.
 */
async function act(
  c: WebContext,
  ticketId: number,
  formName: TicketForm,
  run: () => Promise<unknown>,
  draft?: string,
  macroId?: number,
) {
  const refused = await attempt(
    run,
    (message) => renderTicket(c, ticketId, { errors: { [formName]: message }, draft, macroId }, 422),
    { forbiddenBeside: true },
  )
  return refused ?? c.redirect(`/tickets/${ticketId}`, 303)
}

async function renderTicket(
  c: WebContext,
  ticketId: number,
  extras: {
    errors?: Partial<Record<TicketForm, string>>
    draft?: string | undefined
    macroId?: number | undefined
  } = {},
  status: 200 | 422 = 200,
) {
  const props = await ticketViewProps(c, ticketId, extras)
  // The reply box's macros: on the full page only, a live update never redraws the box (TicketLiveParts).
  const macros = await ticketMacros(c.get('deps').db, c.get('actor'), props.detail.ticket)
  return c.html(<TicketPage {...props} macros={macros} macroId={extras.macroId} />, status)
}

/** Everything the ticket page shows; opening the ticket is a journaled read of the requester's data. */
async function ticketViewProps(
  c: WebContext,
  ticketId: number,
  extras: { errors?: Partial<Record<TicketForm, string>>; draft?: string | undefined } = {},
): Promise<TicketViewProps> {
  const { db, config } = c.get('deps')
  const actor = c.get('actor')
  const detail = await viewTicket(db, actor, { ticketId })
  const staff = isStaff(actor)
  return {
    user: c.get('user'),
    actor,
    csrf: c.get('csrf'),
    detail,
    staffPeople: staff ? await activeStaff(db) : [],
    categories: staff ? await listCategories(db, { activeOnly: true }) : [],
    departments: staff ? await listDepartments(db, { activeOnly: true }) : [],
    errors: extras.errors,
    draft: extras.draft,
    ...(detail.ticket.status === 'approval' ? { approval: await approvalPanelOf(db, actor, detail.ticket) } : {}),
    now: now(),
    tz: config.tzDisplay,
  }
}

/** The device a refused form carried (issue 14), to show it again. */
async function equipmentOfForm(db: Db, id: number | undefined) {
  return id === undefined ? undefined : reportedEquipment(db, id)
}

async function newTicketProps(c: WebContext) {
  return { user: c.get('user'), csrf: c.get('csrf'), staff: isStaff(c.get('actor')) }
}
