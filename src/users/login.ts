import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import type { Channel, Db, User, UserStatus } from '#src/db/schema.ts'
import { addMinutes, now, nowDate } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { type Actor, actorFromUser, systemActor } from './actor.ts'
import { hashPassword, verifyPassword } from './passwords.ts'
import { createSession, revokeSession } from './sessions.ts'
import { findUserByLogin } from './user-store.ts'

/**
 * Password login (COMPLIANCE.md §5, УПД.6): one generic message for an unknown login and a wrong password,
 * account lockout after repeated failures, a per-IP throttle, and every attempt in the journal.
 */

export const MAX_FAILED_LOGINS = 5
export const LOCKOUT_MINUTES = 15

const BAD_CREDENTIALS = 'Неверный логин или пароль'
const LOCKED = `Слишком много неудачных попыток входа. Повторите через ${LOCKOUT_MINUTES} минут`
const THROTTLED = 'Слишком много попыток входа с этого адреса. Повторите позже'
const refusedStatus: Record<Exclude<UserStatus, 'active'>, string> = {
  pending: 'Учётная запись ещё не подтверждена: дождитесь подтверждения куратором',
  rejected: 'Заявка на регистрацию отклонена: обратитесь в ИТ-отдел',
  deactivated: 'Учётная запись отключена: обратитесь к администратору',
}

/**
 * Failed attempts per IP address within a sliding window, in memory: it slows one address down
 * without touching the database. (Several instances each keep their own count; the per-account
 * lockout, which is in the database, is the shared limit.)
 */
export class LoginThrottle {
  readonly #failures = new Map<string, number[]>()
  readonly #limit: number
  readonly #windowMs: number

  constructor(limit = 20, windowMinutes = 15) {
    this.#limit = limit
    this.#windowMs = windowMinutes * 60_000
  }

  isBlocked(ip: string | null): boolean {
    if (ip === null) return false
    return this.#recent(ip).length >= this.#limit
  }

  recordFailure(ip: string | null): void {
    if (ip === null) return
    const recent = this.#recent(ip)
    recent.push(nowDate().getTime())
    this.#failures.set(ip, recent)
    if (this.#failures.size > 10_000) this.#prune()
  }

  #recent(ip: string): number[] {
    const since = nowDate().getTime() - this.#windowMs
    return (this.#failures.get(ip) ?? []).filter((t) => t > since)
  }

  #prune(): void {
    for (const ip of [...this.#failures.keys()]) {
      if (this.#recent(ip).length === 0) this.#failures.delete(ip)
    }
  }
}

const defaultThrottle = new LoginThrottle()

export interface LoginInput {
  login: string
  password: string
  ip: string | null
  userAgent: string | null
  /** Where the attempt comes from, for the journal; the web form unless said. */
  channel?: Channel
}

export interface LoginResult {
  user: User
  /** The session cookie's value. */
  token: string
  sessionId: string
  expiresAt: string
}

/** Checks a login and password and opens a session. Every outcome is journaled. */
export async function loginWithPassword(
  db: Db,
  input: LoginInput,
  throttle: LoginThrottle = defaultThrottle,
): Promise<LoginResult> {
  const channel = input.channel ?? 'web'
  const anonymous: Actor = { ...systemActor(channel), ip: input.ip }
  const login = input.login.trim()

  if (throttle.isBlocked(input.ip)) {
    await journalFailure(db, anonymous, undefined, 'ip_throttled')
    throw new DomainError('rate_limited', THROTTLED)
  }

  const user = login === '' ? undefined : await findUserByLogin(db, login)
  const at = now()
  if (user?.locked_until && user.locked_until > at) {
    await journalFailure(db, anonymous, user, 'locked')
    throw new DomainError('rate_limited', LOCKED)
  }

  const ok = await checkPassword(user?.password_hash ?? null, input.password)
  if (!user || !ok) {
    throttle.recordFailure(input.ip)
    let locked = false
    if (user) locked = await countFailure(db, user.id)
    await journalFailure(db, anonymous, user, user ? 'wrong_password' : 'unknown_login', locked)
    throw new DomainError('unauthorized', BAD_CREDENTIALS)
  }

  if (user.status !== 'active') {
    await journalFailure(db, anonymous, user, `status_${user.status}`)
    throw new DomainError('forbidden', refusedStatus[user.status])
  }

  return transact(db, async (tx) => {
    const updated = await tx
      .updateTable('users')
      .set({ failed_logins: 0, locked_until: null, last_login_at: at })
      .where('id', '=', user.id)
      .returningAll()
      .executeTakeFirstOrThrow()
    const session = await createSession(tx, user.id, { ip: input.ip, userAgent: input.userAgent })
    await audit(tx, actorFromUser(updated, channel, input.ip), {
      action: 'auth.login',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      description: `Вход пользователя № ${user.id} по паролю`,
    })
    return { user: updated, ...session }
  })
}

/** Ends the actor's session (the cookie's token) and journals the logout. */
export async function logout(db: Db, actor: Actor, token: string): Promise<void> {
  await transact(db, async (tx) => {
    await revokeSession(tx, token)
    await audit(tx, actor, {
      action: 'auth.logout',
      objectType: 'user',
      objectId: actor.id,
      subjectId: actor.id,
      description: `Выход пользователя № ${actor.id ?? '—'}`,
    })
  })
}

/**
 * An unknown login and a user without a password still cost one hash verification, so that timing
 * does not tell which logins exist.
 */
let dummyHash: Promise<string> | undefined
async function checkPassword(hash: string | null, password: string): Promise<boolean> {
  if (hash === null) {
    dummyHash ??= hashPassword('dummy-password-for-timing')
    await verifyPassword(await dummyHash, password)
    return false
  }
  return verifyPassword(hash, password)
}

/** Counts a failure; the fifth locks the account and starts the count again. Returns true when it locked. */
async function countFailure(db: Db, userId: number): Promise<boolean> {
  const row = await db
    .updateTable('users')
    .set((eb) => ({ failed_logins: eb('failed_logins', '+', 1) }))
    .where('id', '=', userId)
    .returning('failed_logins')
    .executeTakeFirst()
  if (!row || Number(row.failed_logins) < MAX_FAILED_LOGINS) return false
  await db
    .updateTable('users')
    .set({ failed_logins: 0, locked_until: addMinutes(now(), LOCKOUT_MINUTES) })
    .where('id', '=', userId)
    .execute()
  return true
}

async function journalFailure(
  db: Db,
  actor: Actor,
  user: User | undefined,
  reason: string,
  locked = false,
): Promise<void> {
  await auditDenied(db, actor, {
    action: 'auth.login_failed',
    objectType: user ? 'user' : null,
    objectId: user?.id ?? null,
    subjectId: user?.id ?? null,
    description: user ? `Неудачный вход пользователя № ${user.id}` : 'Неудачный вход: неизвестный логин',
    details: locked ? { reason, locked: true } : { reason },
  })
}
