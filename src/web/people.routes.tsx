import { Hono } from 'hono'
import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import { DomainError } from '#src/errors.ts'
import { can } from '#src/users/permissions.ts'
import { listUsers } from '#src/users/user-store.ts'
import type { WebEnv } from './env.ts'
import { requireSession } from './session.ts'
import { PeopleOptions } from './views/new-ticket.tsx'

/** GET /people?q=: staff look up a caller by name or phone to file on their behalf (options for a select). */
export function peopleRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.get('/', async (c) => {
    const { db } = c.get('deps')
    const actor = c.get('actor')
    // Someone who may not file on behalf of others must not learn that the page exists; the try is journaled.
    if (!can(actor, 'ticket.create_on_behalf')) {
      await auditDenied(db, actor, {
        action: 'user.search',
        objectType: 'user',
        pdn: true,
        description: 'Отказано в поиске заявителя',
        details: { method: c.req.method, path: c.req.path },
      })
      throw new DomainError('not_found', 'Не найдено')
    }
    const q = (c.req.query('q') ?? '').replaceAll('\u0000', '').trim().slice(0, 100)
    // A blocked person (ст. 21) is not offered: nothing new is filed on their behalf until unblocked.
    const found =
      q.length < 2
        ? []
        : (await listUsers(db, { q, status: 'active', perPage: 20 })).items.filter((u) => u.blocked_at === null)
    const departments = new Map(
      (await db.selectFrom('departments').select(['id', 'name']).execute()).map((d) => [d.id, d.name]),
    )
    if (found.length > 0) {
      await audit(db, actor, {
        action: 'user.search',
        objectType: 'user',
        pdn: true,
        description: `Поиск заявителя: найдено ${found.length}`,
        details: { ids: found.map((u) => u.id) },
      })
    }
    const people = found.map((u) => ({
      id: u.id,
      full_name: u.full_name,
      phone: u.phone,
      department: u.department_id === null ? null : (departments.get(u.department_id) ?? null),
    }))
    return c.html(<PeopleOptions self={c.get('user')} people={people} />)
  })
  return routes
}
