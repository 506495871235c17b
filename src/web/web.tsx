import { Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import type { AppDeps, AppEnv } from '#src/api/env.ts'
import { loggableError } from '#src/api/errors.ts'
import { isDomainError } from '#src/errors.ts'
import type { LoginThrottle } from '#src/users/login.ts'
import { resolveSession, SESSION_COOKIE } from '#src/users/sessions.ts'
import { authRoutes } from './auth.routes.tsx'
import { csrfToken } from './csrf.ts'
import { errorPage, notFoundPage } from './pages.tsx'
import { peopleRoutes } from './people.routes.tsx'
import { staticRoutes } from './static.ts'
import { ticketRoutes } from './tickets.routes.tsx'

export interface WebOptions {
  /** The per-IP login throttle (the process's own unless given). */
  throttle?: LoginThrottle
}

/**
 * The web interface, mounted at `/` by the app: server-rendered pages (hono/jsx), htmx and our small
 * script from /static. Every route parses, calls a use case and presents; a refusal is shown in Russian.
 */
export function createWeb(_deps: AppDeps, options: WebOptions = {}): Hono<AppEnv> {
  const web = new Hono<AppEnv>()
  web.route('/static', staticRoutes())
  web.get('/', (c) => c.redirect('/tickets', 302))
  web.route('/', authRoutes(options.throttle))
  web.route('/tickets', ticketRoutes())
  web.route('/people', peopleRoutes())

  web.onError(async (error, c) => {
    // The person, when there is one, keeps their navigation on the error page.
    const { db, config } = c.get('deps')
    const token = getCookie(c, SESSION_COOKIE)
    const session = token ? await resolveSession(db, token).catch(() => undefined) : undefined
    const csrf = session ? csrfToken(config.secretKey, session.sessionId) : undefined
    if (isDomainError(error) && (error.code === 'not_found' || error.code === 'forbidden')) {
      return c.html(notFoundPage(session?.user, csrf), 404)
    }
    c.get('log').error({ err: loggableError(error), path: c.req.path }, 'unhandled error')
    return c.html(errorPage(session?.user, csrf), 500)
  })
  return web
}
