import { createHash } from 'node:crypto'
import type { Chat, Message, User as TgUser, Update } from 'grammy/types'
import { z } from 'zod'
import type { Db, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { sharedContact } from './max-api.ts'
import type { MaxAttachment, MaxMessage, MaxUpdate, MaxUser } from './max-types.ts'

/**
 * MAX's updates in the conversation model the bot's dialogues read (issue 15; src/bot/apply-update.ts): a private
 * chat's message — text, a shared contact, files, the message it replies to — or a button press with its data and
 * the message that carried the button. Telegram's updates are that model already; MAX's are mapped here, at the
 * edge, so that registration, a new ticket, replies, ratings and every other dialogue are written once.
 *
 * - A dialog is the person: the chat's id in the model is their MAX user id (the chat key `max:<id>`).
 * - MAX's message ids are strings (`mid`); the model's are numbers: `max_messages` numbers them, in the update's
 *   transaction, and the MAX channel maps them back when it edits a message (max-channel.ts).
 * - `bot_started` (the «Начать» button, or a deep link with `?start=<payload>`) is the command `/start <payload>`.
 * - `bot_stopped` / `dialog_removed` mark the person blocked in MAX (as Telegram's 403 does): no dialogue.
 * - Files travel beside the model: the preparer downloads a message's attachments (max-files.ts) and the dialogues
 *   take them from `ctx.scope.prepared`, as they take Telegram's. The model's message carries the text as a
 *   caption when there are files, as Telegram's does.
 * - Group chats, channels, edits and everything else are recorded in the inbox and otherwise ignored.
 */

/** The inbox key of a MAX update: MAX gives none, so one is made of what identifies the event. */
export function maxUpdateKey(update: MaxUpdate): string {
  const u = update as unknown as Record<string, unknown>
  const message = u.message as { body?: { mid?: unknown } } | null | undefined
  const callback = u.callback as { callback_id?: unknown } | undefined
  switch (update.update_type) {
    case 'message_created':
    case 'message_edited':
      if (typeof message?.body?.mid === 'string') return clipKey(`${update.update_type}:${message.body.mid}`)
      break
    case 'message_callback':
      if (typeof callback?.callback_id === 'string') return clipKey(`callback:${callback.callback_id}`)
      break
    default:
      if ('chat_id' in update && 'timestamp' in update) {
        const user = (u.user as { user_id?: unknown } | undefined)?.user_id
        return clipKey(
          `${String(update.update_type)}:${String(update.chat_id)}:${String(user)}:${String(update.timestamp)}`,
        )
      }
  }
  // Odd updates (TESTING.md B3): keyed by their content, so a replay still finds its row.
  return `odd:${createHash('sha256')
    .update(JSON.stringify(update) ?? '')
    .digest('hex')
    .slice(0, 40)}`
}

/** A key longer than this is hashed (a forged mid of megabytes must not become a primary key). */
const KEY_MAX = 200

function clipKey(key: string): string {
  if (key.length <= KEY_MAX && storable(key)) return key
  // Hashed as UTF-16, so that keys differing only in lone surrogates (which UTF-8 cannot carry) stay apart.
  return `long:${createHash('sha256').update(Buffer.from(key, 'utf16le')).digest('hex')}`
}

/**
 * Text both databases store and find again as given: no NUL (PostgreSQL refuses it: a forged mid with one made the
 * update fail there, B3) and no lone surrogate (UTF-8 cannot carry one: stored as U+FFFD, two ids would become one).
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function storable(text: string): boolean {
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text)
}

const userShape = z.looseObject({
  user_id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  first_name: z.string().optional().nullable(),
  last_name: z.string().optional().nullable(),
  username: z.string().optional().nullable(),
  is_bot: z.boolean().optional(),
})
/**
 * A message or callback id: MAX's are a few dozen characters; one of kilobytes is forged, and would not fit
 * PostgreSQL's index of max_messages (2 704 bytes a row).
 */
const idShape = z.string().min(1).max(512).refine(storable)
const bodyShape = z.looseObject({
  mid: idShape,
  text: z.string().optional().nullable(),
  attachments: z
    .array(z.looseObject({ type: z.string() }))
    .optional()
    .nullable(),
})
const messageShape = z.looseObject({
  sender: userShape.optional().nullable(),
  recipient: z.looseObject({ chat_type: z.string(), chat_id: z.number().int().optional().nullable() }),
  timestamp: z.number(),
  body: bodyShape,
  link: z
    .looseObject({
      type: z.string(),
      message: z.looseObject({ mid: idShape }).optional().nullable(),
    })
    .optional()
    .nullable(),
})
/** The fields the mapping reads, with the types it relies on; anything else is ignored. */
const servedShape = z.discriminatedUnion('update_type', [
  z.looseObject({ update_type: z.literal('message_created'), timestamp: z.number(), message: messageShape }),
  z.looseObject({
    update_type: z.literal('message_callback'),
    timestamp: z.number(),
    callback: z.looseObject({
      callback_id: idShape,
      payload: z.string().optional().nullable(),
      user: userShape,
    }),
    message: messageShape.optional().nullable(),
  }),
  z.looseObject({
    update_type: z.literal('bot_started'),
    timestamp: z.number(),
    chat_id: z.number().int(),
    user: userShape,
    payload: z.string().optional().nullable(),
  }),
  z.looseObject({
    update_type: z.enum(['bot_stopped', 'dialog_removed']),
    timestamp: z.number(),
    user: userShape,
  }),
])

/** An update whose served fields are not what the schema says (a forged webhook call): recorded, not handled. */
export function maxMalformed(update: MaxUpdate): boolean {
  const type = (update as { update_type?: unknown }).update_type
  if (typeof type !== 'string') return true
  if (!['message_created', 'message_callback', 'bot_started', 'bot_stopped', 'dialog_removed'].includes(type)) {
    return false
  }
  return !servedShape.safeParse(update).success
}

/** The number that stands for a MAX message id in the bot's tables (assigned on first sight). */
export async function messageNumberOf(tx: Tx, mid: string): Promise<number> {
  const known = await tx.selectFrom('max_messages').select('id').where('mid', '=', mid).executeTakeFirst()
  if (known) return known.id
  const inserted = await tx
    .insertInto('max_messages')
    .values({ mid, created_at: now() })
    .onConflict((oc) => oc.column('mid').doNothing())
    .returning('id')
    .executeTakeFirst()
  if (inserted) return inserted.id
  const row = await tx.selectFrom('max_messages').select('id').where('mid', '=', mid).executeTakeFirstOrThrow()
  return row.id
}

/** The MAX message id behind a number of ours; undefined when unknown. */
export async function midOfNumber(db: Db | Tx, id: number): Promise<string | undefined> {
  const row = await db.selectFrom('max_messages').select('mid').where('id', '=', id).executeTakeFirst()
  return row?.mid
}

/** The id of the update as the model counts it: grammY wants a number; MAX's updates have none of their own. */
let sequence = 0
function nextUpdateId(): number {
  sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER
  return sequence
}

/**
 * The conversation update for a MAX update, or undefined when the dialogues have nothing to do with it. Runs in the
 * update's transaction (message numbers; a stop marks the person blocked).
 */
export async function maxConversation(tx: Tx, update: MaxUpdate): Promise<Update | undefined> {
  switch (update.update_type) {
    case 'message_created': {
      const message = update.message
      const sender = message.sender
      if (message.recipient.chat_type !== 'dialog' || !sender || sender.is_bot) return undefined
      return { update_id: nextUpdateId(), message: await modelMessage(tx, message, sender) } as Update
    }
    case 'message_callback': {
      const { callback, message } = update
      if (callback.user.is_bot) return undefined
      if (message && message.recipient.chat_type !== 'dialog') return undefined
      const chat = privateChat(callback.user)
      const pressed = message
        ? { message_id: await messageNumberOf(tx, message.body.mid), date: seconds(message.timestamp), chat }
        : // A deleted message: Telegram's «inaccessible message» (date 0), which the dialogues do not edit. Its id
          // is a number of its own, never 0: the dialogues keep it as evidence (a consent), where 0 is refused.
          { message_id: await messageNumberOf(tx, `deleted:${callback.callback_id}`), date: 0 as const, chat }
      return {
        update_id: nextUpdateId(),
        callback_query: {
          id: callback.callback_id,
          from: person(callback.user),
          chat_instance: `max:${callback.user.user_id}`,
          data: callback.payload ?? '',
          message: pressed as Message,
        },
      }
    }
    case 'bot_started': {
      if (update.user.is_bot) return undefined
      const payload = update.payload?.trim()
      const text = payload ? `/start ${payload}` : '/start'
      const startKey = `bot_started:${update.user.user_id}:${update.timestamp}`
      return {
        update_id: nextUpdateId(),
        message: {
          message_id: await messageNumberOf(tx, startKey),
          date: seconds(update.timestamp),
          chat: privateChat(update.user),
          from: person(update.user),
          text,
          entities: [{ type: 'bot_command', offset: 0, length: '/start'.length }],
        },
      } as Update
    }
    case 'bot_stopped':
    case 'dialog_removed': {
      // The equivalent of Telegram's «blocked by the user»: notices stop until they write again.
      const at = now()
      await tx
        .updateTable('users')
        .set({ max_blocked_at: at })
        .where('max_user_id', '=', String(update.user.user_id))
        .where('max_blocked_at', 'is', null)
        .execute()
      return undefined
    }
    default:
      return undefined
  }
}

async function modelMessage(
  tx: Tx,
  message: MaxMessage,
  sender: MaxUser,
): Promise<Message.CommonMessage & { chat: Chat.PrivateChat }> {
  const chat = privateChat(sender)
  const attachments = message.body.attachments ?? []
  const text = message.body.text ?? ''
  const files = attachments.filter((a) => fileKinds.has(a.type))
  const contact = contactOf(attachments, sender.user_id)
  const reply = message.link?.type === 'reply' && message.link.message?.mid ? message.link.message.mid : undefined
  const model: Record<string, unknown> = {
    message_id: await messageNumberOf(tx, message.body.mid),
    date: seconds(message.timestamp),
    chat,
    from: person(sender),
  }
  if (files.length > 0) {
    // The dialogues read the text of a message with files as its caption, and take the files from the preparer.
    if (text !== '') model.caption = text
    model.document = { file_id: `max:${message.body.mid}`, file_unique_id: `max:${message.body.mid}` }
  } else if (text !== '' || !contact) {
    model.text = text
    const command = text.match(/^\/[A-Za-z0-9_]+/)
    if (command) model.entities = [{ type: 'bot_command', offset: 0, length: command[0].length }]
  }
  if (contact) model.contact = contact
  if (reply !== undefined) {
    model.reply_to_message = { message_id: await messageNumberOf(tx, reply), date: 0, chat }
  }
  return model as unknown as Message.CommonMessage & { chat: Chat.PrivateChat }
}

const fileKinds = new Set<string>(['image', 'file', 'video', 'audio'])

/** A shared contact as the model has it: the phone, and the account it belongs to (to tell one's own). */
function contactOf(
  attachments: readonly MaxAttachment[],
  senderId: number,
): { phone_number: string; first_name: string; user_id?: number } | undefined {
  for (const attachment of attachments) {
    const shared = sharedContact(attachment, senderId)
    if (!shared) continue
    return {
      phone_number: shared.phone ?? '',
      first_name: '',
      ...(shared.userId !== undefined ? { user_id: shared.userId } : {}),
    }
  }
  return undefined
}

function privateChat(user: MaxUser): Chat.PrivateChat {
  return { id: user.user_id, type: 'private', first_name: user.first_name || '—' }
}

function person(user: MaxUser): TgUser {
  return {
    id: user.user_id,
    is_bot: false,
    first_name: user.first_name || '—',
    ...(user.last_name ? { last_name: user.last_name } : {}),
    ...(user.username ? { username: user.username } : {}),
  }
}

function seconds(ms: number): number {
  return Math.max(1, Math.floor(ms / 1000))
}
