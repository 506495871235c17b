import { createHash, timingSafeEqual } from 'node:crypto'
import type { Context } from 'hono'
import { trustedProxies } from '#src/api/client-address.ts'
import { clientIp } from '#src/api/request.ts'
import type { Config } from '#src/config.ts'

/** METRICS_ALLOW when unset: the machine itself (a Prometheus or an agent on the same host). */
const DEFAULT_ALLOW: readonly string[] = ['loopback']

/**
 * Who may read /metrics: a client whose address (as TRUST_PROXY makes it, so a header cannot claim
 * loopback) is in METRICS_ALLOW, or one that shows METRICS_TOKEN as a bearer token. Anyone else is told
 * there is nothing there. The figures are not personal, but they tell how busy the helpdesk is and what
 * fails, which is nobody else's business.
 */
export function metricsAccess(config: Pick<Config, 'metricsAllow' | 'metricsToken'>): (c: Context) => boolean {
  const allowed = trustedProxies(config.metricsAllow ?? DEFAULT_ALLOW)
  const token = config.metricsToken === undefined ? undefined : digest(config.metricsToken)
  return (c) => {
    const address = clientIp(c)
    if (address !== null && allowed(address)) return true
    if (token === undefined) return false
    const match = /^Bearer (\S+)$/i.exec(c.req.header('authorization') ?? '')
    // Both sides hashed to one length first: timingSafeEqual needs equal lengths, and the length of the
    // token must not leak either.
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), token)
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
