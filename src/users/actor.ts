import { hostname, userInfo } from 'node:os'
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
  /** Who ran a `helpdesk` command: the OS account and host, journaled with each of its rows (`details.cli`). */
  readonly console?: ConsoleOperator
}

export interface ConsoleOperator {
  readonly user: string
  readonly host: string
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

/**
 * The person at the server's console: no account of ours, so the journal names the OS account and the host
 * instead of «система» (channel `cli`).
 */
export function cliActor(): Actor {
  return { ...systemActor('cli'), console: { user: osUser(), host: hostname() } }
}

function osUser(): string {
  try {
    return userInfo().username
  } catch {
    // A uid without a passwd entry (a container run with --user 1234): the uid is what there is.
    return process.env.USER || process.env.LOGNAME || `uid ${process.getuid?.() ?? '?'}`
  }
}
