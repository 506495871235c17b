import { createHash, randomBytes } from 'node:crypto'
import { prepared } from '#src/db/prepared.ts'
import type { Tx, User } from '#src/db/schema.ts'
import { addMinutes, now } from '#src/db/time.ts'

/**
 * Server-side sessions (COMPLIANCE.md §5, УПД.10). The cookie carries 256 random bits; the database keeps
 * only their sha256, so a leaked table cannot be replayed. A session dies after 30 idle minutes or
 * 12 hours in all, whichever comes first, and with its user's deactivation.
 */

export const SESSION_COOKIE = 'helpdesk_session'
export const SESSION_IDLE_MINUTES = 30
export const SESSION_LIFETIME_MINUTES = 12 * 60
/** last_seen_at is written at most this often, so that every request is not a write. */
const TOUCH_INTERVAL_MS = 60_000

export interface SessionMeta {
  ip: string | null
  userAgent: string | null
  /** The person has no consent to the current text: the web shows the consent page first. */
  consentDue?: boolean
}

export interface NewSession {
  /** The cookie value: shown once, never stored. */
  token: string
  sessionId: string
  expiresAt: string
}

export interface ResolvedSession {
  user: User
  sessionId: string
  /** See SessionMeta.consentDue: cleared when the person consents. */
  consentDue: boolean
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** Opens a session for a user (the caller has already authenticated them). */
export async function createSession(db: Tx, userId: number, meta: SessionMeta): Promise<NewSession> {
  const token = randomBytes(32).toString('base64url')
  const at = now()
  const sessionId = hashToken(token)
  const expiresAt = addMinutes(at, SESSION_LIFETIME_MINUTES)
  await db
    .insertInto('sessions')
    .values({
      id: sessionId,
      user_id: userId,
      created_at: at,
      last_seen_at: at,
      expires_at: expiresAt,
      ip: meta.ip,
      // A user agent is whatever the client says; keep it bounded.
      user_agent: meta.userAgent ? meta.userAgent.slice(0, 300) : null,
      revoked_at: null,
      consent_due: meta.consentDue ? 1 : 0,
    })
    .execute()
  return { token, sessionId, expiresAt }
}

/** A session with its user, in one query (every page and request of the web asks it). */
const sessionById = prepared((db, p: { id: string }) =>
  db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select([
      'sessions.last_seen_at as session_last_seen_at',
      'sessions.expires_at as session_expires_at',
      'sessions.revoked_at as session_revoked_at',
      'sessions.consent_due as session_consent_due',
    ])
    .where('sessions.id', '=', p.id),
)

/**
 * The session's active user, or undefined when the token is unknown, revoked, idle, expired or the user inactive.
 * `touch: false` leaves the idle time alone: what a page fetches by itself (the live list's rows) is not activity,
 * and must not keep alive a session nobody uses.
 */
export async function resolveSession(
  db: Tx,
  token: string,
  options: { touch?: boolean } = {},
): Promise<ResolvedSession | undefined> {
  if (!looksLikeToken(token)) return undefined
  const sessionId = hashToken(token)
  const found = await sessionById.first(db, { id: sessionId })
  if (!found || found.session_revoked_at !== null) return undefined
  const {
    session_last_seen_at: lastSeenAt,
    session_expires_at: expiresAt,
    session_revoked_at: _revoked,
    session_consent_due: consentDue,
    ...user
  } = found
  const at = now()
  if (expiresAt <= at) return undefined
  if (addMinutes(lastSeenAt, SESSION_IDLE_MINUTES) <= at) return undefined
  if (user.status !== 'active') return undefined
  if (options.touch !== false && Date.parse(at) - Date.parse(lastSeenAt) >= TOUCH_INTERVAL_MS) {
    await db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', sessionId).execute()
  }
  return { user, sessionId, consentDue: Number(consentDue) === 1 }
}

/** Ends one session; true when it was live. */
export async function revokeSession(db: Tx, token: string): Promise<boolean> {
  if (!looksLikeToken(token)) return false
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: now() })
    .where('id', '=', hashToken(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/**
 * Ends the live sessions of a user (deactivation, password change): every one, `only` the one with that
 * stored id, or all `except` it (the session the person acts from). Returns how many were live.
 */
export async function revokeUserSessions(
  db: Tx,
  userId: number,
  which: { only?: string; except?: string } = {},
): Promise<number> {
  let query = db.updateTable('sessions').set({ revoked_at: now() }).where('user_id', '=', userId)
  if (which.only !== undefined) query = query.where('id', '=', which.only)
  if (which.except !== undefined) query = query.where('id', '!=', which.except)
  const result = await query.where('revoked_at', 'is', null).executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export interface SessionCookieOptions {
  path: string
  httpOnly: true
  secure: boolean
  sameSite: 'Lax'
  maxAge: number
}

/** Attributes of the session cookie: Secure only when the site is served over https (COMPLIANCE.md §5). */
export function sessionCookieOptions(baseUrl: string): SessionCookieOptions {
  return {
    path: '/',
    httpOnly: true,
    secure: baseUrl.startsWith('https:'),
    sameSite: 'Lax',
    maxAge: SESSION_LIFETIME_MINUTES * 60,
  }
}

/** 32 bytes in base64url are 43 characters; anything else is not ours and costs no query. */
function looksLikeToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token)
}
