import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'

/**
 * CSRF for the web (COMPLIANCE.md §5): a token per session, the HMAC of the session id with the secret
 * key, sent in the `_csrf` field of every form and in the `X-CSRF-Token` header of htmx requests.
 * Before login there is no session: the login form is bound to a random cookie the same way.
 */

export const CSRF_FIELD = '_csrf'
export const CSRF_HEADER = 'x-csrf-token'
export const PRELOGIN_COOKIE = 'helpdesk_prelogin'

export function csrfToken(secretKey: string, sessionId: string): string {
  return createHmac('sha256', secretKey).update(`csrf:${sessionId}`).digest('base64url')
}

export function sameToken(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The token the request carries: the htmx header, or the form field. */
export async function givenToken(c: Context): Promise<string | undefined> {
  const header = c.req.header(CSRF_HEADER)
  if (header) return header
  const type = c.req.header('content-type') ?? ''
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) return undefined
  const body = await c.req.parseBody()
  const value = body[CSRF_FIELD]
  return typeof value === 'string' ? value : undefined
}

/**
 * When the browser names the page's origin, it must be ours. Under `Referrer-Policy: no-referrer` a browser
 * sends `Origin: null` with form posts: that names nothing, and the token alone decides.
 */
export function foreignOrigin(c: Context, baseUrl: string): boolean {
  const origin = c.req.header('origin')
  if (origin === undefined || origin === 'null') return false
  return origin !== new URL(baseUrl).origin && origin !== new URL(c.req.url).origin
}

export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS'
}
