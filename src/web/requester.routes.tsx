import type { Context } from 'hono'
import { Hono } from 'hono'
import { readDbOf } from '#src/api/env.ts'
import { idParam } from '#src/api/validate.ts'
import type { TicketStatus } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { commentRating } from '#src/tickets/comment-rating.ts'
import { rateTicket } from '#src/tickets/rate-ticket.ts'
import { reportNotSolved } from '#src/tickets/report-not-solved.ts'
import { auditListRead } from '#src/tickets/ticket-access.ts'
import { type CappedCount, countTickets, listTickets } from '#src/tickets/ticket-store.ts'
import { can } from '#src/users/permissions.ts'
import { FormProblem } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { t } from './i18n.ts'
import { type ListQuery, listHref, parseListQuery, toFilter } from './ticket-query.ts'
import { RequesterListPage, type RequesterTab, requesterTabs, tabQuery } from './views/requester-list.tsx'
import type { TicketForm } from './views/ticket-page.tsx'

/** Runs an action on a ticket and answers as the ticket page's own forms do (tickets.routes.tsx `act`). */
export type TicketAct = (
  c: Context<WebEnv>,
  ticketId: number,
  form: TicketForm,
  run: () => Promise<unknown>,
) => Promise<Response>

/**
 * The requester's web (issue 13): «Мои заявки» instead of staff's list, and the answers the bot's notice buttons
 * give — «Подтверждаю», «Не решено» with what is wrong, a rating 1–5 with a comment — as forms of the ticket page.
 * Mounted by tickets.routes.tsx before its own list and `/:id` handlers; staff's list passes through.
 */
export function requesterRoutes(act: TicketAct): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()

  routes.get('/', async (c, next) => {
    const actor = c.get('actor')
    // Whoever sees every ticket (IT staff) gets the full list with its filters.
    if (can(actor, 'ticket.view')) return next()
    const { db, config } = c.get('deps')
    const params = new URL(c.req.url).searchParams
    const query = requesterQuery(params)
    if ([...params.values()].some((value) => value === '')) return c.redirect(listHref(query), 302)
    const reads = query.q === undefined ? db : readDbOf(c.get('deps'))
    const result = await listTickets(reads, actor, toFilter(query, config.tzDisplay))
    // The shown tab's count is the list's own; the other two are counted beside each other.
    const shown = tabOf(query)
    const count = (tab: RequesterTab): Promise<CappedCount> =>
      tab === shown
        ? Promise.resolve({ count: result.total, capped: result.totalCapped })
        : countTickets(reads, actor, toFilter(tabQuery(tab, query.q), config.tzDisplay))
    const [open, closed, all] = await Promise.all([count('open'), count('closed'), count('all')])
    const counts = { open, closed, all }
    await auditListRead(db, actor, result, { cursor: query.cursor ?? null })
    return c.html(
      <RequesterListPage
        user={c.get('user')}
        csrf={c.get('csrf')}
        query={query}
        tab={shown}
        items={result.items}
        counts={counts}
        next={result.next}
        prev={result.prev}
        now={now()}
        tz={config.tzDisplay}
      />,
    )
  })

  // «Подтверждаю»: the result is accepted, the ticket closes (the bot's confirm button does the same).
  routes.post('/:id/confirm', async (c) => {
    const ticketId = idParam(c)
    return act(c, ticketId, 'confirm', () =>
      changeStatus(c.get('deps').db, c.get('actor'), { ticketId, status: 'closed' }),
    )
  })

  // «Не решено»: back to work, with what is still wrong as the requester's message.
  routes.post('/:id/not-solved', async (c) => {
    const ticketId = idParam(c)
    const form = await readForm(c)
    const comment = form.text('comment', 20_000) ?? ''
    return act(c, ticketId, 'confirm', () => reportNotSolved(c.get('deps').db, c.get('actor'), { ticketId, comment }))
  })

  routes.post('/:id/rate', async (c) => {
    const ticketId = idParam(c)
    const form = await readForm(c)
    const score = Number(form.text('score', 2))
    const comment = form.text('comment', 20_000)
    return act(c, ticketId, 'rate', () => {
      if (!Number.isInteger(score) || score < 1 || score > 5) throw new FormProblem(t('Выберите оценку от 1 до 5'))
      return rateTicket(c.get('deps').db, c.get('actor'), { ticketId, score, comment })
    })
  })

  // The comment left out of a rating (given in the bot, or without one here), added once.
  routes.post('/:id/rating-comment', async (c) => {
    const ticketId = idParam(c)
    const form = await readForm(c)
    const comment = form.text('comment', 20_000) ?? ''
    return act(c, ticketId, 'rate', () => commentRating(c.get('deps').db, c.get('actor'), { ticketId, comment }))
  })

  return routes
}

/**
 * A requester's list: a tab (its statuses), a search, a sort and a page — nothing else of the address counts. A
 * bare address is the open tab: what is not finished for them.
 */
function requesterQuery(params: URLSearchParams): ListQuery {
  const parsed = parseListQuery(params)
  const query: ListQuery = { status: parsed.status, priority: [] }
  if (parsed.allStatuses) query.allStatuses = true
  else if (!params.has('status')) query.status = [...requesterTabs.open]
  if (parsed.q !== undefined) query.q = parsed.q
  if (parsed.sort !== undefined) query.sort = parsed.sort
  if (parsed.cursor !== undefined) query.cursor = parsed.cursor
  return query
}

function tabOf(query: ListQuery): RequesterTab | undefined {
  if (query.allStatuses) return 'all'
  const same = (statuses: readonly TicketStatus[]) =>
    statuses.length === query.status.length && statuses.every((s) => query.status.includes(s))
  if (same(requesterTabs.open)) return 'open'
  if (same(requesterTabs.closed)) return 'closed'
  return undefined
}
