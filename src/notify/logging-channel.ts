import type { Logger } from '#src/logger.ts'
import type { NoticeChannel } from './channel.ts'

/**
 * Stands in for Telegram until the bot lands: notices are "delivered" to the log, which records what
 * was due to be sent — the kind and the ids, never the recipient's chat, texts or names (personal
 * data stays out of plain logs).
 */
export function createLoggingChannel(logger: Logger, name = 'telegram'): NoticeChannel {
  const log = logger.child({ channel: name })
  return {
    name,
    async send(row) {
      log.info({ outboxId: row.id, kind: row.kind, ticketId: row.ticket_id, messageId: row.message_id }, 'notice')
      return { ok: true }
    },
  }
}
