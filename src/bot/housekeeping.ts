import type { Db } from '#src/db/schema.ts'
import { addMinutes, now } from '#src/db/time.ts'
import type { Schedule } from '#src/jobs/schedules.ts'
import { deleteExpiredConversations } from './conversation-store.ts'

/**
 * The bot's bookkeeping rows are kept only as long as they serve (COMPLIANCE.md: minimise personal
 * data — a half-finished registration holds a phone and a name, every row holds a chat id).
 */

const DAY_MINUTES = 24 * 60

/** An album's items arrive within seconds of each other: a day later no item of it is still coming. */
const ALBUM_KEEP_MINUTES = DAY_MINUTES

/** A login link lives five minutes; its row says «already used» for a day after, then goes. */
const LOGIN_LINK_KEEP_MINUTES = DAY_MINUTES

/**
 * The inbox row is what makes a replayed update a no-op (apply-update.ts), so it must outlive every
 * redelivery. Telegram keeps an unconfirmed update for at most 24 hours and never redelivers an older
 * one, so a week is safely longer than any replay; a longer history would only keep chat activity.
 */
const INBOX_KEEP_MINUTES = 7 * DAY_MINUTES

async function deleteOldAlbums(db: Db): Promise<number> {
  const cutoff = addMinutes(now(), -ALBUM_KEEP_MINUTES)
  const result = await db.deleteFrom('telegram_albums').where('created_at', '<', cutoff).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** Links dead (expired, or used — a used link is expired too within five minutes) for over a day. */
async function deleteDeadLoginLinks(db: Db): Promise<number> {
  const cutoff = addMinutes(now(), -LOGIN_LINK_KEEP_MINUTES)
  const result = await db
    .deleteFrom('login_links')
    .where((eb) => eb.or([eb('expires_at', '<', cutoff), eb('used_at', '<', cutoff)]))
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

async function deleteOldInbox(db: Db): Promise<number> {
  const cutoff = addMinutes(now(), -INBOX_KEEP_MINUTES)
  const result = await db.deleteFrom('telegram_inbox').where('received_at', '<', cutoff).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** MAX's inbox likewise (issue 15): MAX retries a webhook delivery for at most 8 hours, keeps polled events less. */
async function deleteOldMaxInbox(db: Db): Promise<number> {
  const cutoff = addMinutes(now(), -INBOX_KEEP_MINUTES)
  const result = await db.deleteFrom('max_inbox').where('received_at', '<', cutoff).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** For the worker (composed in main.ts): each table on its own, so one failure does not hold the rest. */
export const botHousekeeping: readonly Schedule[] = [
  { name: 'bot-conversations-expired', everyMs: 10 * 60_000, run: deleteExpiredConversations },
  { name: 'telegram-albums-old', everyMs: 10 * 60_000, run: deleteOldAlbums },
  { name: 'login-links-dead', everyMs: 10 * 60_000, run: deleteDeadLoginLinks },
  { name: 'telegram-inbox-old', everyMs: 10 * 60_000, run: deleteOldInbox },
  { name: 'max-inbox-old', everyMs: 10 * 60_000, run: deleteOldMaxInbox },
]
