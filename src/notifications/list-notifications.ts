import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { listNotificationViews, type NotificationView, unreadCount } from './notification-store.ts'
import { requireStaff } from './staff-only.ts'

const DEFAULT_NOTIFICATIONS = 50
export const MAX_NOTIFICATIONS = 200

export interface ListNotificationsInput {
  unreadOnly?: boolean
  /** Older than this notification id: the next page. */
  before?: number
  limit?: number
  /** The unread count the caller has just read (the page's bell): not counted again. */
  knownUnread?: number
}

export interface NotificationList {
  items: NotificationView[]
  unread: number
  /** The `before` of the next page; null when this one is the last. */
  next: number | null
}

/**
 * A staff member's notifications, the newest first, with the tickets' titles and who acted as they are now.
 * Titles and names are personal data: the read is journaled like a list of tickets.
 */
export async function listNotifications(
  db: Db,
  actor: Actor,
  input: ListNotificationsInput = {},
): Promise<NotificationList> {
  const userId = await requireStaff(db, actor, 'notification.list')
  const limit = Math.min(Math.max(input.limit ?? DEFAULT_NOTIFICATIONS, 1), MAX_NOTIFICATIONS)
  const rows = await listNotificationViews(db, userId, {
    unreadOnly: input.unreadOnly,
    before: input.before,
    limit: limit + 1,
  })
  const items = rows.slice(0, limit)
  const tickets = [...new Set(items.map((n) => n.ticket_id).filter((id) => id !== null))]
  await audit(db, actor, {
    action: 'notification.list',
    objectType: 'ticket',
    pdn: true,
    description: `Просмотр уведомлений: ${items.length}`,
    details: { ids: tickets, unreadOnly: input.unreadOnly === true },
  })
  const last = items.at(-1)
  const unread = input.knownUnread ?? (await unreadCount(db, userId))
  return { items, unread, next: rows.length > limit && last ? last.id : null }
}
