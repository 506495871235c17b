import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { generateSecret, generateURI, verify } from 'otplib'
import type { Role, Tx, User } from '#src/db/schema.ts'
import { now, nowDate } from '#src/db/time.ts'

/**
 * TOTP (RFC 6238) pieces shared by the enrolment, login and reset use cases: the secret sealed under
 * SECRET_KEY, code checks (±1 step, a step never accepted twice) and the one-time recovery codes.
 */

export const TOTP_PERIOD_S = 30
export const RECOVERY_CODE_COUNT = 10
const ISSUER = 'КГКБСМП Helpdesk'

/** A key of its own for TOTP secrets, so that SECRET_KEY's other uses (CSRF, webhook) never share it. */
function sealingKey(secretKey: string): Buffer {
  return createHash('sha256').update(`totp-secret:v1:${secretKey}`).digest()
}

/** AES-256-GCM: `v1.<iv>.<tag>.<ciphertext>` in base64url; a database dump alone gives no secret. */
export function sealSecret(secretKey: string, secret: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', sealingKey(secretKey), iv)
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
  return ['v1', iv, cipher.getAuthTag(), body]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.')
}

/** The secret, or null when the stored value is not ours (another SECRET_KEY, tampered): fail closed. */
export function openSecret(secretKey: string, sealed: string): string | null {
  const [version, iv, tag, body] = sealed.split('.')
  if (version !== 'v1' || !iv || !tag || body === undefined) return null
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(secretKey), Buffer.from(iv, 'base64url'))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
  } catch {
    return null
  }
}

export function newTotpSecret(): string {
  return generateSecret()
}

export function otpauthUrl(user: Pick<User, 'login' | 'id'>, secret: string): string {
  return generateURI({ issuer: ISSUER, label: user.login ?? `user-${user.id}`, secret })
}

export function currentStep(): number {
  return Math.floor(nowDate().getTime() / 1000 / TOTP_PERIOD_S)
}

/**
 * The time step a 6-digit code belongs to, within ±1 step of now (clock drift of phone and server), and
 * only after `afterStep` (a code already used, or an older one, is refused). Null when it matches none.
 */
export async function matchCode(secret: string, code: string, afterStep: number | null): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null
  const epoch = Math.floor(nowDate().getTime() / 1000)
  // A tolerance of one period in seconds covers exactly the neighbouring steps, wherever in its step now is.
  const result = await verify({
    secret,
    token: code,
    epoch,
    epochTolerance: TOTP_PERIOD_S,
    ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
  })
  return result.valid && 'timeStep' in result ? result.timeStep : null
}

/**
 * Spends a step: the conditional update makes two requests with the same code race safely, only one
 * of them moves totp_last_step forward.
 */
export async function consumeStep(tx: Tx, userId: number, step: number): Promise<boolean> {
  const result = await tx
    .updateTable('users')
    .set({ totp_last_step: step })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** A 6-digit code of the user's confirmed or pending secret, spent on success. */
export async function checkTotpCode(tx: Tx, user: User, secretKey: string, code: string): Promise<boolean> {
  if (user.totp_secret === null) return false
  const secret = openSecret(secretKey, user.totp_secret)
  if (secret === null) return false
  const step = await matchCode(secret, code.trim(), user.totp_last_step)
  return step !== null && consumeStep(tx, user.id, step)
}

// Crockford-like alphabet without look-alikes (0/O, 1/I/L), so that a code read off paper types right.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'

function normaliseRecovery(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '')
}

export function recoveryDigest(code: string): string {
  return createHash('sha256')
    .update(`totp-recovery:${normaliseRecovery(code)}`)
    .digest('hex')
}

function newRecoveryCode(): string {
  const bytes = randomBytes(10)
  const chars = [...bytes].map((b) => ALPHABET[b % ALPHABET.length])
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`
}

/** Replaces the user's recovery codes with ten new ones; returns them in clear, to be shown once. */
export async function issueRecoveryCodes(tx: Tx, userId: number): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode)
  await tx.deleteFrom('totp_recovery_codes').where('user_id', '=', userId).execute()
  const at = now()
  await tx
    .insertInto('totp_recovery_codes')
    .values(codes.map((c) => ({ user_id: userId, code_hash: recoveryDigest(c), used_at: null, created_at: at })))
    .execute()
  return codes
}

/** Spends a recovery code once; the conditional update lets only one of two racing uses succeed. */
export async function useRecoveryCode(tx: Tx, userId: number, code: string): Promise<boolean> {
  const normalised = normaliseRecovery(code)
  if (normalised.length !== 10) return false
  const digest = recoveryDigest(normalised)
  const row = await tx
    .selectFrom('totp_recovery_codes')
    .select('id')
    .where('user_id', '=', userId)
    .where('code_hash', '=', digest)
    .where('used_at', 'is', null)
    .executeTakeFirst()
  if (!row) return false
  const result = await tx
    .updateTable('totp_recovery_codes')
    .set({ used_at: now() })
    .where('id', '=', row.id)
    .where('used_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** A code at login or to turn 2FA off: six digits from the app, or one of the recovery codes. */
export async function checkSecondFactor(tx: Tx, user: User, secretKey: string, code: string): Promise<boolean> {
  if (user.totp_enabled !== 1) return false
  const trimmed = code.trim()
  if (/^\d{6}$/.test(trimmed)) return checkTotpCode(tx, user, secretKey, trimmed)
  return useRecoveryCode(tx, user.id, trimmed)
}

/**
 * AUTH_REQUIRE_2FA: a session of such an account without 2FA may only enrol (and see itself, sign out).
 * Bearer API tokens are not asked: they are made by a signed-in person and revocable.
 */
export function enrolmentRequired(
  user: Pick<User, 'role' | 'totp_enabled'>,
  roles: readonly Role[] | undefined,
): boolean {
  return (roles ?? []).includes(user.role) && user.totp_enabled !== 1
}

export const ENROLMENT_REQUIRED =
  'Для Вашей роли обязательна двухфакторная защита: подключите приложение-аутентификатор в профиле'
