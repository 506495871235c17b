import type { Context } from 'hono'

/**
 * The client's address as the socket reports it (`@hono/node-server` puts the Node request in `c.env`).
 * In `app.request()` tests there is no socket: null. Behind a reverse proxy this is the proxy's address.
 */
export function clientIp(c: Context): string | null {
  const env: unknown = c.env
  if (typeof env !== 'object' || env === null || !('incoming' in env)) return null
  const incoming: unknown = env.incoming
  if (typeof incoming !== 'object' || incoming === null || !('socket' in incoming)) return null
  const socket: unknown = incoming.socket
  if (typeof socket !== 'object' || socket === null || !('remoteAddress' in socket)) return null
  const address = socket.remoteAddress
  if (typeof address !== 'string') return null
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address
}

export function userAgentOf(c: Context): string | null {
  return c.req.header('user-agent') ?? null
}

export const CROSS_SITE_REFUSAL = 'Запрос отклонён: он пришёл с чужого сайта'

const formLike = /^(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)/i

/**
 * CSRF rule for requests a browser authenticates by cookie: a state change must not come as an HTML form,
 * and when the browser names its origin it must be ours. (SameSite=Lax already keeps the cookie off
 * cross-site POSTs in current browsers; this covers the rest.)
 */
export function isCrossSiteWrite(c: Context, baseUrl: string): boolean {
  if (/^(GET|HEAD|OPTIONS)$/.test(c.req.method)) return false
  if (formLike.test(c.req.header('content-type') ?? '')) return true
  const origin = c.req.header('origin')
  if (origin === undefined) return false
  return origin !== new URL(baseUrl).origin && origin !== new URL(c.req.url).origin
}
