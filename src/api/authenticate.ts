import { getCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import type { User } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { resolveApiToken } from '#src/users/api-tokens.ts'
import { resolveSession, SESSION_COOKIE } from '#src/users/sessions.ts'
import { ENROLMENT_REQUIRED, enrolmentRequired } from '#src/users/totp.ts'
import type { ApiEnv } from './env.ts'
import { CROSS_SITE_REFUSAL, clientIp, isCrossSiteWrite } from './request.ts'

/** What a session that must enrol in 2FA first may still call: enrolment, /me, logout. */
const ENROLMENT_PATHS = /^\/api\/v1\/(me|me\/totp|me\/totp\/confirm|auth\/logout)\/?$/

/**
 * Who is calling: `Authorization: Bearer <API token>`, or else the session cookie. A present but wrong
 * Authorization header is a 401 even when a cookie would do: explicit credentials win.
 */
export const authenticate = createMiddleware<ApiEnv>(async (c, next) => {
  const { db, config } = c.get('deps')
  const header = c.req.header('authorization')
  let user: User | undefined
  let method: 'session' | 'token' = 'token'
  if (header !== undefined) {
    const bearer = /^Bearer +(\S+)$/i.exec(header.trim())?.[1]
    user = bearer ? await resolveApiToken(db, bearer) : undefined
  } else {
    const token = getCookie(c, SESSION_COOKIE)
    method = 'session'
    user = token ? (await resolveSession(db, token))?.user : undefined
  }
  if (!user) throw new DomainError('unauthorized', 'Требуется вход: сессия или API-токен')
  if (method === 'session' && isCrossSiteWrite(c, config.baseUrl)) {
    throw new DomainError('forbidden', CROSS_SITE_REFUSAL)
  }
  if (method === 'session' && enrolmentRequired(user, config.require2fa) && !ENROLMENT_PATHS.test(c.req.path)) {
    throw new DomainError('totp_enrollment_required', ENROLMENT_REQUIRED)
  }
  c.set('user', user)
  c.set('actor', actorFromUser(user, 'api', clientIp(c)))
  c.set('authMethod', method)
  await next()
})
