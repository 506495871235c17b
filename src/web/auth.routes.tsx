import { Hono } from 'hono'
import { deleteCookie, getCookie } from 'hono/cookie'
import type { AppEnv } from '#src/api/env.ts'
import { clientIp, userAgentOf } from '#src/api/request.ts'
import { isDomainError } from '#src/errors.ts'
import { loginWithPassword, logout } from '#src/users/login.ts'
import { loginWithSecondStep, readSecondStepTicket } from '#src/users/login-second-step.ts'
import type { LoginThrottle } from '#src/users/login-throttle.ts'
import { SESSION_COOKIE, sessionCookieOptions } from '#src/users/sessions.ts'
import { PRELOGIN_COOKIE } from './csrf.ts'
import type { WebEnv } from './env.ts'
import { t } from './i18n.ts'
import { refusedPage } from './pages.tsx'
import { askForCode, checkPreloginForm, csrfFor, preloginCookie, setSignedIn, TOTP_PENDING_COOKIE } from './prelogin.ts'
import { requireSession, safeNext } from './session.ts'
import { LoginPage } from './views/login.tsx'
import { LoginCodePage } from './views/login-code.tsx'

/** GET/POST /login and POST /logout. */
export function authRoutes(throttle?: LoginThrottle): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()

  routes.get('/login', (c) =>
    c.html(<LoginPage token={csrfFor(c, preloginCookie(c))} next={safeNext(c.req.query('next'))} />),
  )

  routes.post('/login', async (c) => {
    const { db } = c.get('deps')
    const form = await c.req.parseBody()
    const checked = checkPreloginForm(c, form)
    if (!checked) return c.html(refusedPage(t('Форма входа устарела — откройте страницу входа заново')), 403)
    const login = typeof form.login === 'string' ? form.login.slice(0, 200) : ''
    const password = typeof form.password === 'string' ? form.password.slice(0, 1000) : ''
    const next = safeNext(c.req.query('next'))
    try {
      const result = await loginWithPassword(
        db,
        { login, password, ip: clientIp(c), userAgent: userAgentOf(c), channel: 'web' },
        throttle,
      )
      await setSignedIn(c, result)
      return c.redirect(next, 303)
    } catch (error) {
      if (!isDomainError(error)) throw error
      const userId = error.details?.userId
      if (error.code === 'totp_required' && typeof userId === 'number') return askForCode(c, checked.pre, userId, next)
      // 503 when the LDAP directory does not answer: nothing was refused, the sign-in could not be checked.
      const status =
        error.code === 'rate_limited'
          ? 429
          : error.code === 'forbidden' || error.code === 'ldap_no_access'
            ? 403
            : error.code === 'unavailable'
              ? 503
              : 401
      return c.html(<LoginPage token={checked.token} next={next} login={login} error={error.message} />, status)
    }
  })

  routes.get('/login/code', (c) => {
    const { config } = c.get('deps')
    const pre = getCookie(c, PRELOGIN_COOKIE)
    const ticket = getCookie(c, TOTP_PENDING_COOKIE)
    const next = safeNext(c.req.query('next'))
    if (!pre || !ticket || readSecondStepTicket(config.secretKey, pre, ticket) === undefined) {
      return c.redirect(`/login?next=${encodeURIComponent(next)}`, 303)
    }
    return c.html(<LoginCodePage token={csrfFor(c, pre)} next={next} recovery={c.req.query('recovery') === '1'} />)
  })

  routes.post('/login/code', async (c) => {
    const { db, config } = c.get('deps')
    const form = await c.req.parseBody()
    const checked = checkPreloginForm(c, form)
    if (!checked) return c.html(refusedPage(t('Форма входа устарела — откройте страницу входа заново')), 403)
    const expected = checked.token
    const next = safeNext(c.req.query('next'))
    const ticket = getCookie(c, TOTP_PENDING_COOKIE)
    const userId = ticket ? readSecondStepTicket(config.secretKey, checked.pre, ticket) : undefined
    const code = typeof form.code === 'string' ? form.code.slice(0, 32) : ''
    const recovery = !/^\s*\d{6}\s*$/.test(code) && code.trim() !== ''
    if (userId === undefined) {
      return c.html(
        <LoginPage token={expected} next={next} error={t('Время на ввод кода истекло — войдите заново')} />,
        401,
      )
    }
    try {
      const result = await loginWithSecondStep(
        db,
        { userId, code, secretKey: config.secretKey, ip: clientIp(c), userAgent: userAgentOf(c) },
        throttle,
      )
      await setSignedIn(c, result)
      return c.redirect(next, 303)
    } catch (error) {
      if (!isDomainError(error)) throw error
      return c.html(
        <LoginCodePage token={expected} next={next} recovery={recovery} error={error.message} />,
        error.code === 'rate_limited' ? 429 : 401,
      )
    }
  })

  const out = new Hono<WebEnv>()
  out.use(requireSession)
  out.post('/', async (c) => {
    const { db, config } = c.get('deps')
    await logout(db, c.get('actor'), c.get('sessionToken'))
    deleteCookie(c, SESSION_COOKIE, sessionCookieOptions(config.baseUrl))
    return c.redirect('/login', 303)
  })
  routes.route('/logout', out)
  return routes
}
