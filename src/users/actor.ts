import type { Channel, Role, User, UserStatus } from '#src/db/schema.ts'

/**
 * Who is acting, and through which channel. Every use case takes one; the audit journal records it.
 * The system actor (jobs, the worker) has no user id.
 */
export interface Actor {
  readonly id: number | null
  readonly role: Role | 'system'
  readonly status: UserStatus
  readonly channel: Channel
  readonly ip: string | null
}

export function actorFromUser(
  user: Pick<User, 'id' | 'role' | 'status'>,
  channel: Channel,
  ip: string | null = null,
): Actor {
  return { id: user.id, role: user.role, status: user.status, channel, ip }
}

export function systemActor(channel: Channel = 'system'): Actor {
  return { id: null, role: 'system', status: 'active', channel, ip: null }
}
