import { randomBytes } from 'node:crypto'
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { AppEnv } from '#src/api/env.ts'
import type { LoginResult } from '#src/users/login.ts'
import { secondStepTicket } from '#src/users/login-second-step.ts'
import { revokeSession, SESSION_COOKIE, sessionCookieOptions } from '#src/users/sessions.ts'
import { CSRF_FIELD, csrfToken, foreignOrigin, PRELOGIN_COOKIE, sameToken } from './csrf.ts'

/**
 * Forms shown before a sign-in — the login, its code step, the Telegram link, the «установить пароль»
 * link — have no session to bind their CSRF token to, so they are bound to a random pre-login cookie
 * (SameSite=Strict, an hour). Signing in ends it and sets the session cookie.
 */

/** The signed ticket of a login whose first factor was right and whose TOTP code is still to come. */
export const TOTP_PENDING_COOKIE = 'helpdesk_2fa'

/** The pre-login cookie (kept when the browser has a well-formed one, else a new one), set again for an hour. */
export function preloginCookie(c: Context<AppEnv>): string {
  const existing = getCookie(c, PRELOGIN_COOKIE)
  const pre = existing && /^[A-Za-z0-9_-]{22}$/.test(existing) ? existing : randomBytes(16).toString('base64url')
  setCookie(c, PRELOGIN_COOKIE, pre, { ...strict(c), maxAge: 3600 })
  return pre
}

/** The CSRF token of the forms bound to this pre-login cookie. */
export function csrfFor(c: Context<AppEnv>, prelogin: string): string {
  return csrfToken(c.get('deps').config.secretKey, `prelogin:${prelogin}`)
}

/**
 * A posted pre-login form's check: the same origin, and the token of the browser's pre-login cookie.
 * Gives the cookie and the token (to show the form again with), or undefined when the form is refused.
 */
export function checkPreloginForm(
  c: Context<AppEnv>,
  form: Record<string, unknown>,
): { pre: string; token: string } | undefined {
  const pre = getCookie(c, PRELOGIN_COOKIE)
  if (!pre || foreignOrigin(c, c.get('deps').config.baseUrl)) return undefined
  const token = csrfFor(c, pre)
  const given = typeof form[CSRF_FIELD] === 'string' ? form[CSRF_FIELD] : undefined
  return sameToken(token, given) ? { pre, token } : undefined
}

/** Signed in: the browser's earlier session (if any) is ended, the new one set, the pre-login state dropped. */
export async function setSignedIn(c: Context<AppEnv>, result: LoginResult): Promise<void> {
  const { db, config } = c.get('deps')
  const previous = getCookie(c, SESSION_COOKIE)
  if (previous) await revokeSession(db, previous)
  setCookie(c, SESSION_COOKIE, result.token, sessionCookieOptions(config.baseUrl))
  deleteCookie(c, PRELOGIN_COOKIE, { path: '/' })
  deleteCookie(c, TOTP_PENDING_COOKIE, { path: '/' })
}

/** The first factor was right: a short signed ticket for the code step (never the password), and the step. */
export function askForCode(c: Context<AppEnv>, pre: string, userId: number, next: string): Response {
  setCookie(c, TOTP_PENDING_COOKIE, secondStepTicket(c.get('deps').config.secretKey, pre, userId), {
    ...strict(c),
    maxAge: 300,
  })
  return c.redirect(`/login/code?next=${encodeURIComponent(next)}`, 303)
}

function strict(c: Context<AppEnv>) {
  return { ...sessionCookieOptions(c.get('deps').config.baseUrl), sameSite: 'Strict' as const }
}
