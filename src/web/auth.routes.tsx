import { randomBytes } from 'node:crypto'
import { Hono } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { AppEnv } from '#src/api/env.ts'
import { clientIp, userAgentOf } from '#src/api/request.ts'
import { isDomainError } from '#src/errors.ts'
import { loginWithPassword, logout } from '#src/users/login.ts'
import { loginWithSecondStep, readSecondStepTicket, secondStepTicket } from '#src/users/login-second-step.ts'
import type { LoginThrottle } from '#src/users/login-throttle.ts'
import { revokeSession, SESSION_COOKIE, sessionCookieOptions } from '#src/users/sessions.ts'
import { CSRF_FIELD, csrfToken, foreignOrigin, PRELOGIN_COOKIE, sameToken } from './csrf.ts'
import type { WebEnv } from './env.ts'
import { t } from './i18n.ts'
import { refusedPage } from './pages.tsx'
import { requireSession, safeNext } from './session.ts'
import { LoginPage } from './views/login.tsx'
import { LoginCodePage } from './views/login-code.tsx'

/** The signed ticket of a login whose password was right and whose TOTP code is still to come. */
const TOTP_PENDING_COOKIE = 'helpdesk_2fa'

/** GET/POST /login and POST /logout. */
export function authRoutes(throttle?: LoginThrottle): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()

  routes.get('/login', (c) => {
    const { config } = c.get('deps')
    const pre = preloginValue(c.req.raw.headers.get('cookie') ? getCookie(c, PRELOGIN_COOKIE) : undefined)
    setCookie(c, PRELOGIN_COOKIE, pre, { ...sessionCookieOptions(config.baseUrl), sameSite: 'Strict', maxAge: 3600 })
    return c.html(
      <LoginPage token={csrfToken(config.secretKey, `prelogin:${pre}`)} next={safeNext(c.req.query('next'))} />,
    )
  })

  routes.post('/login', async (c) => {
    const { db, config } = c.get('deps')
    const form = await c.req.parseBody()
    const pre = getCookie(c, PRELOGIN_COOKIE)
    const expected = pre ? csrfToken(config.secretKey, `prelogin:${pre}`) : undefined
    const given = typeof form[CSRF_FIELD] === 'string' ? form[CSRF_FIELD] : undefined
    if (!expected || foreignOrigin(c, config.baseUrl) || !sameToken(expected, given)) {
      return c.html(refusedPage(t('Форма входа устарела — откройте страницу входа заново')), 403)
    }
    const login = typeof form.login === 'string' ? form.login.slice(0, 200) : ''
    const password = typeof form.password === 'string' ? form.password.slice(0, 1000) : ''
    const next = safeNext(c.req.query('next'))
    try {
      const result = await loginWithPassword(
        db,
        { login, password, ip: clientIp(c), userAgent: userAgentOf(c), channel: 'web' },
        throttle,
      )
      const previous = getCookie(c, SESSION_COOKIE)
      if (previous) await revokeSession(db, previous)
      setCookie(c, SESSION_COOKIE, result.token, sessionCookieOptions(config.baseUrl))
      deleteCookie(c, PRELOGIN_COOKIE, { path: '/' })
      return c.redirect(next, 303)
    } catch (error) {
      if (!isDomainError(error)) throw error
      const userId = error.details?.userId
      if (error.code === 'totp_required' && typeof userId === 'number' && pre) {
        // The password was right: the browser gets a short ticket for the code step, never the password.
        setCookie(c, TOTP_PENDING_COOKIE, secondStepTicket(config.secretKey, pre, userId), {
          ...sessionCookieOptions(config.baseUrl),
          sameSite: 'Strict',
          maxAge: 300,
        })
        return c.redirect(`/login/code?next=${encodeURIComponent(next)}`, 303)
      }
      // 503 when the LDAP directory does not answer: nothing was refused, the sign-in could not be checked.
      const status =
        error.code === 'rate_limited'
          ? 429
          : error.code === 'forbidden' || error.code === 'ldap_no_access'
            ? 403
            : error.code === 'unavailable'
              ? 503
              : 401
      return c.html(<LoginPage token={given ?? ''} next={next} login={login} error={error.message} />, status)
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
    return c.html(
      <LoginCodePage
        token={csrfToken(config.secretKey, `prelogin:${pre}`)}
        next={next}
        recovery={c.req.query('recovery') === '1'}
      />,
    )
  })

  routes.post('/login/code', async (c) => {
    const { db, config } = c.get('deps')
    const form = await c.req.parseBody()
    const pre = getCookie(c, PRELOGIN_COOKIE)
    const expected = pre ? csrfToken(config.secretKey, `prelogin:${pre}`) : undefined
    const given = typeof form[CSRF_FIELD] === 'string' ? form[CSRF_FIELD] : undefined
    if (!pre || !expected || foreignOrigin(c, config.baseUrl) || !sameToken(expected, given)) {
      return c.html(refusedPage(t('Форма входа устарела — откройте страницу входа заново')), 403)
    }
    const next = safeNext(c.req.query('next'))
    const ticket = getCookie(c, TOTP_PENDING_COOKIE)
    const userId = ticket ? readSecondStepTicket(config.secretKey, pre, ticket) : undefined
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
      const previous = getCookie(c, SESSION_COOKIE)
      if (previous) await revokeSession(db, previous)
      setCookie(c, SESSION_COOKIE, result.token, sessionCookieOptions(config.baseUrl))
      deleteCookie(c, PRELOGIN_COOKIE, { path: '/' })
      deleteCookie(c, TOTP_PENDING_COOKIE, { path: '/' })
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

function preloginValue(existing: string | undefined): string {
  return existing && /^[A-Za-z0-9_-]{22}$/.test(existing) ? existing : randomBytes(16).toString('base64url')
}
