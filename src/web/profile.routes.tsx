import { Hono } from 'hono'
import { deleteCookie } from 'hono/cookie'
import { clientIp, userAgentOf } from '#src/api/request.ts'
import { now } from '#src/db/time.ts'
import { findDepartment } from '#src/departments/department-store.ts'
import { changePassword } from '#src/users/change-password.ts'
import { latestConsent } from '#src/users/consent.ts'
import { revokeSessions } from '#src/users/revoke-sessions.ts'
import { activeSessions } from '#src/users/session-list.ts'
import { hashToken, SESSION_COOKIE, sessionCookieOptions } from '#src/users/sessions.ts'
import { profileLanguages, profileThemes, updateProfile } from '#src/users/update-profile.ts'
import { withdrawConsent } from '#src/users/withdraw-consent.ts'
import { attempt, FormProblem, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { requireSession } from './session.ts'
import { type ProfileForm, ProfilePage, type ProfileViewProps } from './views/profile.tsx'

/** /profile: one's own contacts, the web's language and theme, the password, sessions and the Telegram link. */
export function profileRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)

  // One's own profile is not journaled as a read: the subject reading their own data is not a disclosure.
  routes.get('/', async (c) => renderProfile(c, { done: c.req.query('done') }))

  routes.post('/contacts', async (c) => {
    const form = await readForm(c)
    const draft = { room: form.text('room', 300), phone: form.text('phone', 50) }
    return act(c, 'contacts', () => updateProfile(c.get('deps').db, c.get('actor'), draft), { draft })
  })

  routes.post('/language', async (c) => {
    const form = await readForm(c)
    const language = profileLanguages.find((l) => l === form.text('language'))
    return act(c, 'language', () => {
      if (language === undefined) throw new FormProblem('Выберите язык')
      return updateProfile(c.get('deps').db, c.get('actor'), { language })
    })
  })

  routes.post('/theme', async (c) => {
    const form = await readForm(c)
    const theme = profileThemes.find((name) => name === form.text('theme'))
    return act(c, 'theme', () => {
      if (theme === undefined) throw new FormProblem('Выберите тему оформления')
      return updateProfile(c.get('deps').db, c.get('actor'), { theme })
    })
  })

  routes.post('/password', async (c) => {
    const form = await readForm(c)
    const current = form.text('current', 1_000) ?? ''
    const next = form.text('next', 1_000) ?? ''
    return act(c, 'password', () => {
      if (next !== form.text('repeat', 1_000)) throw new FormProblem('Новый пароль и его повтор не совпадают')
      return changePassword(c.get('deps').db, c.get('actor'), {
        current,
        next,
        keepSessionId: hashToken(c.get('sessionToken')),
      })
    })
  })

  routes.post('/sessions/revoke', async (c) => {
    const form = await readForm(c)
    const sessionId = form.text('session', 100)
    return act(
      c,
      'sessions',
      () => {
        if (!sessionId) throw new FormProblem('Сеанс не выбран')
        return revokeSessions(c.get('deps').db, c.get('actor'), { userId: c.get('user').id, sessionId })
      },
      { done: 'session' },
    )
  })

  // Withdrawal of consent (COMPLIANCE.md §1) ends the account's access, this session included.
  routes.post('/consent/withdraw', async (c) => {
    const { db, config } = c.get('deps')
    const refused = await attempt(
      () =>
        withdrawConsent(db, c.get('actor'), {
          userId: c.get('user').id,
          evidence: { ip: clientIp(c), userAgent: userAgentOf(c) },
        }),
      (message) => renderProfile(c, { errors: { consent: message } }, 422),
    )
    if (refused) return refused
    deleteCookie(c, SESSION_COOKIE, sessionCookieOptions(config.baseUrl))
    return c.redirect('/login', 303)
  })

  return routes
}

/** Runs an action on one's own profile: back to it (PRG), or the page with the refusal beside the form (422). */
async function act(
  c: WebContext,
  form: ProfileForm,
  run: () => Promise<unknown>,
  options: { draft?: ProfileViewProps['draft']; done?: string } = {},
) {
  const refused = await attempt(run, (message) =>
    renderProfile(c, { errors: { [form]: message }, draft: options.draft }, 422),
  )
  return refused ?? c.redirect(`/profile?done=${options.done ?? form}`, 303)
}

async function renderProfile(
  c: WebContext,
  extras: Pick<ProfileViewProps, 'errors' | 'done' | 'draft'>,
  status: 200 | 422 = 200,
) {
  const { db, config } = c.get('deps')
  const user = c.get('user')
  const department = user.department_id === null ? undefined : await findDepartment(db, user.department_id)
  const consent = await latestConsent(db, user.id)
  return c.html(
    <ProfilePage
      user={user}
      consent={consent}
      csrf={c.get('csrf')}
      department={department?.name ?? null}
      sessions={await activeSessions(db, user.id)}
      currentSession={hashToken(c.get('sessionToken'))}
      errors={extras.errors}
      done={extras.done}
      draft={extras.draft}
      now={now()}
      tz={config.tzDisplay}
      maxEnabled={config.max?.enabled === true}
    />,
    status,
  )
}
