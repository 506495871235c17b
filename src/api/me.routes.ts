import { Hono } from 'hono'
import { authenticate } from './authenticate.ts'
import type { ApiEnv } from './env.ts'
import { presentUser } from './present.ts'

/** GET /me: the signed-in user's own account. */
export function meRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)
  // One's own profile is not journaled: the subject reading their own data is not a disclosure.
  routes.get('/', (c) => c.json(presentUser(c.get('user'))))
  return routes
}
