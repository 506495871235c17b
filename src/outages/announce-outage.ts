import type { Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { callback } from '#src/notify/callback-data.ts'
import { messengerOf, noticeChatOf, reachColumns } from '#src/notify/chat-key.ts'
import { type BotMessage, messengerPreference, reachable } from '#src/notify/outbox.ts'
import { outageBotTexts } from './outage-rules.ts'

/** Outbox rows written by one statement: a thousand recipients are a few inserts, not a thousand. */
const ROWS_PER_INSERT = 500

/** The announcement as the bot says it, with «Не присылать такие объявления» under it. */
export function announcementMessage(announcement: string): BotMessage {
  return {
    text: `${outageBotTexts.announcementHeader}\n\n${announcement}`,
    buttons: [[{ text: outageBotTexts.optOut, callbackData: callback.outageOptOut() }]],
  }
}

/**
 * Queues the announcement of an outage (declareOutage's transaction) to the active people of its departments who
 * have a chat with the bot (Telegram or MAX), have not blocked it and have not opted out, less the person who declared it. Rows of
 * the outbox, whose worker delivers them within Telegram's rate limits. Returns how many were queued.
 */
export async function queueAnnouncement(
  tx: Tx,
  outage: { id: number; ticket_id: number; announcement: string },
  departmentIds: readonly number[],
  exceptUserId: number | null,
): Promise<number> {
  let people = tx
    .selectFrom('users')
    .select(['users.id', ...reachColumns.map((c) => `users.${c}` as const)])
    .where('users.status', '=', 'active')
    .where('users.department_id', 'in', departmentIds)
    .where(reachable)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('outage_opt_outs')
            .select('outage_opt_outs.user_id')
            .whereRef('outage_opt_outs.user_id', '=', 'users.id'),
        ),
      ),
    )
  if (exceptUserId !== null) people = people.where('users.id', '!=', exceptUserId)
  const recipients = await people.orderBy('users.id').execute()
  const message = announcementMessage(outage.announcement)
  const preference = await messengerPreference(tx, recipients)
  const at = now()
  const rows = recipients.flatMap((person) => {
    const chat = noticeChatOf(person, preference)
    return chat === undefined
      ? []
      : [
          {
            channel: messengerOf(chat),
            recipient: chat,
            kind: 'bot_message',
            payload: JSON.stringify({ userId: person.id, outageId: outage.id, message }),
            status: 'pending' as const,
            next_attempt_at: at,
            last_error: null,
            ticket_id: null,
            message_id: null,
            created_at: at,
            sent_at: null,
          },
        ]
  })
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    await tx
      .insertInto('outbox')
      .values(rows.slice(start, start + ROWS_PER_INSERT))
      .execute()
  }
  return rows.length
}
