import { Hono } from 'hono'
import { z } from 'zod'
import { readJournal } from '#src/audit/read-journal.ts'
import { beforeBound, fromBound } from '#src/format/zone-days.ts'
import { authenticate } from './authenticate.ts'
import { type ApiEnv, readDbOf } from './env.ts'
import { presentAudit } from './present.ts'
import { q, queryOf, text } from './validate.ts'

export const AUDIT_DEFAULT_LIMIT = 100
export const AUDIT_MAX_LIMIT = 1000

export const auditQuery = z
  .object({
    limit: q.int(1, AUDIT_MAX_LIMIT).optional(),
    pdn_related: q.bool().optional(),
    search: text(200).optional(),
    /** A day of the hospital's zone (TZ_DISPLAY) from its start, or a moment; `date_to` includes its day. */
    date_from: q.dateOrMoment().optional(),
    date_to: q.dateOrMoment().optional(),
    /** A user id, or `system` for entries without a person. */
    actor_id: z.union([z.literal('system'), q.int()]).optional(),
    /** An action code, or a prefix ending with a dot (`auth.`). */
    action: text(100).optional(),
  })
  .strict()

/** GET /audit: the journal, newest first (admins only; the reading is journaled). */
export function auditRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)
  routes.get('/', async (c) => {
    const query = queryOf(c, auditQuery)
    const deps = c.get('deps')
    const rows = await readJournal(
      deps.db,
      c.get('actor'),
      {
        limit: query.limit ?? AUDIT_DEFAULT_LIMIT,
        pdnOnly: query.pdn_related,
        search: query.search,
        from: query.date_from && fromBound(query.date_from, deps.config.tzDisplay),
        to: query.date_to && beforeBound(query.date_to, deps.config.tzDisplay),
        actorId: query.actor_id,
        action: query.action,
      },
      { reads: readDbOf(deps) },
    )
    return c.json({ items: rows.map(presentAudit) })
  })
  return routes
}
