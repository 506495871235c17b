import { Hono } from 'hono'
import { z } from 'zod'
import { declareOutage } from '#src/outages/declare-outage.ts'
import { listOutages } from '#src/outages/list-outages.ts'
import { outageLimits } from '#src/outages/outage-rules.ts'
import type { OutageDetails, OutageRow } from '#src/outages/outage-store.ts'
import { resolveOutage } from '#src/outages/resolve-outage.ts'
import { viewOutage } from '#src/outages/view-outage.ts'
import { limits } from '#src/tickets/rules.ts'
import { authenticate } from './authenticate.ts'
import type { ApiEnv } from './env.ts'
import { dbId, idParam, jsonBody, q, queryOf, text } from './validate.ts'

export const declareOutageBody = z
  .object({
    ticket_id: dbId().describe('Родительская заявка: открытая, ещё не объявленная сбоем'),
    title: text(outageLimits.title).nullable().optional().describe('Как сбой называют; по умолчанию — тема заявки'),
    place: text(outageLimits.place).nullable().optional().describe('Где: «корпус 2»'),
    announcement: text(outageLimits.announcement)
      .nullable()
      .optional()
      .describe('Текст объявления в боте; по умолчанию — из названия и места'),
    department_ids: z.array(dbId()).min(1).max(outageLimits.links),
    category_ids: z
      .array(dbId())
      .min(1)
      .max(outageLimits.links)
      .describe('Категории («сервисы»); родительская включает свои подкатегории'),
  })
  .strict()

export const resolveOutageBody = z.object({ resolution: text(limits.resolution) }).strict()

export const outageListQuery = z.object({ open: q.bool().optional() }).strict()

/** An outage as the API shows it. */
export function presentOutage(outage: OutageRow) {
  return {
    id: outage.id,
    ticket_id: outage.ticket_id,
    ticket_title: outage.ticket_title,
    ticket_status: outage.ticket_status,
    title: outage.title,
    place: outage.place,
    announcement: outage.announcement,
    recipients: Number(outage.recipients),
    children: outage.children,
    open: outage.resolved_at === null,
    declared_by: outage.declared_by,
    declared_at: outage.declared_at,
    resolved_at: outage.resolved_at,
    resolved_by: outage.resolved_by,
  }
}

function presentDetails(outage: OutageDetails) {
  return { ...presentOutage(outage), departments: outage.departments, categories: outage.categories }
}

/** /outages: «Массовые сбои» — IT staff list, declare, read and end them. */
export function outageRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)

  routes.get('/', async (c) => {
    const openOnly = queryOf(c, outageListQuery).open ?? false
    const items = await listOutages(c.get('deps').db, c.get('actor'), { openOnly })
    return c.json({ items: items.map(presentOutage) })
  })

  routes.post('/', async (c) => {
    const body = await jsonBody(c, declareOutageBody)
    const { db } = c.get('deps')
    const outage = await declareOutage(db, c.get('actor'), {
      ticketId: body.ticket_id,
      title: body.title ?? null,
      place: body.place ?? null,
      announcement: body.announcement ?? null,
      departmentIds: body.department_ids,
      categoryIds: body.category_ids,
    })
    return c.json(presentOutage(outage), 201)
  })

  routes.get('/:id', async (c) => {
    const outage = await viewOutage(c.get('deps').db, c.get('actor'), { id: idParam(c) })
    return c.json(presentDetails(outage))
  })

  routes.post('/:id/resolve', async (c) => {
    const id = idParam(c)
    const body = await jsonBody(c, resolveOutageBody)
    const outage = await resolveOutage(c.get('deps').db, c.get('actor'), { outageId: id, resolution: body.resolution })
    return c.json(presentOutage(outage))
  })

  return routes
}
