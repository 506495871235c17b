import { type Context, Hono } from 'hono'
import type { AppEnv } from '#src/api/env.ts'
import { clientIp, userAgentOf } from '#src/api/request.ts'
import { isDomainError } from '#src/errors.ts'
import type { LinkThrottle } from '#src/users/login-links.ts'
import {
  consumePasswordLink,
  PASSWORD_LINK_HOURS,
  PASSWORD_LINK_PATH,
  type PasswordLinkView,
  viewPasswordLink,
} from '#src/users/password-links.ts'
import { t } from './i18n.ts'
import { refusedPage } from './pages.tsx'
import { askForCode, checkPreloginForm, csrfFor, preloginCookie, setSignedIn } from './prelogin.ts'
import { LoginPage } from './views/login.tsx'
import { PasswordSetPage } from './views/password-set.tsx'

/**
 * The one-time «установить пароль» link, `/password/set/<token>` (issue 9). Opening it shows the form and
 * does not spend it (messengers open links to preview them); the post spends it, sets the password and
 * signs in. Before that there is no session, so the form is bound to the pre-login cookie as /login is.
 */
export function passwordSetRoutes(throttle?: LinkThrottle): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()

  routes.get('/:token', async (c) => {
    const { db } = c.get('deps')
    const view = await viewPasswordLink(db, c.req.param('token'))
    if ('problem' in view) return loginPageWith(c, view.problem, 410)
    return formPage(c, view)
  })

  routes.post('/:token', async (c) => {
    const { db } = c.get('deps')
    const token = c.req.param('token')
    const form = await c.req.parseBody()
    const field = (name: string) => (typeof form[name] === 'string' ? form[name] : '')
    const checked = checkPreloginForm(c, form)
    if (!checked) {
      return c.html(refusedPage(t('Форма устарела — откройте ссылку для установки пароля заново')), 403)
    }
    try {
      const result = await consumePasswordLink(
        db,
        {
          token,
          password: field('password'),
          repeat: field('repeat'),
          consent: field('consent') === '1',
          ip: clientIp(c),
          userAgent: userAgentOf(c),
        },
        throttle,
      )
      if (result.codeRequired) return askForCode(c, checked.pre, result.user.id, '/')
      await setSignedIn(c, result)
      return c.redirect('/', 303)
    } catch (error) {
      if (!isDomainError(error)) throw error
      if (error.code === 'validation') {
        const view = await viewPasswordLink(db, token)
        if (!('problem' in view)) return formPage(c, view, error.message, 422)
      }
      const status = error.code === 'rate_limited' ? 429 : error.code === 'forbidden' ? 403 : 410
      return loginPageWith(c, error.message, status)
    }
  })
  return routes
}

function formPage(c: Context<AppEnv>, view: PasswordLinkView, error?: string, status: 200 | 422 = 200) {
  const csrf = csrfFor(c, preloginCookie(c))
  return c.html(
    <PasswordSetPage
      action={`${PASSWORD_LINK_PATH}/${c.req.param('token')}`}
      csrf={csrf}
      login={view.login}
      fullName={view.fullName}
      consent={view.consent}
      hours={PASSWORD_LINK_HOURS}
      error={error}
    />,
    status,
  )
}

/** The password login page with the reason the link did not work. */
function loginPageWith(c: Context<AppEnv>, message: string, status: 403 | 410 | 429) {
  const csrf = csrfFor(c, preloginCookie(c))
  return c.html(<LoginPage token={csrf} next="/tickets" error={message} />, status)
}
