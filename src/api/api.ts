import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { approvalApiRoutes, ticketApprovalApiRoutes } from './approvals.routes.ts'
import { auditRoutes } from './audit.routes.ts'
import { authRoutes } from './auth.routes.ts'
import { categoryRoutes } from './categories.routes.ts'
import { departmentRoutes } from './departments.routes.ts'
import { dutyRoutes } from './duty.routes.ts'
import type { AppEnv } from './env.ts'
import { equipmentApiRoutes, ticketEquipmentApiRoutes } from './equipment.routes.ts'
import { payloadTooLarge } from './errors.ts'
import { groupRoutes } from './groups.routes.ts'
import { articleRoutes } from './knowledge.routes.ts'
import { macroRoutes } from './macros.routes.ts'
import { meRoutes } from './me.routes.ts'
import { notificationRoutes, ticketWatchRoutes } from './notifications.routes.ts'
import { openApiDocument } from './openapi.ts'
import { outageRoutes } from './outages.routes.ts'
import { planRoutes } from './plans.routes.ts'
import { ticketLinkApiRoutes } from './ticket-links.routes.ts'
import { ticketRoutes } from './tickets.routes.ts'
import { userRoutes } from './users.routes.ts'
import { viewRoutes } from './views.routes.ts'

export const API_BODY_LIMIT = 1024 * 1024

/** The JSON API, mounted by the app at /api/v1. */
export function createApi(): Hono<AppEnv> {
  const api = new Hono<AppEnv>()
  const limit = bodyLimit({ maxSize: API_BODY_LIMIT, onError: payloadTooLarge })
  // A GET has no body to limit: asking for one made @hono/node-server build a whole Request (4 % of a view).
  api.use((c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limit(c, next)))
  let document: ReturnType<typeof openApiDocument> | undefined
  api.get('/openapi.json', (c) => {
    document ??= openApiDocument(c.get('deps').config.baseUrl)
    return c.json(document)
  })
  api.route('/auth', authRoutes())
  api.route('/me', meRoutes())
  api.route('/audit', auditRoutes())
  // Issue 13: following a ticket (before the ticket routes, whose `authenticate` then never runs for it), the bell.
  api.route('/tickets', ticketWatchRoutes())
  // Issue 13: links and merges of tickets (before the ticket routes too).
  api.route('/tickets', ticketLinkApiRoutes())
  // Issue 14: which device a ticket is about (before the ticket routes too).
  api.route('/tickets', ticketEquipmentApiRoutes())
  // Issue 14: «Согласовать» / «Отклонить» a ticket awaiting approval (before the ticket routes too).
  api.route('/tickets', ticketApprovalApiRoutes())
  api.route('/tickets', ticketRoutes())
  api.route('/notifications', notificationRoutes())
  api.route('/users', userRoutes())
  api.route('/departments', departmentRoutes())
  api.route('/groups', groupRoutes())
  api.route('/categories', categoryRoutes())
  api.route('/macros', macroRoutes())
  api.route('/equipment', equipmentApiRoutes())
  // Issue 14: «База знаний».
  api.route('/articles', articleRoutes())
  api.route('/plans', planRoutes())
  // Issue 14: the tickets awaiting the caller's approval.
  api.route('/approvals', approvalApiRoutes())
  api.route('/outages', outageRoutes())
  // Issue 14: «Дежурства».
  api.route('/duty', dutyRoutes())
  api.route('/views', viewRoutes())
  return api
}
