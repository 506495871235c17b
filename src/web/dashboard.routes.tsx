import { Hono } from 'hono'
import { readDbOf } from '#src/api/env.ts'
import { audit } from '#src/audit/journal.ts'
import { lastFinishedBackup, lastGoodBackupAt } from '#src/backup/backup-log.ts'
import { now } from '#src/db/time.ts'
import { openDashboard } from '#src/stats/dashboard.ts'
import { isStaff } from '#src/tickets/rules.ts'
import type { WebEnv } from './env.ts'
import { count, ticketForms } from './format.ts'
import { requireSession } from './session.ts'
import { DashboardPage } from './views/dashboard.tsx'

/** The most rows each list of the dashboard shows; the rest is one click away in the ticket list. */
const DASHBOARD_LIMIT = 10

/**
 * `/`: the staff dashboard (issue 4, page 11); a requester goes on to their tickets. The middleware sits
 * on this one route, not on `/*`: the login page and the static files live under `/` too.
 */
export function dashboardRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.get('/', requireSession, async (c) => {
    const actor = c.get('actor')
    if (!isStaff(actor)) return c.redirect('/tickets', 302)
    const deps = c.get('deps')
    const { db, config } = deps
    const dashboard = await openDashboard(db, actor, { limit: DASHBOARD_LIMIT, reads: readDbOf(deps) })
    const shown = [...dashboard.mine.items, ...dashboard.unassigned.items, ...dashboard.overdue.items].map((t) => t.id)
    // The lists show requesters' names: a read of ПДн, journaled like the ticket list (COMPLIANCE.md §4).
    await audit(db, actor, {
      action: 'dashboard.view',
      objectType: 'ticket',
      pdn: true,
      description: `Просмотр главной страницы: ${count(new Set(shown).size, ticketForms)}, изменений: ${dashboard.changes.length}`,
      details: { ids: [...new Set(shown)], changes: dashboard.changes.map((e) => e.ticket_id) },
    })
    // The admin sees how old the last verified backup is (issue 11): a night without one is noticed the next day.
    const backup =
      actor.role === 'admin'
        ? { lastGoodAt: await lastGoodBackupAt(db), lastFailed: (await lastFinishedBackup(db))?.ok === 0 }
        : undefined
    c.header('cache-control', 'no-store')
    return c.html(
      <DashboardPage
        backup={backup}
        user={c.get('user')}
        csrf={c.get('csrf')}
        dashboard={dashboard}
        now={now()}
        tz={config.tzDisplay}
      />,
    )
  })
  return routes
}
