import { Hono } from 'hono'
import { z } from 'zod'
import { priorities, ticketStatuses } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import { beforeBound, fromBound } from '#src/format/zone-days.ts'
import { addMessage } from '#src/tickets/add-message.ts'
import { assignTicket } from '#src/tickets/assign-ticket.ts'
import { BULK_LIMIT, bulkActionOf, bulkKinds, bulkUpdate } from '#src/tickets/bulk-update.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { rateTicket } from '#src/tickets/rate-ticket.ts'
import { limits } from '#src/tickets/rules.ts'
import { takeTicket } from '#src/tickets/take-ticket.ts'
import { auditListRead } from '#src/tickets/ticket-access.ts'
import { DEFAULT_PER_PAGE, listTickets, MAX_PER_PAGE, ticketSorts } from '#src/tickets/ticket-store.ts'
import { updateTicket } from '#src/tickets/update-ticket.ts'
import { viewTicket } from '#src/tickets/view-ticket.ts'
import { authenticate } from './authenticate.ts'
import { type ApiEnv, readDbOf } from './env.ts'
import { presentTicketDetail, presentTicketListItem } from './present.ts'
import { dbId, idParam, jsonBody, q, queryOf, text } from './validate.ts'

const id = dbId()

/** How deep `page` reaches (page × per_page): past it, pages go by cursor, whose cost does not grow. */
export const MAX_OFFSET = 10_000

export const ticketListQuery = z
  .object({
    status: z.array(z.enum(ticketStatuses)).optional(),
    category_id: q.int().optional(),
    priority: z.array(z.enum(priorities)).optional(),
    /** A user id, or `none` for unassigned tickets. */
    assignee_id: z.union([z.literal('none'), q.int()]).optional(),
    requester_id: q.int().optional(),
    department_id: q.int().optional(),
    group_id: q.int().optional(),
    /** A day of the hospital's zone (TZ_DISPLAY) from its start, or a moment; `created_to` includes its day. */
    created_from: q.dateOrMoment().optional(),
    created_to: q.dateOrMoment().optional(),
    q: text(200).optional(),
    overdue: q.bool().optional(),
    /** `mine`: assigned to the caller, or unassigned in one of their executor groups. */
    scope: z.enum(['mine']).optional(),
    sort: z.enum(ticketSorts).optional(),
    /** `next_cursor` or `prev_cursor` of an earlier answer (with the same filters and sort). */
    cursor: z.string().min(1).max(400).optional(),
    /** By offset, for old clients: at most MAX_OFFSET rows deep, and never with `cursor`. */
    page: q.int(1, 1_000_000).optional(),
    per_page: q.int(1, MAX_PER_PAGE).optional(),
  })
  .strict()
export const ticketListMulti = ['status', 'priority'] as const

/** `POST /tickets/bulk`: one action over up to BULK_LIMIT tickets; what each needs besides `action`. */
export const bulkBody = z
  .object({
    ticket_ids: z.array(id).min(1).max(BULK_LIMIT),
    action: z.enum(bulkKinds),
    /** `assign`: a user id, or null to unassign. */
    assignee_id: id.nullable().optional(),
    /** `status`: the new status (`resolved` and `cancelled` take `text` as the result or the reason). */
    status: z.enum(ticketStatuses).optional(),
    priority: z.enum(priorities).optional(),
    category_id: id.optional(),
    /** `group`: a group id, or null for none. */
    group_id: id.nullable().optional(),
    /** `note`: the internal note; `status`: the result or the reason. */
    text: text(limits.description).optional(),
  })
  .strict()

export const createTicketBody = z
  .object({
    title: text(limits.title).optional(),
    description: text(limits.description),
    category_id: id,
    priority: z.enum(priorities).optional(),
    requester_id: id.optional(),
    /** The device it is about (issue 14); its department and room become the ticket's. */
    equipment_id: id.nullable().optional(),
  })
  .strict()

export const updateTicketBody = z
  .object({
    priority: z.enum(priorities).optional(),
    category_id: id.optional(),
    title: text(limits.title).optional(),
    /** null: no department. */
    department_id: id.nullable().optional(),
    /** null or empty: not said. */
    location: text(limits.location).nullable().optional(),
    /** The executor group (null: none); without it a new category brings its own group. */
    group_id: id.nullable().optional(),
  })
  .strict()
  .refine(
    (b) => Object.keys(b).length > 0,
    'Укажите, что изменить: priority, category_id, title, department_id, location или group_id',
  )

export const messageBody = z
  .object({
    body: text(limits.body),
    /** An internal note, seen by staff only. */
    internal: z.boolean().default(false),
  })
  .strict()

export const assignBody = z.object({ assignee_id: id.nullable() }).strict()

export const statusBody = z
  .object({
    status: z.enum(ticketStatuses),
    resolution: text(limits.resolution).optional(),
    reason: text(limits.reason).optional(),
  })
  .strict()

export const ratingBody = z
  .object({
    score: z.number().int().min(1).max(5),
    comment: text(limits.ratingComment).nullable().optional(),
  })
  .strict()

/** /tickets: the list, filing, the card with its timeline, and every change to a ticket. */
export function ticketRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)

  routes.get('/', async (c) => {
    const query = queryOf(c, ticketListQuery, ticketListMulti)
    const { db } = c.get('deps')
    const actor = c.get('actor')
    const perPage = query.per_page ?? DEFAULT_PER_PAGE
    if (query.cursor !== undefined && query.page !== undefined) {
      throw new DomainError('bad_request', 'Укажите либо cursor, либо page, но не оба')
    }
    const page = query.cursor === undefined ? (query.page ?? 1) : null
    if (page !== null && (page - 1) * perPage >= MAX_OFFSET) {
      throw new DomainError(
        'bad_request',
        `Страница дальше ${MAX_OFFSET} заявок от начала: листайте по next_cursor (параметр cursor)`,
      )
    }
    // A search reads through the read handle (SQLite: a thread): a broad word's matches take FTS5 tens of
    // milliseconds at a million tickets, which the event loop need not wait out.
    const reads = query.q ? readDbOf(c.get('deps')) : db
    const result = await listTickets(reads, actor, {
      status: query.status,
      categoryId: query.category_id,
      priority: query.priority,
      assigneeId: query.assignee_id,
      requesterId: query.requester_id,
      departmentId: query.department_id,
      groupId: query.group_id,
      createdFrom: query.created_from && fromBound(query.created_from, c.get('deps').config.tzDisplay),
      createdBefore: query.created_to && beforeBound(query.created_to, c.get('deps').config.tzDisplay),
      q: query.q,
      overdue: query.overdue,
      scope: query.scope,
      sort: query.sort,
      cursor: query.cursor,
      page: page ?? undefined,
      perPage,
    })
    await auditListRead(db, actor, result, { page, cursor: query.cursor ?? null, perPage })
    return c.json({
      items: result.items.map(presentTicketListItem),
      total: result.total,
      total_capped: result.totalCapped,
      page,
      per_page: perPage,
      next_cursor: result.next,
      prev_cursor: result.prev,
    })
  })

  routes.post('/', async (c) => {
    const body = await jsonBody(c, createTicketBody)
    const ticket = await createTicket(c.get('deps').db, c.get('actor'), {
      title: body.title,
      description: body.description,
      categoryId: body.category_id,
      priority: body.priority,
      requesterId: body.requester_id,
      equipmentId: body.equipment_id,
      idempotencyKey: c.req.header('idempotency-key'),
    })
    return c.json(ticket, 201)
  })

  routes.post('/bulk', async (c) => {
    const body = await jsonBody(c, bulkBody)
    const action = bulkActionOf({
      kind: body.action,
      assigneeId: body.assignee_id,
      status: body.status,
      priority: body.priority,
      categoryId: body.category_id,
      groupId: body.group_id,
      text: body.text,
    })
    const outcome = await bulkUpdate(c.get('deps').db, c.get('actor'), body.ticket_ids, action)
    return c.json({
      done: outcome.done,
      refused: outcome.refused.map((r) => ({ ticket_id: r.ticketId, code: r.code, message: r.message })),
    })
  })

  routes.get('/:id', async (c) => {
    const detail = await viewTicket(c.get('deps').db, c.get('actor'), { ticketId: idParam(c) })
    return c.json(presentTicketDetail(detail))
  })

  routes.patch('/:id', async (c) => {
    const ticketId = idParam(c)
    const body = await jsonBody(c, updateTicketBody)
    const ticket = await updateTicket(c.get('deps').db, c.get('actor'), {
      ticketId,
      priority: body.priority,
      categoryId: body.category_id,
      title: body.title,
      departmentId: body.department_id,
      location: body.location,
      groupId: body.group_id,
    })
    return c.json(ticket)
  })

  routes.post('/:id/messages', async (c) => {
    const ticketId = idParam(c)
    const body = await jsonBody(c, messageBody)
    const message = await addMessage(c.get('deps').db, c.get('actor'), { ticketId, ...body })
    return c.json(message, 201)
  })

  routes.post('/:id/assign', async (c) => {
    const ticketId = idParam(c)
    const body = await jsonBody(c, assignBody)
    return c.json(await assignTicket(c.get('deps').db, c.get('actor'), { ticketId, assigneeId: body.assignee_id }))
  })

  routes.post('/:id/take', async (c) => {
    return c.json(await takeTicket(c.get('deps').db, c.get('actor'), { ticketId: idParam(c) }))
  })

  routes.post('/:id/status', async (c) => {
    const ticketId = idParam(c)
    const body = await jsonBody(c, statusBody)
    return c.json(await changeStatus(c.get('deps').db, c.get('actor'), { ticketId, ...body }))
  })

  routes.post('/:id/rating', async (c) => {
    const ticketId = idParam(c)
    const body = await jsonBody(c, ratingBody)
    return c.json(await rateTicket(c.get('deps').db, c.get('actor'), { ticketId, ...body }))
  })

  return routes
}
