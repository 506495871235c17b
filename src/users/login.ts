import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import type { Channel, Db, User } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { type Actor, systemActor } from './actor.ts'
import { type Directory, DirectoryUnavailableError } from './ldap-directory.ts'
import { directoryLogin, LDAP_UNAVAILABLE, ldapFirstFactor } from './ldap-login.ts'
import { LoginThrottle } from './login-throttle.ts'
import { hashPassword, verifyPassword } from './passwords.ts'
import { revokeSession } from './sessions.ts'
import { type LoginResult, openSignedInSession } from './sign-in.ts'
import { checkSecondFactor } from './totp.ts'
import { findUserByLogin } from './user-store.ts'

/**
 * Password login (COMPLIANCE.md §5, УПД.6): one answer for every refusal, a throttle per (address, login)
 * and per address instead of an account lock (login-throttle.ts), and every checked attempt in the journal.
 */

/**
 * The one refusal: the same status (401), text and time for an unknown login, a wrong password, a throttled
 * attempt and an account that is pending, rejected or deactivated, whether its password was right or not.
 * A different answer for a right password would tell whoever guesses that the guess was right (and the
 * account's state); the person whose account is not active learns it from IT, who see the reason in the
 * journal. The text says both what to check and that attempts are slowed down.
 */
export const LOGIN_REFUSED =
  'Не удалось войти: неверный логин или пароль, либо учётная запись не активна. После нескольких неудачных попыток вход на время задерживается — подождите несколько минут или обратитесь в ИТ-отдел'

const defaultThrottle = new LoginThrottle()

/** The LDAP directory of LDAP_URL (set at start); without it every password is checked here. */
let defaultDirectory: Directory | undefined
export function useDirectory(directory: Directory | undefined): void {
  defaultDirectory = directory
}

export interface LoginInput {
  login: string
  password: string
  ip: string | null
  userAgent: string | null
  /** Where the attempt comes from, for the journal; the web form unless said. */
  channel?: Channel
  /** The second factor, asked of accounts with TOTP on: six digits from the app or a recovery code. */
  totpCode?: string
  /** SECRET_KEY, which seals TOTP secrets; without it an account with TOTP on is refused (fail closed). */
  secretKey?: string
}

export type { LoginResult }

/** Checks a login and password and opens a session. Every checked attempt is journaled; refusals per window. */
export async function loginWithPassword(
  db: Db,
  input: LoginInput,
  throttle: LoginThrottle = defaultThrottle,
  directory: Directory | undefined = defaultDirectory,
): Promise<LoginResult> {
  const started = performance.now()
  const channel = input.channel ?? 'web'
  const anonymous: Actor = { ...systemActor(channel), ip: input.ip }
  const login = input.login.trim()
  const keys = throttle.loginKeys(input.ip, directory ? directoryLogin(login) : login)

  // The read refuses a waiting key without writing; the reservation counts the attempt atomically.
  if ((await throttle.isBlocked(db, keys)) || !(await throttle.reserve(db, keys))) {
    await throttle.refusals.record(db, {
      action: 'auth.login_failed',
      actor: anonymous,
      windowKey: `login:${input.ip ?? 'unknown'}`,
      description: 'Вход с адреса отклонён без проверки пароля: слишком много неудачных попыток',
    })
    await throttle.pace(started)
    throw new DomainError('unauthorized', LOGIN_REFUSED)
  }

  const local = login === '' ? undefined : await findUserByLogin(db, login)
  // With LDAP, an account with a local password (the break-glass admin) is still checked here, so that it
  // signs in while the directory is down; every other login is the directory's to check.
  const { user, ok, ldapReason } =
    directory && (local?.auth_source === 'ldap' || !local?.password_hash)
      ? await checkWithDirectory(db, directory, anonymous, local, login, input.password, started, throttle)
      : { user: local, ok: await checkPassword(local?.password_hash ?? null, input.password), ldapReason: undefined }
  if (!user || !ok || user.status !== 'active') {
    // A right password of an account that is not active stays counted: giving it back would let the
    // throttle tell a right guess from a wrong one.
    const reason = ldapReason ?? (!user ? 'unknown_login' : !ok ? 'wrong_password' : `status_${user.status}`)
    await journalFailure(db, anonymous, user, reason)
    throttle.observe(started)
    throw new DomainError('unauthorized', LOGIN_REFUSED)
  }

  // Second factor, only after a right password: a right code never rescues a wrong password.
  if (user.totp_enabled === 1) await requireSecondFactor(db, input, user, anonymous, keys, throttle, started)

  return transact(db, async (tx) => {
    await throttle.release(tx, keys)
    return openSignedInSession(tx, user.id, {
      channel,
      ip: input.ip,
      userAgent: input.userAgent,
      description: `Вход пользователя № ${user.id} по паролю`,
    })
  })
}

/**
 * The directory's check, beside a dummy hash verification so that it takes no less time than a local one.
 * A directory that does not answer fails the login closed with its own message (nothing about the login
 * or the password is known then); the attempt stays counted by the throttle.
 */
async function checkWithDirectory(
  db: Db,
  directory: Directory,
  actor: Actor,
  local: User | undefined,
  login: string,
  password: string,
  started: number,
  throttle: LoginThrottle,
): Promise<{ user: User | undefined; ok: boolean; ldapReason: string | undefined }> {
  try {
    const [outcome] = await Promise.all([
      ldapFirstFactor(db, directory, actor, login, password),
      checkPassword(null, password),
    ])
    return outcome.ok
      ? { user: outcome.user, ok: true, ldapReason: undefined }
      : { user: outcome.user, ok: false, ldapReason: outcome.reason }
  } catch (error) {
    if (!(error instanceof DirectoryUnavailableError)) throw error
    await journalFailure(db, actor, local, 'ldap_unavailable')
    throttle.observe(started)
    throw new DomainError('unavailable', LDAP_UNAVAILABLE)
  }
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

async function journalFailure(db: Db, actor: Actor, user: User | undefined, reason: string): Promise<void> {
  await auditDenied(db, actor, {
    action: 'auth.login_failed',
    objectType: user ? 'user' : null,
    objectId: user?.id ?? null,
    subjectId: user?.id ?? null,
    description: user ? `Неудачный вход пользователя № ${user.id}` : 'Неудачный вход: неизвестный логин',
    details: { reason },
  })
}

export const TOTP_REQUIRED = 'Введите код из приложения-аутентификатора или резервный код'
export const TOTP_REFUSED = 'Неверный или уже использованный код из приложения'

/**
 * No code: 401 `totp_required`, the attempt given back without forgetting earlier failures (the password
 * was right; the two-step form sends it again with the code). A wrong or reused code stays counted in the throttle, like a wrong password.
 */
async function requireSecondFactor(
  db: Db,
  input: LoginInput,
  user: User,
  anonymous: Actor,
  keys: ReturnType<LoginThrottle['loginKeys']>,
  throttle: LoginThrottle,
  started: number,
): Promise<void> {
  const code = input.totpCode?.trim() ?? ''
  if (code === '') {
    await throttle.giveBack(db, keys)
    // The web's second step needs to know whose code it asks for; the API never shows details.
    throw new DomainError('totp_required', TOTP_REQUIRED, { userId: user.id })
  }
  const ok = input.secretKey !== undefined && (await checkSecondFactor(db, user, input.secretKey, code))
  if (!ok) {
    await journalFailure(db, anonymous, user, 'wrong_totp')
    throttle.observe(started)
    throw new DomainError('unauthorized', TOTP_REFUSED)
  }
}
