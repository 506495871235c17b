import type { Context } from 'hono'
import type { Config } from '#src/config.ts'
import { clientAddress, trustedProxies } from './client-address.ts'
import type { AppDeps } from './env.ts'

/**
 * The client's address: the socket's peer (`@hono/node-server` puts the Node request in `c.env`), or,
 * when the peer is one of TRUST_PROXY's proxies, the address they forwarded (X-Forwarded-For). In
 * `app.request()` tests there is no socket: null.
 */
export function clientIp(c: Context): string | null {
  const peer = socketAddress(c.env)
  if (peer === null) return null
  // Every route runs under the app's middleware, which sets `deps`.
  const deps: AppDeps | undefined = c.get('deps')
  return clientAddress(peer, c.req.header('x-forwarded-for'), trustOf(deps?.config ?? {}))
}

const compiled = new WeakMap<readonly string[], (address: string) => boolean>()
const trustNobody = () => false

function trustOf(config: Pick<Config, 'trustProxy'>): (address: string) => boolean {
  const entries = config.trustProxy
  if (!entries || entries.length === 0) return trustNobody
  let trust = compiled.get(entries)
  if (!trust) {
    trust = trustedProxies(entries)
    compiled.set(entries, trust)
  }
  return trust
}

function socketAddress(env: unknown): string | null {
  if (typeof env !== 'object' || env === null || !('incoming' in env)) return null
  const incoming: unknown = env.incoming
  if (typeof incoming !== 'object' || incoming === null || !('socket' in incoming)) return null
  const socket: unknown = incoming.socket
  if (typeof socket !== 'object' || socket === null || !('remoteAddress' in socket)) return null
  const address = socket.remoteAddress
  return typeof address === 'string' ? address : null
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
