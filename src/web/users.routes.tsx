import { Hono } from 'hono'
import { createMiddleware } from 'hono/factory'
import { idParam } from '#src/api/validate.ts'
import { roles, userStatuses } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { listDepartments } from '#src/departments/department-store.ts'
import { revokeApiToken } from '#src/users/api-tokens.ts'
import { authorize } from '#src/users/authorize.ts'
import { blockUser, unblockUser } from '#src/users/block-user.ts'
import { maskBlocked } from '#src/users/blocking.ts'
import { changeRole } from '#src/users/change-role.ts'
import { deactivateUser } from '#src/users/deactivate-user.ts'
import { listApiTokens } from '#src/users/list-api-tokens.ts'
import { reactivateUser } from '#src/users/reactivate-user.ts'
import { type IssuedPasswordLink, resetPassword } from '#src/users/reset-password.ts'
import { resetTotp } from '#src/users/reset-totp.ts'
import { revokeSessions } from '#src/users/revoke-sessions.ts'
import { searchUsers } from '#src/users/search-users.ts'
import { activeSessions } from '#src/users/session-list.ts'
import { unlockLogin } from '#src/users/unlock-login.ts'
import { updateUser } from '#src/users/update-user.ts'
import { viewUser } from '#src/users/view-user.ts'
import { attempt, FormProblem, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { requireSession } from './session.ts'
import { PasswordLinkIssuedPage } from './views/user-new.tsx'
import { USERS_PER_PAGE, type UserForm, UserPage, type UserQuery, UserResults, UsersPage } from './views/users.tsx'

/**
 * Users and their access are the admin's (PRODUCT.md §1): anyone else is told the page does not exist
 * (the refusal becomes a 404 in the web's error handler), and the attempt is journaled.
 */
const adminOnly = createMiddleware<WebEnv>(async (c, next) => {
  await authorize(
    c.get('deps').db,
    c.get('actor'),
    'user.manage',
    { action: 'user.list', objectType: 'user', pdn: true, description: 'Отказано в доступе к разделу «Пользователи»' },
    'Раздел доступен только администратору',
  )
  await next()
})

/** /users: search, the person's page, role, data, deactivation and sessions (admin). */
export function userRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession, adminOnly)

  routes.get('/', async (c) => {
    const { db, config } = c.get('deps')
    const query = parseUserQuery(new URL(c.req.url).searchParams)
    const result = await searchUsers(db, c.get('actor'), {
      q: query.q,
      role: query.role,
      status: query.status,
      page: query.page,
      perPage: USERS_PER_PAGE,
    })
    const departments = new Map((await listDepartments(db)).map((d) => [d.id, d.name]))
    const props = {
      user: c.get('user'),
      csrf: c.get('csrf'),
      query,
      items: result.items.map(maskBlocked),
      total: result.total,
      departments,
      now: now(),
      tz: config.tzDisplay,
    }
    const partial = c.req.header('hx-request') === 'true' && c.req.header('hx-target') === 'user-results'
    c.header('vary', 'HX-Request, HX-Target')
    return c.html(partial ? <UserResults {...props} /> : <UsersPage {...props} />)
  })

  routes.get('/:id', async (c) => renderUser(c, idParam(c), { done: c.req.query('done') }))

  routes.post('/:id/details', async (c) => {
    const userId = idParam(c)
    const form = await readForm(c)
    const department = form.text('department')
    return act(c, userId, 'details', 'details', () =>
      updateUser(c.get('deps').db, c.get('actor'), {
        userId,
        fullName: form.text('full_name', 300),
        departmentId: department === '' ? null : form.id('department'),
        position: form.text('position', 300),
        room: form.text('room', 300),
        phone: form.text('phone', 50),
      }),
    )
  })

  routes.post('/:id/role', async (c) => {
    const userId = idParam(c)
    const form = await readForm(c)
    const role = roles.find((r) => r === form.text('role'))
    return act(c, userId, 'role', 'role', () => {
      if (role === undefined) throw new FormProblem('Выберите роль')
      return changeRole(c.get('deps').db, c.get('actor'), { userId, role })
    })
  })

  routes.post('/:id/deactivate', async (c) => {
    const userId = idParam(c)
    return act(c, userId, 'status', 'deactivated', () => deactivateUser(c.get('deps').db, c.get('actor'), { userId }))
  })

  routes.post('/:id/reactivate', async (c) => {
    const userId = idParam(c)
    return act(c, userId, 'status', 'reactivated', () => reactivateUser(c.get('deps').db, c.get('actor'), { userId }))
  })

  // Blocking at a person's request (ст. 21) without a registered request: the reason says why.
  routes.post('/:id/block', async (c) => {
    const userId = idParam(c)
    const form = await readForm(c)
    const reason = form.text('reason', 1_000) ?? ''
    return act(c, userId, 'block', 'blocked', () => blockUser(c.get('deps').db, c.get('actor'), { userId, reason }))
  })

  routes.post('/:id/unblock', async (c) => {
    const userId = idParam(c)
    return act(c, userId, 'block', 'unblocked', () => unblockUser(c.get('deps').db, c.get('actor'), { userId }))
  })

  routes.post('/:id/unlock', async (c) => {
    const userId = idParam(c)
    return act(c, userId, 'status', 'unlocked', () => unlockLogin(c.get('deps').db, c.get('actor'), { userId }))
  })

  // A lost phone and lost recovery codes: the admin clears the factor (sessions end, the person is told).
  routes.post('/:id/totp-reset', async (c) => {
    const userId = idParam(c)
    return act(c, userId, 'status', 'totp_reset', () => resetTotp(c.get('deps').db, c.get('actor'), userId))
  })

  routes.post('/:id/tokens/revoke', async (c) => {
    const userId = idParam(c)
    const form = await readForm(c)
    const tokenId = form.id('token')
    return act(c, userId, 'tokens', 'token_revoked', async () => {
      const { db } = c.get('deps')
      const found =
        tokenId === undefined
          ? undefined
          : await db.selectFrom('api_tokens').select('user_id').where('id', '=', tokenId).executeTakeFirst()
      if (tokenId === undefined || found?.user_id !== userId) throw new FormProblem('Токен не найден')
      await revokeApiToken(db, c.get('actor'), { tokenId })
    })
  })

  // The link is shown on the answer itself (once), so no redirect after this post.
  routes.post('/:id/password-reset', async (c) => {
    const userId = idParam(c)
    const { db, config } = c.get('deps')
    let issued: IssuedPasswordLink | undefined
    const refused = await attempt(
      async () => {
        issued = await resetPassword(db, c.get('actor'), { userId, baseUrl: config.baseUrl })
      },
      (message) => renderUser(c, userId, { errors: { status: message } }, 422),
    )
    if (refused || !issued) return refused ?? renderUser(c, userId, {}, 422)
    c.header('cache-control', 'no-store')
    return c.html(
      <PasswordLinkIssuedPage
        user={c.get('user')}
        csrf={c.get('csrf')}
        person={issued.user}
        url={issued.url}
        sentToTelegram={issued.sentToTelegram}
        created={false}
      />,
    )
  })

  routes.post('/:id/sessions/revoke', async (c) => {
    const userId = idParam(c)
    const form = await readForm(c)
    const sessionId = form.text('session', 100)
    return act(c, userId, 'sessions', 'session', () => {
      if (!sessionId) throw new FormProblem('Сеанс не выбран')
      return revokeSessions(c.get('deps').db, c.get('actor'), { userId, sessionId })
    })
  })

  routes.post('/:id/sessions/revoke-all', async (c) => {
    const userId = idParam(c)
    return act(c, userId, 'sessions', 'sessions', () => revokeSessions(c.get('deps').db, c.get('actor'), { userId }))
  })

  return routes
}

function parseUserQuery(params: URLSearchParams): UserQuery {
  const one = (key: string) => params.get(key)?.replaceAll('\u0000', '').trim() || undefined
  const page = one('page')
  const query: UserQuery = { page: page && /^[1-9][0-9]{0,5}$/.test(page) ? Number(page) : 1 }
  const q = one('q')?.slice(0, 100)
  if (q) query.q = q
  const role = roles.find((r) => r === one('role'))
  if (role) query.role = role
  const status = userStatuses.find((s) => s === one('status'))
  if (status) query.status = status
  return query
}

/** Runs an action on a person: back to their page (PRG) with what was done, or the page with the refusal (422). */
async function act(c: WebContext, userId: number, form: UserForm, done: string, run: () => Promise<unknown>) {
  const refused = await attempt(run, (message) => renderUser(c, userId, { errors: { [form]: message } }, 422))
  return refused ?? c.redirect(`/users/${userId}?done=${done}`, 303)
}

async function renderUser(
  c: WebContext,
  userId: number,
  extras: { errors?: Partial<Record<UserForm, string>>; done?: string | undefined },
  status: 200 | 422 = 200,
) {
  const { db, config } = c.get('deps')
  // The person's data on screen is a read of their ПДн: viewUser journals it.
  const person = await viewUser(db, c.get('actor'), { userId })
  return c.html(
    <UserPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      person={maskBlocked(person)}
      departments={await listDepartments(db)}
      sessions={await activeSessions(db, person.id)}
      tokens={await listApiTokens(db, c.get('actor'), { userId: person.id })}
      errors={extras.errors}
      done={extras.done}
      now={now()}
      tz={config.tzDisplay}
    />,
    status,
  )
}
