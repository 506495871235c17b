import { AsyncLocalStorage } from 'node:async_hooks'
import { countAwaitingFor } from '#src/approvals/approval-store.ts'
import type { Db, Role } from '#src/db/schema.ts'
import { unreadCount } from '#src/notifications/notification-store.ts'

/**
 * Numbers the navigation shows beside a section, on every page: the registrations waiting for a curator's
 * decision (issue 13: they were counted nowhere). Read once per page by the session middleware, for those
 * who decide, and handed to the layout through the request's scope as the language is.
 */
export interface NavCounts {
  pendingRegistrations: number
  /** The bell's number (staff only; src/web/views/bell.tsx); lowered when the page itself reads some. */
  unreadNotifications?: number
  /** Tickets awaiting the person's approval (issue 14: heads of departments, curators); 0 hides «На согласовании». */
  awaitingApproval?: number
}

const current = new AsyncLocalStorage<NavCounts>()

export function withNavCounts<T>(counts: NavCounts, fn: () => T): T {
  return current.run(counts, fn)
}

export function navCounts(): NavCounts | undefined {
  return current.getStore()
}

/** The counts a person's navigation shows (a requester's: only what awaits their approval, if they head a department). */
export async function readNavCounts(db: Db, role: Role, userId: number): Promise<NavCounts | undefined> {
  const awaitingApproval = await countAwaitingFor(db, { id: userId, role, status: 'active', channel: 'web', ip: null })
  if (role === 'requester') return awaitingApproval > 0 ? { pendingRegistrations: 0, awaitingApproval } : undefined
  const unreadNotifications = await unreadCount(db, userId)
  if (role !== 'curator' && role !== 'admin') return { pendingRegistrations: 0, unreadNotifications, awaitingApproval }
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number | string>().as('pending'))
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow()
  return { pendingRegistrations: Number(row.pending), unreadNotifications, awaitingApproval }
}
