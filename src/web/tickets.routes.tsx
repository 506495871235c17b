import { setImmediate } from 'node:timers/promises'
import type { Context } from 'hono'
import { Hono } from 'hono'
import { readDbOf } from '#src/api/env.ts'
import { idParam } from '#src/api/validate.ts'
import { audit } from '#src/audit/journal.ts'
import { listCategories } from '#src/categories/category-store.ts'
import { type Priority, priorities, type TicketStatus, ticketStatuses } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { listDepartments } from '#src/departments/department-store.ts'
import { csvStream, inBatches } from '#src/export/csv.ts'
import { listGroups } from '#src/groups/group-store.ts'
import { type Sheet, wallClock, workbookBuffer, XLSX_TYPE } from '#src/stats/workbook.ts'
import { addMessage, checkAddMessage } from '#src/tickets/add-message.ts'
import { assignTicket } from '#src/tickets/assign-ticket.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { checkCreateTicket, createTicket } from '#src/tickets/create-ticket.ts'
import { onBehalfRequester } from '#src/tickets/on-behalf-requester.ts'
import { isStaff, priorityLabels, statusLabels } from '#src/tickets/rules.ts'
import { takeTicket } from '#src/tickets/take-ticket.ts'
import { auditListRead } from '#src/tickets/ticket-access.ts'
import {
  countTickets,
  listTicketPage,
  listTickets,
  MAX_PER_PAGE,
  type TicketListItem,
} from '#src/tickets/ticket-store.ts'
import { updateTicket } from '#src/tickets/update-ticket.ts'
import { viewTicket } from '#src/tickets/view-ticket.ts'
import { attempt, FormProblem } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { dateTime } from './format.ts'
import { readForm } from './forms.ts'
import { msg, t } from './i18n.ts'
import { activeStaff } from './lookups.ts'
import { ONCE_FIELD } from './once-form.ts'
import { requireSession } from './session.ts'
import { formFiles, ticketFileRoutes, uploadProblem, withUploads } from './ticket-files.routes.tsx'
import { ticketLiveRoutes } from './ticket-live.routes.tsx'
import { listHref, parseListQuery, readyViews, toFilter } from './ticket-query.ts'
import { NewTicketPage, type NewTicketValues } from './views/new-ticket.tsx'
import { type ListViewProps, TicketListPage, TicketResults } from './views/ticket-list.tsx'
import { type TicketForm, TicketLiveParts, TicketPage, type TicketViewProps } from './views/ticket-page.tsx'

type WebContext = Context<WebEnv>

/** The most rows one export (CSV or XLSX) carries. */
const EXPORT_LIMIT = 10_000

/**
 * The list's tickets for an export, with the list's filters, page after page up to EXPORT_LIMIT; the
 * export is journaled as a ПДн action with how many rows it carries of how many matched.
 */
async function ticketsToExport(c: WebContext, format: 'CSV' | 'XLSX'): Promise<TicketListItem[]> {
  const { db } = c.get('deps')
  // The pages are read on the read-only handle (threads on SQLite); the export is journaled on the main db.
  const reads = readDbOf(c.get('deps'))
  const actor = c.get('actor')
  const query = parseListQuery(new URL(c.req.url).searchParams)
  // From the first page whatever page the list was on, cursor after cursor: no page costs more than the first.
  const filter = { ...toFilter(query, c.get('deps').config.tzDisplay, MAX_PER_PAGE), cursor: undefined }
  const items: TicketListItem[] = []
  for (let cursor: string | undefined; items.length < EXPORT_LIMIT; ) {
    const page = await listTicketPage(reads, actor, { ...filter, cursor })
    items.push(...page.items.slice(0, EXPORT_LIMIT - items.length))
    if (page.next === null) break
    cursor = page.next
    // better-sqlite3 answers synchronously: without this, fifty pages are one stall of the event loop.
    await setImmediate()
  }
  const total = await countTickets(reads, actor, filter, EXPORT_LIMIT)
  const of = total.capped ? `более ${total.count}` : String(total.count)
  await audit(db, actor, {
    action: 'ticket.export',
    objectType: 'ticket',
    pdn: true,
    description: `Выгрузка списка заявок в ${format}: ${items.length} из ${of}`,
    details: { count: items.length, total: total.count, total_capped: total.capped, format: format.toLowerCase() },
  })
  return items
}

const moment = 'dd.mm.yyyy hh:mm'

function* lazyMap<T, R>(items: readonly T[], map: (item: T) => R): Generator<R> {
  for (const item of items) yield map(item)
}

/** The export's columns, shared by the CSV (headers as they are) and the XLSX (headers translated). */
const exportColumns = [
  { header: msg('№'), width: 8 },
  { header: msg('Заголовок'), width: 48 },
  { header: msg('Статус'), width: 14 },
  { header: msg('Приоритет'), width: 12 },
  { header: msg('Категория'), width: 22 },
  { header: msg('Заявитель'), width: 28 },
  { header: msg('Отделение'), width: 24 },
  { header: msg('Исполнитель'), width: 24 },
  { header: msg('Создана'), width: 17, format: moment },
  { header: msg('Срок решения'), width: 17, format: moment },
  { header: msg('Просрочена'), width: 11 },
]

/** One ticket as a row of `exportColumns`: dates and labels as each format writes them. */
function exportRow<D>(ticket: TicketListItem, date: (iso: string | null) => D, label: (text: string) => string) {
  return [
    ticket.id,
    ticket.title,
    label(statusLabels[ticket.status]),
    label(priorityLabels[ticket.priority]),
    ticket.category_name,
    ticket.requester_name,
    ticket.department_name,
    ticket.assignee_name,
    date(ticket.created_at),
    date(ticket.resolution_due_at),
    ticket.overdue ? label(msg('да')) : null,
  ]
}

/** /tickets: the list, export, the new ticket form, the ticket page and its actions. */
export function ticketRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  // Bodies are limited before this (body-limit.ts): the session check reads the form for its CSRF token.
  routes.use(requireSession)

  routes.get('/', async (c) => {
    const { db, config } = c.get('deps')
    const actor = c.get('actor')
    const user = c.get('user')
    const staff = isStaff(actor)
    const params = new URL(c.req.url).searchParams
    const query = parseListQuery(params)
    // A form sent without our script carries its empty fields: the list's URL is the tidy one.
    if ([...params.values()].some((value) => value === '')) return c.redirect(listHref(query), 302)
    // A search reads through the read handle (SQLite: a thread), as the API's does; the tabs count without words.
    const reads = query.q ? readDbOf(c.get('deps')) : db
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
      lookups: partial
        ? { categories: [], departments: [], groups: [], staff: [] }
        : {
            // A requester filters among the categories they could choose; staff also find the disabled ones.
            categories: await listCategories(db, { activeOnly: !staff }),
            departments: staff ? await listDepartments(db) : [],
            groups: staff ? await listGroups(db) : [],
            staff: staff ? await activeStaff(db) : [],
          },
      now: now(),
      tz: config.tzDisplay,
    }
    c.header('vary', 'HX-Request, HX-Target')
    return c.html(partial ? <TicketResults {...props} /> : <TicketListPage {...props} />)
  })

  routes.get('/export.csv', async (c) => {
    const { config } = c.get('deps')
    const tickets = await ticketsToExport(c, 'CSV')
    // Rows are made as the stream takes them: formatting 10 000 dates at once is a stall of its own.
    const rows = lazyMap(tickets, (ticket) =>
      exportRow(
        ticket,
        (iso) => (iso === null ? '' : dateTime(iso, config.tzDisplay)),
        (label) => label,
      ),
    )
    c.header('content-type', 'text/csv; charset=utf-8')
    c.header('content-disposition', `attachment; filename="tickets-${now().slice(0, 10)}.csv"`)
    c.header('cache-control', 'no-store')
    return c.body(
      csvStream(
        exportColumns.map((column) => column.header),
        inBatches(rows),
        { delimiter: ';' },
      ),
    )
  })

  // The same list as the CSV (filters, limit, journal), as a workbook with real dates.
  routes.get('/export.xlsx', async (c) => {
    const { config } = c.get('deps')
    const rows: Sheet['rows'] = lazyMap(await ticketsToExport(c, 'XLSX'), (ticket) =>
      exportRow(ticket, (iso) => (iso === null ? null : wallClock(iso, config.tzDisplay)), t),
    )
    const workbook = await workbookBuffer([
      {
        name: t('Заявки'),
        columns: exportColumns.map((column) => ({ ...column, header: t(column.header) })),
        rows,
      },
    ])
    c.header('content-type', XLSX_TYPE)
    c.header('content-disposition', `attachment; filename="tickets-${now().slice(0, 10)}.xlsx"`)
    c.header('cache-control', 'no-store')
    return c.body(new Uint8Array(workbook))
  })

  routes.get('/new', async (c) => {
    const { db } = c.get('deps')
    return c.html(
      <NewTicketPage {...(await newTicketProps(c))} categories={await listCategories(db, { activeOnly: true })} />,
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

  routes.get('/:id', async (c) => renderTicket(c, idParam(c)))

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
        return withUploads(c, files, (attachments) => addMessage(db, actor, { ticketId, body, internal, attachments }))
      },
      body,
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
async function act(c: WebContext, ticketId: number, formName: TicketForm, run: () => Promise<unknown>, draft?: string) {
  const refused = await attempt(
    run,
    (message) => renderTicket(c, ticketId, { errors: { [formName]: message }, draft }, 422),
    { forbiddenBeside: true },
  )
  return refused ?? c.redirect(`/tickets/${ticketId}`, 303)
}

async function renderTicket(
  c: WebContext,
  ticketId: number,
  extras: { errors?: Partial<Record<TicketForm, string>>; draft?: string | undefined } = {},
  status: 200 | 422 = 200,
) {
  return c.html(<TicketPage {...(await ticketViewProps(c, ticketId, extras))} />, status)
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
    now: now(),
    tz: config.tzDisplay,
  }
}

async function newTicketProps(c: WebContext) {
  return { user: c.get('user'), csrf: c.get('csrf'), staff: isStaff(c.get('actor')) }
}
