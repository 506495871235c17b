import { z } from 'zod'
import type { Config } from '#src/config.ts'
import type { Db, OutboxRow } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import type { Logger } from '#src/logger.ts'
import { getSetting } from '#src/settings/settings.ts'
import type { NoticeChannel, SendResult } from './channel.ts'
import { type ChatKey, messengerOf } from './chat-key.ts'
import {
  isTicketNoticeKind,
  isUserNoticeKind,
  type MessageFacts,
  type RenderedNotice,
  renderTicketNotice,
  renderUserNotice,
  type SubjectFacts,
  type TicketFacts,
} from './notice-texts.ts'
import { type BotButton, type BotMessage, REFRESH_BUTTONS_KIND } from './outbox.ts'

/**
 * What every messenger's channel of the outbox shares (issue 15): a `bot_message` row is sent (or edited) exactly
 * as queued; a notice is rendered from the current rows at send time (notice-texts.ts), so the privacy setting in
 * force then is honoured; a sent message tied to a ticket is remembered (telegram_messages, by chat key) so that a
 * reply to it lands on that ticket. How a message is put into a chat is the messenger's transport: Telegram's in
 * telegram-channel.ts, MAX's in src/max/max-channel.ts. Nothing here logs texts, names or chat ids.
 */

/** What was sent: our number of the message (for replies to be routed by it), or the outcome of a failure. */
export type Sent = { ok: true; messageId: number | undefined } | { ok: false; result: SendResult }

/** How a messenger's channel puts a message in a chat (issue 15: Telegram's here, MAX's in src/max/max-channel.ts). */
export interface MessageTransport {
  /** Sends the message, or edits `editMessageId` (an edit of a message gone becomes a new message). */
  send(chatKey: ChatKey, message: BotMessage): Promise<Sent>
  /** Replaces the inline buttons of a sent message; a message gone or unchanged is done with. */
  editButtons(chatKey: ChatKey, messageId: number, buttons: BotButton[][]): Promise<Sent>
}

export interface BotChannelDeps {
  db: Db
  config: Pick<Config, 'baseUrl'>
  logger: Logger
  /** Matches `outbox.channel`. */
  name: string
  transport: MessageTransport
}

/**
 * A messenger's channel: a `bot_message` row is sent (or edited) exactly as queued; a notice is rendered from the
 * current rows at send time; a sent message tied to a ticket is remembered (telegram_messages) so that a reply to
 * it lands on that ticket. The same for every messenger; the transport differs.
 */
export function createBotChannel(deps: BotChannelDeps): NoticeChannel {
  const { db, config, transport } = deps
  const log = deps.logger.child({ channel: deps.name })

  const deliver = async (row: OutboxRow): Promise<SendResult> => {
    // The messenger's answer to an earlier attempt was recorded, but the sender had given up on it (its
    // deadline passed) or died before marking the row: it was delivered, and sending again is a duplicate.
    if (row.telegram_message_id !== null) return { ok: true }
    const payload = payloadSchema.safeParse(parseJson(row.payload))
    if (!payload.success) return { ok: false, error: `payload of outbox row ${row.id} is malformed` }
    if (row.kind === REFRESH_BUTTONS_KIND) return refreshButtons(row, payload.data)
    let message: BotMessage
    if (row.kind === 'bot_message') {
      if (!payload.data.message) return { ok: false, error: 'bot_message without a message' }
      message = payload.data.message
    } else {
      const rendered = await renderRow(db, row, payload.data, config.baseUrl)
      if ('error' in rendered) return { ok: false, error: rendered.error }
      message = rendered
    }
    const sent = await transport.send(row.recipient, message)
    if (!sent.ok) return sent.result
    if (sent.messageId !== undefined) {
      try {
        await recordSent(db, row, sent.messageId)
      } catch (error) {
        // Delivered all the same: a reply to it just won't be routed by message id.
        log.error({ err: error, outboxId: row.id }, 'could not record a sent message')
      }
    }
    return { ok: true }
  }

  /** A notice already in the chat gets the buttons its kind has now; a message gone needs nothing. */
  const refreshButtons = async (row: OutboxRow, payload: Payload): Promise<SendResult> => {
    const { editMessageId, notice } = payload
    if (editMessageId === undefined || notice === undefined) return { ok: false, error: 'refresh without a message' }
    const rendered = await renderRow(db, { ...row, kind: notice }, payload, config.baseUrl)
    if ('error' in rendered) return { ok: false, error: rendered.error }
    const edited = await transport.editButtons(row.recipient, editMessageId, rendered.buttons)
    return edited.ok ? { ok: true } : edited.result
  }

  return {
    name: deps.name,
    async send(row) {
      try {
        const result = await deliver(row)
        log.debug({ outboxId: row.id, kind: row.kind, ok: result.ok }, `${deps.name} send`)
        return result
      } catch (error) {
        return { ok: false, error: error instanceof Error ? `error: ${error.name}` : 'error' }
      }
    },
  }
}

// ---------------------------------------------------------------- payloads

const buttonSchema = z.object({
  text: z.string().min(1),
  callbackData: z.string().min(1).max(64).optional(),
  url: z.string().min(1).optional(),
})

const botMessageSchema = z.object({
  text: z.string(),
  buttons: z.array(z.array(buttonSchema)).optional(),
  keyboard: z
    .union([
      z.literal('remove'),
      z.object({
        rows: z.array(z.array(z.object({ text: z.string().min(1), requestContact: z.boolean().optional() }))),
        oneTime: z.boolean().optional(),
      }),
    ])
    .optional(),
  editMessageId: z.number().int().positive().optional(),
  replyToMessageId: z.number().int().positive().optional(),
})

const id = z.number().int().positive()
const payloadSchema = z.object({
  userId: id.nullable().optional(),
  subjectId: id.optional(),
  assigneeId: id.nullable().optional(),
  breach: z.enum(['response', 'resolution']).optional(),
  automatic: z.boolean().optional(),
  /** ticket_merged, ticket_unmerged: the ticket the duplicate was merged into. */
  mergedInto: id.optional(),
  /** ticket_awaiting_approval: the curators decide. */
  byCurators: z.boolean().optional(),
  message: botMessageSchema.optional(),
  /** refresh_buttons: the sent message, and the notice kind whose buttons it gets. */
  editMessageId: id.optional(),
  notice: z.string().optional(),
  /** ticket_mentioned: the internal note that mentions the person. */
  noteId: id.optional(),
  /** ticket_escalated: the level, and whether it is a critical ticket filed at night (src/duty). */
  level: z.number().int().min(1).max(4).optional(),
  critical: z.boolean().optional(),
})
type Payload = z.infer<typeof payloadSchema>

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------- rendering from the rows

async function renderRow(
  db: Db,
  row: OutboxRow,
  payload: Payload,
  baseUrl: string,
): Promise<RenderedNotice | { error: string }> {
  // A notice to or about a blocked person (ст. 21) carries only the number, the status and the link.
  const privacy = (await getSetting(db, 'privacy.no_pdn_in_telegram')) || (await touchesBlockedPerson(db, row, payload))
  const options = { baseUrl, privacy, messenger: messengerOf(row.recipient) }
  if (isTicketNoticeKind(row.kind)) {
    if (row.ticket_id === null) return { error: `${row.kind} without a ticket` }
    const ticket = await ticketFacts(db, row.ticket_id)
    if (!ticket) return { error: `ticket ${row.ticket_id} not found` }
    // A mention names its note in the payload: the row's message_id is the delivery status of a message it sends.
    const messageId = row.kind === 'ticket_mentioned' ? (payload.noteId ?? null) : row.message_id
    const withMessage = row.kind === 'ticket_message' || row.kind === 'ticket_mentioned'
    const message = withMessage && messageId !== null ? await messageFacts(db, messageId) : undefined
    const takerId = payload.assigneeId ?? ticket.assigneeId
    return renderTicketNotice(
      row.kind,
      {
        ticket,
        toRequester: payload.userId === ticket.requesterId,
        ...(message ? { message } : {}),
        ...(row.kind === 'ticket_taken' ? { takenBy: takerId === null ? null : await userName(db, takerId) } : {}),
        ...(payload.breach ? { breach: payload.breach } : {}),
        ...(payload.automatic ? { automatic: true } : {}),
        ...(payload.mergedInto ? { mergedInto: payload.mergedInto } : {}),
        ...(payload.byCurators ? { byCurators: true } : {}),
        ...(payload.level ? { escalation: { level: payload.level, critical: payload.critical === true } } : {}),
      },
      options,
    )
  }
  if (isUserNoticeKind(row.kind)) {
    const subjectId = payload.subjectId ?? payload.userId
    if (subjectId === undefined || subjectId === null) return { error: `${row.kind} without a subject` }
    const subject = await subjectFacts(db, subjectId)
    if (!subject) return { error: `user ${subjectId} not found` }
    return renderUserNotice(row.kind, subject, options)
  }
  return { error: `unknown notice kind ${row.kind}` }
}

/** Is anyone this notice goes to or names (recipient, subject, requester, assignee, author) blocked? */
async function touchesBlockedPerson(db: Db, row: OutboxRow, payload: Payload): Promise<boolean> {
  const ids = [payload.userId, payload.subjectId, payload.assigneeId].filter((v): v is number => typeof v === 'number')
  const people = db.selectFrom('users').select('id').where('blocked_at', 'is not', null)
  const direct = ids.length > 0 ? await people.where('id', 'in', ids).executeTakeFirst() : undefined
  if (direct) return true
  if (row.ticket_id !== null) {
    const ticket = await db
      .selectFrom('tickets')
      .select(['requester_id', 'assignee_id'])
      .where('id', '=', row.ticket_id)
      .executeTakeFirst()
    const named = [ticket?.requester_id, ticket?.assignee_id].filter((v): v is number => typeof v === 'number')
    if (named.length > 0 && (await people.where('id', 'in', named).executeTakeFirst())) return true
  }
  const messageId = row.message_id ?? payload.noteId ?? null
  if (messageId !== null) {
    const author = await db
      .selectFrom('ticket_messages as m')
      .innerJoin('users as u', 'u.id', 'm.author_id')
      .select('u.blocked_at')
      .where('m.id', '=', messageId)
      .executeTakeFirst()
    if (author?.blocked_at) return true
  }
  return false
}

async function ticketFacts(db: Db, ticketId: number): Promise<TicketFacts | undefined> {
  const row = await db
    .selectFrom('tickets as t')
    .innerJoin('users as r', 'r.id', 't.requester_id')
    .leftJoin('users as a', 'a.id', 't.assignee_id')
    .leftJoin('categories as c', 'c.id', 't.category_id')
    .leftJoin('departments as d', 'd.id', 't.department_id')
    .leftJoin('departments as rd', 'rd.id', 'r.department_id')
    .select([
      't.id',
      't.status',
      't.title',
      't.priority',
      't.assignee_id',
      't.requester_id',
      't.resolution',
      't.cancel_reason',
      't.rating',
      'c.name as category_name',
      'd.name as department_name',
      'rd.name as requester_department_name',
      'r.full_name as requester_name',
      'a.full_name as assignee_name',
    ])
    .where('t.id', '=', ticketId)
    .executeTakeFirst()
  if (!row) return undefined
  return {
    id: row.id,
    status: row.status,
    title: row.title,
    priority: row.priority,
    categoryName: row.category_name,
    departmentName: row.department_name ?? row.requester_department_name,
    requesterId: row.requester_id,
    requesterName: row.requester_name,
    assigneeId: row.assignee_id,
    assigneeName: row.assignee_name,
    resolution: row.resolution,
    cancelReason: row.cancel_reason,
    rating: row.rating,
  }
}

async function messageFacts(db: Db, messageId: number): Promise<MessageFacts | undefined> {
  const message = await db
    .selectFrom('ticket_messages as m')
    .innerJoin('users as u', 'u.id', 'm.author_id')
    .select(['m.body', 'u.full_name'])
    .where('m.id', '=', messageId)
    .executeTakeFirst()
  if (!message) return undefined
  const files = await db
    .selectFrom('attachments')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('message_id', '=', messageId)
    .executeTakeFirst()
  return {
    body: message.body,
    authorName: message.full_name,
    attachments: Number(files?.n ?? 0),
  }
}

async function userName(db: Db, userId: number): Promise<string | null> {
  const user = await db.selectFrom('users').select('full_name').where('id', '=', userId).executeTakeFirst()
  return user?.full_name ?? null
}

async function subjectFacts(db: Db, userId: number): Promise<SubjectFacts | undefined> {
  const user = await db
    .selectFrom('users as u')
    .leftJoin('departments as d', 'd.id', 'u.department_id')
    .select([
      'u.id',
      'u.full_name',
      'u.phone',
      'u.position',
      'u.room',
      'u.status',
      'u.rejection_reason',
      'd.name as department_name',
    ])
    .where('u.id', '=', userId)
    .executeTakeFirst()
  if (!user) return undefined
  return {
    id: user.id,
    fullName: user.full_name,
    phone: user.phone,
    departmentName: user.department_name,
    position: user.position,
    room: user.room,
    status: user.status,
    rejectionReason: user.rejection_reason,
  }
}

async function recordSent(db: Db, row: OutboxRow, messageId: number): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('outbox').set({ telegram_message_id: messageId }).where('id', '=', row.id).execute()
    if (row.ticket_id === null) return
    await tx
      .insertInto('telegram_messages')
      .values({
        chat_id: row.recipient,
        message_id: messageId,
        ticket_id: row.ticket_id,
        outbox_id: row.id,
        created_at: now(),
      })
      .onConflict((oc) => oc.columns(['chat_id', 'message_id']).doNothing())
      .execute()
  })
}
