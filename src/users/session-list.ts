import type { Tx } from '#src/db/schema.ts'
import { addMinutes, now } from '#src/db/time.ts'
import { SESSION_IDLE_MINUTES } from './sessions.ts'

/** A live web session as a person or an admin sees it: where and when, never the token. */
export interface SessionInfo {
  /** The stored sha256 of the cookie: names the session in a form, cannot be replayed. */
  id: string
  created_at: string
  last_seen_at: string
  expires_at: string
  ip: string | null
  user_agent: string | null
}

/** A user's sessions that still work (not revoked, expired or idle), the most recently used first. */
export async function activeSessions(db: Tx, userId: number): Promise<SessionInfo[]> {
  const at = now()
  return db
    .selectFrom('sessions')
    .select(['id', 'created_at', 'last_seen_at', 'expires_at', 'ip', 'user_agent'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', at)
    .where('last_seen_at', '>', addMinutes(at, -SESSION_IDLE_MINUTES))
    .orderBy('last_seen_at', 'desc')
    .orderBy('id')
    .execute()
}
