import type { Expression, ExpressionBuilder, SqlBool } from 'kysely'
import type { Database, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { getSetting } from '#src/settings/settings.ts'
import {
  type ChatKey,
  type MessengerPreference,
  messengerOf,
  noticeChatOf,
  type Reachable,
  reachableChats,
  reachColumns,
} from './chat-key.ts'

/**
 * The outbox (ARCHITECTURE.md, data-flow rules): use cases insert notices in their own transaction;
 * the worker delivers them later through a channel. Nothing is sent from inside a request.
 *
 * A notice names what happened (`kind`) and the ids it is about (`payload`); the channel renders the
 * text when it sends, so that a privacy setting changed in between is honoured.
 */
export const noticeKinds = [
  'registration_requested',
  'registration_confirmed',
  'registration_rejected',
  'ticket_created',
  'ticket_new_for_group',
  'ticket_taken',
  'ticket_assigned',
  'ticket_message',
  'ticket_waiting',
  'ticket_resolved',
  'ticket_closed',
  'ticket_cancelled',
  'ticket_reopened',
  'ticket_rate_request',
  'deadline_breached',
  /** A step of a ticket's escalation (src/duty/escalate-tickets.ts): payload `level`, `critical`. */
  'ticket_escalated',
  /** A colleague @-mentioned the person in an internal note (src/notifications/mentions.ts). */
  'ticket_mentioned',
  /** A duplicate was merged into another ticket of the same requester, or the merge undone (ticket-links-store.ts). */
  'ticket_merged',
  'ticket_unmerged',
  /** «Согласование» (src/approvals): to the approver, to the requester, and the decision. */
  'ticket_approval_requested',
  'ticket_awaiting_approval',
  'ticket_approved',
  'ticket_approval_rejected',
  'account_deactivated',
  'consent_withdrawn',
  'totp_reset',
] as const
export type NoticeKind = (typeof noticeKinds)[number]

export interface Notice {
  kind: NoticeKind
  ticketId?: number | null
  messageId?: number | null
  /** Ids and codes only: the channel looks up what it shows. */
  data?: Record<string, unknown>
}

/**
 * Queues a notice for each of these users who can receive it (has a chat in Telegram or MAX they have not
 * blocked; the one chosen by `noticeChatOf`). Returns the count queued.
 */
export async function notifyUsers(tx: Tx, userIds: readonly number[], notice: Notice): Promise<number> {
  const unique = [...new Set(userIds)]
  const people =
    unique.length === 0
      ? []
      : await tx
          .selectFrom('users')
          .select(['id', ...reachColumns])
          .where('id', 'in', unique)
          .where(reachable)
          .execute()
  return notifyPeople(tx, [{ people, notice }])
}

/** Someone a notice is for, read with the columns that say where it reaches them (`reachColumns`). */
export type Recipient = { id: number } & Reachable

/**
 * Queues notices for people already read with their chats (a new ticket's requester and its group's staff):
 * no query but the setting's, when it matters, and one insert for all of them. Those who cannot receive a
 * notice are skipped, as by `notifyUsers`. Returns the count queued.
 */
export async function notifyPeople(
  tx: Tx,
  sends: ReadonlyArray<{ people: readonly Recipient[]; notice: Notice }>,
): Promise<number> {
  for (const { notice } of sends) {
    if (notice.ticketId && offerEndingKinds.includes(notice.kind)) await withdrawTakeOffers(tx, notice.ticketId)
  }
  const preference = await messengerPreference(
    tx,
    sends.flatMap((send) => send.people),
  )
  const at = now()
  const rows = sends.flatMap(({ people, notice }) =>
    people.flatMap((r) => {
      const chat = noticeChatOf(r, preference)
      return chat === undefined
        ? []
        : [
            {
              channel: messengerOf(chat),
              recipient: chat,
              kind: notice.kind,
              payload: JSON.stringify({ userId: r.id, ...notice.data }),
              status: 'pending' as const,
              next_attempt_at: at,
              last_error: null,
              ticket_id: notice.ticketId ?? null,
              message_id: notice.messageId ?? null,
              created_at: at,
              sent_at: null,
            },
          ]
    }),
  )
  if (rows.length > 0) await tx.insertInto('outbox').values(rows).execute()
  return rows.length
}

/** People with a chat in some messenger that has not been blocked: whom a notice can reach. */
export function reachable(eb: ExpressionBuilder<Database, 'users'>): Expression<SqlBool> {
  return eb.or([
    eb.and([eb('users.telegram_chat_id', 'is not', null), eb('users.telegram_blocked_at', 'is', null)]),
    eb.and([eb('users.max_user_id', 'is not', null), eb('users.max_blocked_at', 'is', null)]),
  ])
}

/**
 * The setting «Куда слать уведомления» (issue 15) as it bears on these people: it only chooses between two chats, so
 * it is read only when one of them is reachable in both messengers (the hot paths — filing, a ticket's view — skip
 * the query otherwise).
 */
export async function messengerPreference(
  tx: Tx,
  people: ReadonlyArray<Parameters<typeof reachableChats>[0]>,
): Promise<MessengerPreference> {
  const someHaveBoth = people.some((p) => {
    const chats = reachableChats(p)
    return chats.telegram !== undefined && chats.max !== undefined
  })
  return someHaveBoth ? getSetting(tx, 'messenger.preferred') : 'last_used'
}

/** Ids of active users with these roles (curators and admins for registrations, and so on). */
export async function activeUserIdsWithRoles(
  tx: Tx,
  roles: ReadonlyArray<'executor' | 'curator' | 'admin'>,
): Promise<number[]> {
  const rows = await tx
    .selectFrom('users')
    .select('id')
    .where('status', '=', 'active')
    .where('role', 'in', roles)
    .execute()
  return rows.map((r) => r.id)
}

/**
 * A message of the system to every active admin reachable in a messenger (a failed backup, a person's request
 * near its deadline). Returns how many were told.
 */
export async function tellAdmins(tx: Tx, text: string): Promise<number> {
  const admins = await tx
    .selectFrom('users')
    .select(['id', ...reachColumns])
    .where('role', '=', 'admin')
    .where('status', '=', 'active')
    .where(reachable)
    .execute()
  const preference = await messengerPreference(tx, admins)
  let told = 0
  for (const admin of admins) {
    const chat = noticeChatOf(admin, preference)
    if (chat === undefined) continue
    await enqueueBotMessage(tx, chat, { text }, { userId: admin.id })
    told++
  }
  return told
}

/** A button under a bot message: its callback data is parsed by src/notify/callback-data.ts. */
export interface BotButton {
  text: string
  callbackData?: string
  url?: string
}

/** A message the bot says in a chat: queued like a notice, sent by the worker in order per chat. */
export interface BotMessage {
  text: string
  /** Rows of inline buttons. */
  buttons?: BotButton[][]
  /** A reply keyboard (e.g. «Поделиться номером» with request_contact), or `remove` to take it away. */
  keyboard?: { rows: Array<Array<{ text: string; requestContact?: boolean }>>; oneTime?: boolean } | 'remove'
  /** Edit this earlier message (its Telegram message id) instead of sending a new one. */
  editMessageId?: number
  replyToMessageId?: number
}

/**
 * Queues something the bot says in a chat (kind `bot_message`). Replies go through the outbox too, so
 * that an update's effects — rows, journal, and what the bot answers — commit together or not at all.
 */
export async function enqueueBotMessage(
  tx: Tx,
  chatId: ChatKey,
  message: BotMessage,
  refs: { ticketId?: number | null; userId?: number | null } = {},
): Promise<void> {
  const at = now()
  await tx
    .insertInto('outbox')
    .values({
      channel: messengerOf(chatId),
      recipient: chatId,
      kind: 'bot_message',
      payload: JSON.stringify({ userId: refs.userId ?? null, message }),
      status: 'pending',
      next_attempt_at: at,
      last_error: null,
      ticket_id: refs.ticketId ?? null,
      message_id: null,
      created_at: at,
      sent_at: null,
    })
    .execute()
}

/**
 * Notices that mean a ticket is no longer there to be taken (taken — or assigned, which sends
 * `ticket_taken` too — or cancelled): whatever use case sends one, the offers go with it.
 */
const offerEndingKinds: readonly NoticeKind[] = ['ticket_taken', 'ticket_cancelled']

/** The kind of outbox row that re-renders the buttons of a notice already sent (telegram-channel.ts). */
export const REFRESH_BUTTONS_KIND = 'refresh_buttons'

/**
 * The «Новая заявка» notices the group's members got carry «Взять в работу»: once the ticket is taken,
 * each one already in a chat (telegram_messages) gets its buttons rendered again from the current rows,
 * which no longer offer it. Notices not sent yet need nothing: they are rendered when they leave.
 */
async function withdrawTakeOffers(tx: Tx, ticketId: number): Promise<number> {
  const sent = await tx
    .selectFrom('telegram_messages as m')
    .innerJoin('outbox as o', 'o.id', 'm.outbox_id')
    .select(['m.chat_id', 'm.message_id'])
    .where('m.ticket_id', '=', ticketId)
    .where('o.kind', '=', 'ticket_new_for_group')
    .execute()
  if (sent.length === 0) return 0
  const at = now()
  await tx
    .insertInto('outbox')
    .values(
      sent.map((m) => ({
        channel: messengerOf(m.chat_id),
        recipient: m.chat_id,
        kind: REFRESH_BUTTONS_KIND,
        payload: JSON.stringify({ editMessageId: Number(m.message_id), notice: 'ticket_new_for_group' }),
        status: 'pending' as const,
        next_attempt_at: at,
        last_error: null,
        ticket_id: ticketId,
        message_id: null,
        created_at: at,
        sent_at: null,
      })),
    )
    .execute()
  return sent.length
}
