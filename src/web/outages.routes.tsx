import { Hono } from 'hono'
import { idParam } from '#src/api/validate.ts'
import { listCategories } from '#src/categories/category-store.ts'
import { listDepartments } from '#src/departments/department-store.ts'
import { DomainError } from '#src/errors.ts'
import { parseId } from '#src/format/ids.ts'
import { declareOutage } from '#src/outages/declare-outage.ts'
import { listOutages } from '#src/outages/list-outages.ts'
import { outageLimits } from '#src/outages/outage-rules.ts'
import { findOutageOfTicket } from '#src/outages/outage-store.ts'
import { resolveOutage } from '#src/outages/resolve-outage.ts'
import { viewOutage } from '#src/outages/view-outage.ts'
import { limits } from '#src/tickets/rules.ts'
import { findTicket } from '#src/tickets/ticket-store.ts'
import { can } from '#src/users/permissions.ts'
import { attempt, onlyWith, outcomeOf, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { msg } from './i18n.ts'
import { requireSession } from './session.ts'
import { DeclareOutagePage, type DeclareOutageValues, OutagePage, OutagesPage } from './views/outages.tsx'

const outcomes: Record<string, string> = {
  declared: msg('Массовый сбой объявлен: объявление поставлено в очередь рассылки'),
  resolved: msg('Сбой устранён: присоединённые заявки решены, заявителям сообщено'),
}

/** /outages («Массовые сбои», issue 14): the list, an outage's page and «Сбой устранён» (IT staff). */
export function outageRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.use(onlyWith('outage.view', 'Массовые сбои'))

  routes.get('/', async (c) => {
    const { db, config } = c.get('deps')
    return c.html(
      <OutagesPage
        user={c.get('user')}
        csrf={c.get('csrf')}
        outages={await listOutages(db, c.get('actor'))}
        tz={config.tzDisplay}
      />,
    )
  })

  routes.get('/:id', async (c) => renderOutage(c, idParam(c)))

  routes.post('/:id/resolve', onlyWith('outage.manage', 'Массовые сбои: устранение'), async (c) => {
    const id = idParam(c)
    const form = await readForm(c)
    const resolution = form.text('resolution', (limits.resolution + 1) * 2) ?? ''
    const { db } = c.get('deps')
    const refused = await attempt(
      () => resolveOutage(db, c.get('actor'), { outageId: id, resolution }),
      (message) => renderOutage(c, id, { problem: message, resolution }),
      { forbiddenBeside: true },
    )
    return refused ?? c.redirect(`/outages/${id}?done=resolved`, 303)
  })

  return routes
}

/** /tickets/:id/outage: «Массовый сбой» on a ticket — the form, and the declaration (IT staff). */
export function outageTicketRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  const guard = [requireSession, onlyWith('outage.manage', 'Массовый сбой')] as const

  routes.get('/:id/outage', ...guard, async (c) => {
    const id = idParam(c)
    const existing = await findOutageOfTicket(c.get('deps').db, id)
    if (existing) return c.redirect(`/outages/${existing.id}`, 303)
    return renderDeclare(c, id)
  })

  routes.post('/:id/outage', ...guard, async (c) => {
    const id = idParam(c)
    const form = await readForm(c)
    const body = await c.req.parseBody({ all: true })
    const ids = (name: string): number[] => {
      const raw = body[name]
      const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]
      return list
        .slice(0, outageLimits.links + 1)
        .flatMap((v) => (typeof v === 'string' ? v.split(',') : []))
        .flatMap((v) => {
          const parsed = parseId(v.trim())
          return parsed === undefined ? [] : [parsed]
        })
    }
    const over = (max: number) => (max + 1) * 2
    const values: DeclareOutageValues = {
      title: form.text('title', over(outageLimits.title)) ?? '',
      place: form.text('place', over(outageLimits.place)) ?? '',
      announcement: form.text('announcement', over(outageLimits.announcement)) ?? '',
      departmentIds: ids('department_ids'),
      categoryIds: ids('category_ids'),
    }
    const { db } = c.get('deps')
    let outageId: number | undefined
    const refused = await attempt(
      async () => {
        const outage = await declareOutage(db, c.get('actor'), {
          ticketId: id,
          title: values.title,
          place: values.place,
          announcement: values.announcement,
          departmentIds: values.departmentIds,
          categoryIds: values.categoryIds,
        })
        outageId = outage.id
      },
      (message) => renderDeclare(c, id, values, message),
      { forbiddenBeside: true },
    )
    return refused ?? c.redirect(`/outages/${outageId ?? ''}?done=declared`, 303)
  })

  return routes
}

async function renderOutage(c: WebContext, id: number, state: { problem?: string; resolution?: string } = {}) {
  const { db, config } = c.get('deps')
  const actor = c.get('actor')
  const outage = await viewOutage(db, actor, { id })
  return c.html(
    <OutagePage
      user={c.get('user')}
      csrf={c.get('csrf')}
      outage={outage}
      manage={can(actor, 'outage.manage')}
      tz={config.tzDisplay}
      outcome={outcomeOf(c, outcomes)}
      problem={state.problem}
      {...(state.resolution !== undefined ? { resolution: state.resolution } : {})}
    />,
    state.problem ? 422 : 200,
  )
}

async function renderDeclare(c: WebContext, ticketId: number, given?: DeclareOutageValues, error?: string) {
  const { db } = c.get('deps')
  const ticket = await findTicket(db, ticketId)
  if (!ticket) throw new DomainError('not_found', 'Заявка не найдена')
  const departments = await listDepartments(db, { activeOnly: true })
  const categories = await listCategories(db, { activeOnly: true })
  const values: DeclareOutageValues = given ?? {
    title: ticket.title,
    place: ticket.location ?? '',
    announcement: '',
    departmentIds: ticket.department_id === null ? [] : [ticket.department_id],
    categoryIds: ticket.category_id === null ? [] : [ticket.category_id],
  }
  return c.html(
    <DeclareOutagePage
      user={c.get('user')}
      csrf={c.get('csrf')}
      ticket={ticket}
      departments={departments}
      categories={categories}
      values={values}
      error={error}
    />,
    error ? 422 : 200,
  )
}
