import { audit } from '#src/audit/journal.ts'
import type { Channel, Tx, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { actorFromUser } from './actor.ts'
import { hasCurrentConsent } from './consent.ts'
import { createSession } from './sessions.ts'

export interface LoginResult {
  user: User
  /** The session cookie's value. */
  token: string
  sessionId: string
  expiresAt: string
}

/**
 * What a one-time link (the bot's login link, the «установить пароль» link) gives: a session, or — for an
 * account with TOTP on — the link spent and the code still to be asked. A link stands for the password,
 * never for the second factor.
 */
export type LinkSignIn = (LoginResult & { codeRequired?: false }) | { codeRequired: true; user: User }

export interface SignIn {
  channel: Channel
  ip: string | null
  userAgent: string | null
  /** The journal's words for how the person proved who they are. */
  description: string
  details?: Record<string, unknown>
}

/**
 * The end of every successful sign-in, whatever proved the person (a password, a code, a link): the time of
 * the last login, a new session, and `auth.login` in the journal — in the caller's transaction.
 */
export async function openSignedInSession(tx: Tx, userId: number, how: SignIn): Promise<LoginResult> {
  const user = await tx
    .updateTable('users')
    .set({ last_login_at: now() })
    .where('id', '=', userId)
    .returningAll()
    .executeTakeFirstOrThrow()
  // The web asks for consent to the current text first (issue 10): an account made by an admin or on the
  // web has none, and a newer text may have been published since the person last agreed.
  const consentDue = how.channel === 'web' && !(await hasCurrentConsent(tx, userId))
  const session = await createSession(tx, userId, { ip: how.ip, userAgent: how.userAgent, consentDue })
  await audit(tx, actorFromUser(user, how.channel, how.ip), {
    action: 'auth.login',
    objectType: 'user',
    objectId: userId,
    subjectId: userId,
    description: how.description,
    ...(how.details ? { details: how.details } : {}),
  })
  return { user, ...session }
}
