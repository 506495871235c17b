import { Hono } from 'hono'
import { idParam } from '#src/api/validate.ts'
import { audit } from '#src/audit/journal.ts'
import type { Tx, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { parseId } from '#src/format/ids.ts'
import { confirmUser } from '#src/users/confirm-user.ts'
import { REJECTION_REASON_MAX, rejectUser } from '#src/users/reject-user.ts'
import { findUser, listUsers, USERS_PER_PAGE_MAX } from '#src/users/user-store.ts'
import { attempt, onlyWith, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { msg, t } from './i18n.ts'
import { requireSession } from './session.ts'
import { type PendingPerson, type RegistrationProblem, RegistrationsPage } from './views/registrations.tsx'

/**
 * /registrations (PRODUCT.md §2, §5): the people waiting for confirmation, with their consent, and the
 * curator's decision on each. Plain forms with redirects: it works without JavaScript.
 */
export function registrationRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.use(onlyWith('registration.decide', 'Подтверждение регистраций'))

  routes.get('/', async (c) => {
    const confirmed = parseId(c.req.query('confirmed'))
    const rejected = parseId(c.req.query('rejected'))
    if (confirmed !== undefined) {
      const text = msg('Регистрация подтверждена: {name}. Пользователь получит уведомление')
      return renderList(c, await outcomeOf(c, confirmed, 'active', text))
    }
    if (rejected !== undefined) {
      const text = msg('Регистрация отклонена: {name}. Пользователь получит уведомление с причиной')
      return renderList(c, await outcomeOf(c, rejected, 'rejected', text))
    }
    return renderList(c, {})
  })

  routes.post('/:id/confirm', async (c) => {
    const userId = idParam(c)
    const refused = await attempt(
      () => confirmUser(c.get('deps').db, c.get('actor'), { userId }),
      (message) => renderList(c, { problem: { userId, message } }, 422),
    )
    return refused ?? c.redirect(`/registrations?confirmed=${userId}`, 303)
  })

  routes.post('/:id/reject', async (c) => {
    const userId = idParam(c)
    const form = await readForm(c)
    const reason = form.text('reason', REJECTION_REASON_MAX + 100) ?? ''
    const refused = await attempt(
      () => rejectUser(c.get('deps').db, c.get('actor'), { userId, reason }),
      (message) => renderList(c, { problem: { userId, message, reason } }, 422),
    )
    return refused ?? c.redirect(`/registrations?rejected=${userId}`, 303)
  })

  return routes
}

interface ListExtras {
  outcome?: string | undefined
  /** Whose name the outcome line shows: journaled with the list. */
  decided?: number | undefined
  problem?: RegistrationProblem
}

/**
 * The outcome line after a decision (`text` marked with msg()): names the person just decided on, when
 * the decision is what the link says — a link cannot be used to look up anyone else's name.
 */
async function outcomeOf(c: WebContext, userId: number, status: User['status'], text: string): Promise<ListExtras> {
  const person = await findUser(c.get('deps').db, userId)
  if (person?.status !== status) return {}
  return { outcome: t(text, { name: person.full_name }), decided: person.id }
}

async function renderList(c: WebContext, extras: ListExtras, status: 200 | 422 = 200) {
  const { db, config } = c.get('deps')
  const actor = c.get('actor')
  const { items, total } = await listUsers(db, { status: 'pending', perPage: USERS_PER_PAGE_MAX })
  const people = await withDepartmentsAndConsent(db, items)
  // Names, phones and rooms of people who are not staff yet: a read of ПДн, journaled (COMPLIANCE.md §4).
  await audit(db, actor, {
    action: 'user.list',
    objectType: 'user',
    pdn: true,
    description: `Просмотр регистраций: ${items.length} из ${total}`,
    details: {
      ids: items.map((u) => u.id),
      status: 'pending',
      ...(extras.decided === undefined ? {} : { decided: extras.decided }),
    },
  })
  return c.html(
    <RegistrationsPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      people={people}
      total={total}
      outcome={extras.outcome}
      problem={extras.problem}
      now={now()}
      tz={config.tzDisplay}
    />,
    status,
  )
}

/** Each pending person with their department's name and the consent they gave (newest first). */
async function withDepartmentsAndConsent(
  db: Tx,
  users: Awaited<ReturnType<typeof listUsers>>['items'],
): Promise<PendingPerson[]> {
  if (users.length === 0) return []
  const departments = new Map(
    (await db.selectFrom('departments').select(['id', 'name']).execute()).map((d) => [d.id, d.name]),
  )
  const consents = await db
    .selectFrom('consent_records')
    .innerJoin('consent_texts', 'consent_texts.id', 'consent_records.consent_text_id')
    .select(['consent_records.user_id', 'consent_texts.version', 'consent_records.created_at'])
    .where(
      'consent_records.user_id',
      'in',
      users.map((u) => u.id),
    )
    .where('consent_records.status', '=', 'given')
    .orderBy('consent_records.id', 'desc')
    .execute()
  return users.map((user) => {
    const consent = consents.find((r) => r.user_id === user.id)
    return {
      user,
      department: user.department_id === null ? null : (departments.get(user.department_id) ?? null),
      consent: consent ? { version: consent.version, at: consent.created_at } : null,
    }
  })
}
