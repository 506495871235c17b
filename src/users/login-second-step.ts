import { createHmac } from 'node:crypto'
import { auditDenied } from '#src/audit/denied.ts'
import type { Db } from '#src/db/schema.ts'
import { nowDate } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { type Actor, systemActor } from './actor.ts'
import { LOGIN_REFUSED, type LoginResult, TOTP_REFUSED } from './login.ts'
import { LoginThrottle } from './login-throttle.ts'
import { openSignedInSession } from './sign-in.ts'
import { checkSecondFactor } from './totp.ts'
import { findUser } from './user-store.ts'

/**
 * The web's second step: after a right password the browser holds a short-lived ticket naming the
 * account (signed, bound to the browser's pre-login cookie), and the code alone then completes the
 * login. The password is never kept in the page.
 */

const TICKET_TTL_MS = 5 * 60_000
const defaultThrottle = new LoginThrottle()

function signature(secretKey: string, binding: string, payload: string): string {
  return createHmac('sha256', secretKey).update(`totp-pending:${binding}:${payload}`).digest('base64url')
}

/** `<user id>.<expiry ms>.<signature>`: which account passed its password, until when, for this browser. */
export function secondStepTicket(secretKey: string, binding: string, userId: number): string {
  const payload = `${userId}.${nowDate().getTime() + TICKET_TTL_MS}`
  return `${payload}.${signature(secretKey, binding, payload)}`
}

/** The account a ticket names, or undefined when it is forged, for another browser or expired. */
export function readSecondStepTicket(secretKey: string, binding: string, ticket: string): number | undefined {
  const match = /^(\d{1,12})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(ticket)
  if (!match) return undefined
  const [, id, expiry, given] = match
  const expected = signature(secretKey, binding, `${id}.${expiry}`)
  if (given !== expected || Number(expiry) < nowDate().getTime()) return undefined
  return Number(id)
}

export interface SecondStepInput {
  userId: number
  code: string
  secretKey: string
  ip: string | null
  userAgent: string | null
}

/** Completes a login with the code; counted by the same throttle keys as the password step. */
export async function loginWithSecondStep(
  db: Db,
  input: SecondStepInput,
  throttle: LoginThrottle = defaultThrottle,
): Promise<LoginResult> {
  const started = performance.now()
  const anonymous: Actor = { ...systemActor('web'), ip: input.ip }
  const user = await findUser(db, input.userId)
  if (user?.status !== 'active' || user.totp_enabled !== 1 || !user.login) {
    throw new DomainError('unauthorized', LOGIN_REFUSED)
  }
  const keys = throttle.loginKeys(input.ip, user.login)
  if ((await throttle.isBlocked(db, keys)) || !(await throttle.reserve(db, keys))) {
    await throttle.pace(started)
    throw new DomainError('unauthorized', LOGIN_REFUSED)
  }
  if (!(await checkSecondFactor(db, user, input.secretKey, input.code))) {
    await auditDenied(db, anonymous, {
      action: 'auth.login_failed',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      description: `Неудачный вход пользователя № ${user.id}`,
      details: { reason: 'wrong_totp' },
    })
    throttle.observe(started)
    throw new DomainError('unauthorized', TOTP_REFUSED)
  }
  return transact(db, async (tx) => {
    await throttle.release(tx, keys)
    return openSignedInSession(tx, user.id, {
      channel: 'web',
      ip: input.ip,
      userAgent: input.userAgent,
      description: `Вход пользователя № ${user.id} по паролю и коду двухфакторной защиты`,
    })
  })
}
