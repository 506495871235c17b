import { z } from 'zod'
import type { Db, Tx } from '#src/db/schema.ts'
import { now, nowDate } from '#src/db/time.ts'

/**
 * Where a chat is in a dialogue (ARCHITECTURE.md: conversation state in the database), one row per
 * chat in `bot_conversations`, so that a restart in the middle of a registration loses nothing.
 * A state lives 24 hours after its last step; an expired or unreadable one is treated as absent and
 * deleted. Each flow is one member of the union below: a feature that adds a dialogue adds its schema.
 */

export const CONVERSATION_TTL_MS = 24 * 60 * 60_000

const id = z.number().int().positive()

export const registrationSteps = ['consent', 'phone', 'name', 'department', 'position', 'room'] as const
export type RegistrationStep = (typeof registrationSteps)[number]

export const registrationStateSchema = z.object({
  flow: z.literal('registration'),
  step: z.enum(registrationSteps),
  /** The consent text version shown with /start: the one the person agrees to. */
  consentTextId: id,
  /** Proof of the agreement, kept until the registration is filed. */
  evidence: z
    .object({ update_id: z.number().int().nonnegative(), message_id: z.number().int().positive(), date: z.string() })
    .optional(),
  phone: z.string().optional(),
  fullName: z.string().optional(),
  departmentId: id.optional(),
  position: z.string().optional(),
})
export type RegistrationState = z.infer<typeof registrationStateSchema>

/** A curator pressed «Отклонить» and is asked for the reason. */
export const rejectReasonStateSchema = z.object({
  flow: z.literal('reject_reason'),
  userId: id,
  /** The registration notice the button was under: edited once decided. */
  noticeMessageId: id.optional(),
})
export type RejectReasonState = z.infer<typeof rejectReasonStateSchema>

/** An approver pressed «Отклонить» under a ticket awaiting approval (issue 14) and is asked for the reason. */
export const approvalReasonStateSchema = z.object({
  flow: z.literal('approval_reason'),
  ticketId: id,
  /** The notice the button was under: edited once decided. */
  noticeMessageId: id.optional(),
})

/** The person pressed «Ответить» under a message about a ticket: their next message lands on it. */
export const replyToStateSchema = z.object({ flow: z.literal('reply_to'), ticketId: id })
export type ReplyToState = z.infer<typeof replyToStateSchema>

/** A file already stored on disk (attachments/file-store.ts), waiting to be attached. */
const storedFileSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  fileName: z.string(),
  mimeType: z.string(),
})

/**
 * A free message from someone with open tickets: it waits here, with its files, until the person says
 * which ticket it is about (PRODUCT.md §4: never a guess).
 */
export const chooseTicketStateSchema = z.object({
  flow: z.literal('choose_ticket'),
  body: z.string(),
  files: z.array(storedFileSchema),
  /** An album: its later parts join this message instead of asking again. */
  mediaGroupId: z.string().optional(),
  /** The tickets offered (the choice must be one of them). */
  ticketIds: z.array(id),
})
export type ChooseTicketState = z.infer<typeof chooseTicketStateSchema>

/** A rating was given; the next text is its optional comment. */
export const ratingCommentStateSchema = z.object({
  flow: z.literal('rating_comment'),
  ticketId: id,
  /** The rating message, edited to offer «Без комментария»: its button goes once answered. */
  promptMessageId: id.optional(),
})
export type RatingCommentState = z.infer<typeof ratingCommentStateSchema>

/**
 * «Новая заявка» (features/new-ticket.ts): category → description with files → (articles of the knowledge base
 * that may answer it, `suggest`, issue 14) → urgency.
 */
export const newTicketStateSchema = z.object({
  flow: z.literal('new_ticket'),
  step: z.enum(['category', 'describe', 'suggest', 'urgency']),
  categoryId: id.optional(),
  description: z.string().optional(),
  files: z.array(storedFileSchema),
  /** The album being received: its later items (one update each) join this ticket silently. */
  mediaGroupId: z.string().optional(),
  /** The articles offered at the `suggest` step (at most three): «Помогло» must name one of them. */
  articleIds: z.array(id).max(3).optional(),
  /** Begun from a device's QR sticker (`/start eq_<id>`, issue 14): the device, and how the confirmation names it. */
  equipmentId: id.optional(),
  equipmentLabel: z.string().max(400).optional(),
})
export type NewTicketState = z.infer<typeof newTicketStateSchema>

/**
 * An album whose first item was already answered: Telegram sends each item as an update of its own, and
 * the later ones are taken without a second answer — onto `ticketId` when the album became that ticket
 * before they arrived (the urgency was pressed in between); dropped when there was nowhere to file it.
 */
export const albumAnsweredStateSchema = z.object({
  flow: z.literal('album_answered'),
  mediaGroupId: z.string(),
  ticketId: id.optional(),
})
export type AlbumAnsweredState = z.infer<typeof albumAnsweredStateSchema>

export const conversationStateSchema = z.discriminatedUnion('flow', [
  registrationStateSchema,
  rejectReasonStateSchema,
  approvalReasonStateSchema,
  replyToStateSchema,
  chooseTicketStateSchema,
  ratingCommentStateSchema,
  newTicketStateSchema,
  albumAnsweredStateSchema,
])
export type ConversationState = z.infer<typeof conversationStateSchema>

/** The chat's current state; undefined when there is none, it expired, or it no longer parses. */
export async function loadConversation(tx: Tx, chatId: string): Promise<ConversationState | undefined> {
  const row = await tx
    .selectFrom('bot_conversations')
    .select(['state', 'expires_at'])
    .where('chat_id', '=', chatId)
    .executeTakeFirst()
  if (!row) return undefined
  const parsed = row.expires_at > now() ? conversationStateSchema.safeParse(parseJson(row.state)) : undefined
  if (parsed?.success) return parsed.data
  // Expired, or written by a version of the bot whose flows differ: start afresh rather than guess.
  await clearConversation(tx, chatId)
  return undefined
}

/** Saves the chat's state; its 24 hours start again. */
export async function saveConversation(tx: Tx, chatId: string, state: ConversationState): Promise<void> {
  const valid = conversationStateSchema.parse(state)
  const at = now()
  const values = {
    state: JSON.stringify(valid),
    expires_at: new Date(nowDate().getTime() + CONVERSATION_TTL_MS).toISOString(),
    updated_at: at,
  }
  await tx
    .insertInto('bot_conversations')
    .values({ chat_id: chatId, ...values })
    .onConflict((oc) => oc.column('chat_id').doUpdateSet(values))
    .execute()
}

export async function clearConversation(tx: Tx, chatId: string): Promise<void> {
  await tx.deleteFrom('bot_conversations').where('chat_id', '=', chatId).execute()
}

/** Deletes every expired state (half-finished registrations hold a chat id): for a periodic schedule. */
export async function deleteExpiredConversations(db: Db): Promise<number> {
  const result = await db.deleteFrom('bot_conversations').where('expires_at', '<=', now()).executeTakeFirst()
  return Number(result.numDeletedRows)
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
