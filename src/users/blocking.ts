import { type RawBuilder, sql } from 'kysely'
import type { User } from '#src/db/schema.ts'

/**
 * Blocking (152-ФЗ ст. 21): while a person's users.blocked_at is set, their identifying data is not shown
 * in any page, API answer or export, and not sent to Telegram. Every read that names a person goes through
 * these two helpers: the SQL one where rows are joined, the row one where a user row is presented.
 */
export const BLOCKED_TEXT = 'Данные заблокированы'

/** The person's name as it may be shown: `alias.full_name`, or «Данные заблокированы» while blocked. */
export function shownName(alias: string): RawBuilder<string> {
  return nameOf<string>(alias)
}

/** The same through a left join: null when there is nobody (no assignee). */
export function shownNameOrNull(alias: string): RawBuilder<string | null> {
  return nameOf<string | null>(alias)
}

function nameOf<T>(alias: string): RawBuilder<T> {
  return sql<T>`case when ${sql.ref(`${alias}.blocked_at`)} is null then ${sql.ref(`${alias}.full_name`)} else ${BLOCKED_TEXT} end`
}

export function isBlocked(user: Pick<User, 'blocked_at'>): boolean {
  return user.blocked_at !== null
}

/** The fields that identify a person, hidden in a blocked person's row (ids, role and status stay). */
export function maskBlocked<T extends Partial<User>>(user: T): T {
  if (user.blocked_at === null || user.blocked_at === undefined) return user
  const hidden = (value: unknown) => (value === null || value === undefined ? value : BLOCKED_TEXT)
  return {
    ...user,
    full_name: BLOCKED_TEXT,
    phone: hidden(user.phone),
    email: hidden(user.email),
    position: hidden(user.position),
    room: hidden(user.room),
    login: hidden(user.login),
    telegram_username: hidden(user.telegram_username),
    telegram_chat_id: hidden(user.telegram_chat_id),
    max_user_id: hidden(user.max_user_id),
  } as T
}
