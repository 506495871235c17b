import { Hono } from 'hono'
import { createFactory } from 'hono/factory'
import { z } from 'zod'
import { type AwaitingApproval, listAwaitingFor } from '#src/approvals/approval-store.ts'
import { approveTicket } from '#src/approvals/approve-ticket.ts'
import { rejectTicket } from '#src/approvals/reject-ticket.ts'
import { audit } from '#src/audit/journal.ts'
import { limits } from '#src/tickets/rules.ts'
import { authenticate } from './authenticate.ts'
import type { ApiEnv } from './env.ts'
import { idParam, jsonBody, text } from './validate.ts'

const { createHandlers } = createFactory<ApiEnv>()

export const rejectApprovalBody = z.object({ reason: text(limits.reason) }).strict()

/** A ticket awaiting approval as its approver sees it: what the decision needs, nothing more. */
export function presentApproval(item: AwaitingApproval) {
  return {
    id: item.id,
    title: item.title,
    description: item.description,
    created_at: item.created_at,
    requester_id: item.requester_id,
    requester_name: item.requester_name,
    department_name: item.department_name,
    category_name: item.category_name,
    decided_by: item.approver_id === null ? ('curators' as const) : ('head' as const),
  }
}

/** /approvals («На согласовании», issue 14): the tickets awaiting the caller's decision (empty for most). */
export function approvalApiRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)
  routes.get('/', async (c) => {
    const { db } = c.get('deps')
    const actor = c.get('actor')
    const items = await listAwaitingFor(db, actor)
    if (items.length > 0) {
      await audit(db, actor, {
        action: 'ticket.list',
        objectType: 'ticket',
        pdn: true,
        description: `Просмотр заявок на согласовании: ${items.length}`,
        details: { ids: items.map((item) => item.id), page: 'approvals' },
      })
    }
    return c.json({ items: items.map(presentApproval) })
  })
  return routes
}

/** POST /tickets/:id/approve and /tickets/:id/reject: the approver's decision (before the ticket routes). */
export function ticketApprovalApiRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.post(
    '/:id/approve',
    ...createHandlers(authenticate, async (c) => {
      const ticket = await approveTicket(c.get('deps').db, c.get('actor'), { ticketId: idParam(c) })
      return c.json(ticket)
    }),
  )
  routes.post(
    '/:id/reject',
    ...createHandlers(authenticate, async (c) => {
      const ticketId = idParam(c)
      const body = await jsonBody(c, rejectApprovalBody)
      const ticket = await rejectTicket(c.get('deps').db, c.get('actor'), { ticketId, reason: body.reason })
      return c.json(ticket)
    }),
  )
  return routes
}
