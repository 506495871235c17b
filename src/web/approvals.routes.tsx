import { Hono } from 'hono'
import { idParam } from '#src/api/validate.ts'
import { listAwaitingFor } from '#src/approvals/approval-store.ts'
import { approveTicket } from '#src/approvals/approve-ticket.ts'
import { rejectTicket } from '#src/approvals/reject-ticket.ts'
import { setDepartmentHead } from '#src/approvals/set-department-head.ts'
import { audit } from '#src/audit/journal.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { parseId } from '#src/format/ids.ts'
import { limits } from '#src/tickets/rules.ts'
import { shownName } from '#src/users/blocking.ts'
import { attempt, onlyWith, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { msg, t } from './i18n.ts'
import { requireSession } from './session.ts'
import { type ApprovalProblem, ApprovalsPage, DepartmentHeadPage } from './views/approvals.tsx'

/**
 * /approvals («На согласовании», issue 14): the tickets awaiting the signed-in person's decision — for everyone
 * signed in, empty for those who decide nothing (the navigation shows the entry only to those with some). Plain
 * forms with redirects: it works without JavaScript.
 */
export function approvalRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.get('/', async (c) => {
    const approved = parseId(c.req.query('approved'))
    const rejected = parseId(c.req.query('rejected'))
    const outcome =
      approved !== undefined
        ? t(msg('Заявка № {id} согласована и передана в ИТ-отдел'), { id: approved })
        : rejected !== undefined
          ? t(msg('Заявка № {id} не согласована: заявитель получит уведомление с причиной'), { id: rejected })
          : undefined
    return renderList(c, { outcome })
  })
  return routes
}

/**
 * POST /tickets/:id/approve and /tickets/:id/reject: the decision, from /approvals or from the ticket's page
 * (`back=ticket`). Someone who does not decide on the ticket gets the 404 page, as for what does not exist; a
 * ticket no longer awaiting, or a rejection without a reason, is said beside the list.
 */
export function approvalTicketRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.post('/:id/approve', requireSession, async (c) => {
    const ticketId = idParam(c)
    const form = await readForm(c)
    const refused = await attempt(
      () => approveTicket(c.get('deps').db, c.get('actor'), { ticketId }),
      (message) => renderList(c, { problem: { ticketId, message } }, 422),
    )
    return (
      refused ??
      c.redirect(form.text('back') === 'ticket' ? `/tickets/${ticketId}` : `/approvals?approved=${ticketId}`, 303)
    )
  })

  routes.post('/:id/reject', requireSession, async (c) => {
    const ticketId = idParam(c)
    const form = await readForm(c)
    const reason = form.text('reason', limits.reason + 100) ?? ''
    const refused = await attempt(
      () => rejectTicket(c.get('deps').db, c.get('actor'), { ticketId, reason }),
      (message) => renderList(c, { problem: { ticketId, message, reason } }, 422),
    )
    return (
      refused ??
      c.redirect(form.text('back') === 'ticket' ? `/tickets/${ticketId}` : `/approvals?rejected=${ticketId}`, 303)
    )
  })
  return routes
}

/**
 * /departments/:id/head (curator, admin): the department's head, who approves its access requests. Chosen among
 * the department's active people (the head is usually one of its doctors).
 */
export function departmentHeadRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  const guard = [requireSession, onlyWith('department.manage', 'Отделения')] as const
  routes.get('/:id/head', ...guard, async (c) => renderHead(c, idParam(c)))
  routes.post('/:id/head', ...guard, async (c) => {
    const departmentId = idParam(c)
    const form = await readForm(c)
    const chosen = form.text('head')
    const headUserId = chosen === undefined || chosen === '' ? null : (parseId(chosen) ?? 0)
    const refused = await attempt(
      () => setDepartmentHead(c.get('deps').db, c.get('actor'), { departmentId, headUserId }),
      (message) => renderHead(c, departmentId, message),
    )
    return refused ?? c.redirect(`/departments?done=saved#department-${departmentId}`, 303)
  })
  return routes
}

async function renderHead(c: WebContext, departmentId: number, error?: string) {
  const { db } = c.get('deps')
  const department = await db
    .selectFrom('departments')
    .select(['id', 'name', 'head_user_id'])
    .where('id', '=', departmentId)
    .executeTakeFirst()
  if (!department) throw new DomainError('not_found', 'Отделение не найдено')
  const candidates = await db
    .selectFrom('users')
    .select(['id', shownName('users').as('full_name'), 'position'])
    .where('status', '=', 'active')
    .where((eb) =>
      eb.or([
        eb('department_id', '=', department.id),
        ...(department.head_user_id === null ? [] : [eb('id', '=', department.head_user_id)]),
      ]),
    )
    .orderBy('full_name')
    .orderBy('id')
    .execute()
  return c.html(
    <DepartmentHeadPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      department={department}
      candidates={candidates}
      error={error}
    />,
    error ? 422 : 200,
  )
}

async function renderList(
  c: WebContext,
  extras: { outcome?: string | undefined; problem?: ApprovalProblem },
  status: 200 | 422 = 200,
) {
  const { db, config } = c.get('deps')
  const actor = c.get('actor')
  const items = await listAwaitingFor(db, actor)
  // The requesters' names shown: a read of personal data (COMPLIANCE.md §4), journaled as a ticket list's.
  if (items.length > 0) {
    await audit(db, actor, {
      action: 'ticket.list',
      objectType: 'ticket',
      pdn: true,
      description: `Просмотр заявок на согласовании: ${items.length}`,
      details: { ids: items.map((item) => item.id), page: 'approvals' },
    })
  }
  return c.html(
    <ApprovalsPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      items={items}
      outcome={extras.outcome}
      problem={extras.problem}
      now={now()}
      tz={config.tzDisplay}
    />,
    status,
  )
}
