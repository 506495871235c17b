import type { OutboxRow } from '#src/db/schema.ts'

/**
 * The outcome of one attempt to deliver a notice.
 * - `retryAfterMs`: the far side asked us to wait (Telegram's 429 `retry_after`); the whole channel
 *   pauses that long, and the attempt does not count against the notice's attempts.
 * - `permanent`: the recipient cannot be reached any more (blocked the bot, chat gone). The notice
 *   fails at once and the recipient is marked blocked. A message the far side rejects for its own
 *   content is not permanent in this sense: report it as a plain failure.
 * `error` is kept in `outbox.last_error` and logged: codes and descriptions only, never texts or names.
 */
export type SendResult = { ok: true } | { ok: false; retryAfterMs?: number; permanent?: boolean; error: string }

/** Where notices go: Telegram (the bot), the log until the bot lands, a fake in tests. */
export interface NoticeChannel {
  /** Matches `outbox.channel`. */
  name: string
  /**
   * The messenger's own rate limits, when they differ from the outbox's defaults (Telegram's: 1 message a second
   * to a chat, 25 a second in all). Each channel is paced on its own.
   */
  limits?: { perChatIntervalMs?: number; globalPerSecond?: number }
  /** Renders and sends one notice. Should not throw; if it does, that counts as a plain failure. */
  send(row: OutboxRow): Promise<SendResult>
}
