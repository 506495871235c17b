import { Hono } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { z } from 'zod'
import { DomainError } from '#src/errors.ts'
import { loginWithPassword, logout } from '#src/users/login.ts'
import type { LoginThrottle } from '#src/users/login-throttle.ts'
import { revokeSession, SESSION_COOKIE, sessionCookieOptions } from '#src/users/sessions.ts'
import { authenticate } from './authenticate.ts'
import type { AppEnv } from './env.ts'
import { presentUser } from './present.ts'
import { CROSS_SITE_REFUSAL, clientIp, isCrossSiteWrite, userAgentOf } from './request.ts'
import { jsonBody, text } from './validate.ts'

export const loginBody = z
  .object({
    login: text(200).min(1),
    password: text(1000).min(1),
    /** Six digits from the app, or a recovery code; asked of accounts with TOTP on. */
    totp_code: text(32).optional(),
  })
  .strict()

/**
 * POST /auth/login (a session cookie) and POST /auth/logout. The per-IP throttle is the process's own
 * unless given, shared with the web's login form.
 */
export function authRoutes(throttle?: LoginThrottle): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()

  routes.post('/login', async (c) => {
    const { db, config } = c.get('deps')
    // Login CSRF: a foreign page must not sign the browser in as someone else.
    if (isCrossSiteWrite(c, config.baseUrl)) throw new DomainError('forbidden', CROSS_SITE_REFUSAL)
    const body = await jsonBody(c, loginBody)
    const { totp_code: totpCode, ...credentials } = body
    const result = await loginWithPassword(
      db,
      {
        ...credentials,
        ...(totpCode === undefined ? {} : { totpCode }),
        secretKey: config.secretKey,
        ip: clientIp(c),
        userAgent: userAgentOf(c),
        channel: 'api',
      },
      throttle,
    )
    // A browser that was signed in as someone else leaves that session behind, ended.
    const previous = getCookie(c, SESSION_COOKIE)
    if (previous) await revokeSession(db, previous)
    setCookie(c, SESSION_COOKIE, result.token, sessionCookieOptions(config.baseUrl))
    return c.json({ user: presentUser(result.user), expires_at: result.expiresAt })
  })

  routes.post('/logout', authenticate, async (c) => {
    const { db, config } = c.get('deps')
    const token = getCookie(c, SESSION_COOKIE)
    // A bearer token is not a session: there is nothing to end (revoke the token instead).
    if (c.get('authMethod') === 'session' && token) {
      await logout(db, c.get('actor'), token)
      deleteCookie(c, SESSION_COOKIE, sessionCookieOptions(config.baseUrl))
    }
    return c.body(null, 204)
  })
  return routes
}
