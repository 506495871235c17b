/**
 * The parts of the MAX Bot API's objects that we use, as the published OpenAPI schema (dev.max.ru/docs-api,
 * version 0.0.32) describes them. Fields we never read are left out; unknown fields are kept by the JSON parse
 * and ignored. Times are Unix milliseconds. Ids are int64 in the schema: they fit a JS number (< 2^53) in
 * every payload seen, and the schema's own examples use numbers.
 */

export interface MaxUser {
  user_id: number
  first_name: string
  last_name?: string | null
  username: string | null
  is_bot: boolean
  last_activity_time?: number
  /** Deprecated by MAX in favour of first_name / last_name. */
  name?: string | null
}

export interface MaxBotInfo extends MaxUser {
  description?: string | null
  avatar_url?: string
  full_avatar_url?: string
  commands?: Array<{ name: string; description?: string | null }> | null
}

export type MaxChatType = 'dialog' | 'chat' | 'channel'

export interface MaxRecipient {
  chat_id: number | null
  chat_type: MaxChatType
  user_id?: number | null
}

// ------------------------------------------------------------------ buttons and attachments

export interface MaxCallbackButton {
  type: 'callback'
  /** 1–128 characters; MAX advises ≤ 20 with one button a row. */
  text: string
  /** At most 1024 characters: what the bot gets back in `message_callback`. */
  payload: string
}

export interface MaxLinkButton {
  type: 'link'
  text: string
  /** At most 2048 characters. */
  url: string
}

/** Asks the person to share their own contact: the client then sends a message with a `contact` attachment. */
export interface MaxRequestContactButton {
  type: 'request_contact'
  text: string
}

export interface MaxMessageButton {
  type: 'message'
  text: string
}

export type MaxButton = MaxCallbackButton | MaxLinkButton | MaxRequestContactButton | MaxMessageButton

/** Media as MAX sends it in an incoming message: `url` downloads it, `token` re-sends it. */
export interface MaxMediaPayload {
  url: string
  token: string
}

export interface MaxImageAttachment {
  type: 'image'
  payload: MaxMediaPayload & { photo_id: number }
}

export interface MaxFileAttachment {
  type: 'file'
  payload: MaxMediaPayload
  filename: string
  size: number
}

export interface MaxVideoAttachment {
  type: 'video'
  payload: MaxMediaPayload
}

export interface MaxAudioAttachment {
  type: 'audio'
  payload: MaxMediaPayload
}

export interface MaxContactAttachment {
  type: 'contact'
  payload: {
    /** The contact as a vCard: the phone is in a TEL line. */
    vcf_info?: string | null
    /** Set when MAX vouches that the phone is the one bound to the sender's account. */
    hash?: string | null
    /** The MAX account the contact belongs to, when it has one. */
    max_info?: MaxUser | null
  }
}

export interface MaxInlineKeyboardAttachment {
  type: 'inline_keyboard'
  payload: { buttons: MaxButton[][] }
}

export interface MaxStickerAttachment {
  type: 'sticker'
  payload: { url: string; code: string }
}

export interface MaxLocationAttachment {
  type: 'location'
  latitude: number
  longitude: number
}

/** Anything else MAX may add (share, …): kept, not interpreted. */
export interface MaxOtherAttachment {
  type: 'share'
  payload?: unknown
}

export type MaxAttachment =
  | MaxImageAttachment
  | MaxFileAttachment
  | MaxVideoAttachment
  | MaxAudioAttachment
  | MaxContactAttachment
  | MaxInlineKeyboardAttachment
  | MaxStickerAttachment
  | MaxLocationAttachment
  | MaxOtherAttachment

/** What an upload yields, ready to put into `attachments` of a new message. */
export type MaxUploadedAttachment =
  | { type: 'image'; payload: { token?: string; photos?: Record<string, { token: string }> } }
  | { type: 'file' | 'video' | 'audio'; payload: { token: string } }

export type MaxAttachmentRequest =
  | MaxUploadedAttachment
  | { type: 'image'; payload: { url: string } }
  | { type: 'inline_keyboard'; payload: { buttons: MaxButton[][] } }

// ------------------------------------------------------------------ messages

export interface MaxMessageBody {
  /** The message id, e.g. `mid.0000…`: what edits and deletes name. */
  mid: string
  seq: number
  text: string | null
  attachments?: MaxAttachment[] | null
}

export interface MaxLinkedMessage {
  type: 'forward' | 'reply'
  sender?: MaxUser | null
  chat_id?: number
  message: MaxMessageBody
}

export interface MaxMessage {
  sender?: MaxUser | null
  recipient: MaxRecipient
  timestamp: number
  link?: MaxLinkedMessage | null
  body: MaxMessageBody
  url?: string | null
}

/** The body of POST /messages and PUT /messages (`NewMessageBody`). */
export interface MaxNewMessage {
  /** At most 4000 characters. */
  text?: string | null
  /** On an edit: `undefined`/`null` keeps the attachments, `[]` removes them all. */
  attachments?: MaxAttachmentRequest[] | null
  /** A reply to (or forward of) a message of the chat. */
  link?: { type: 'reply' | 'forward'; mid: string } | null
  /** false: the chat's members are not notified. Default true. */
  notify?: boolean
  format?: 'markdown' | 'html' | null
}

// ------------------------------------------------------------------ updates

interface UpdateBase {
  /** Unix ms of the event. */
  timestamp: number
  user_locale?: string | null
}

export interface MaxMessageCreatedUpdate extends UpdateBase {
  update_type: 'message_created'
  message: MaxMessage
}

export interface MaxMessageEditedUpdate extends UpdateBase {
  update_type: 'message_edited'
  message: MaxMessage
}

export interface MaxMessageRemovedUpdate extends UpdateBase {
  update_type: 'message_removed'
  message_id: string
  chat_id: number
  user_id: number
}

export interface MaxMessageCallbackUpdate extends UpdateBase {
  update_type: 'message_callback'
  callback: { timestamp: number; callback_id: string; payload?: string; user: MaxUser }
  /** The message with the keyboard; null when it was deleted meanwhile. */
  message: MaxMessage | null
}

/** A person opened the dialog (or came back after stopping the bot), possibly through a deep link. */
export interface MaxBotStartedUpdate extends UpdateBase {
  update_type: 'bot_started'
  chat_id: number
  user: MaxUser
  /** The deep link's `start` parameter (https://max.ru/<bot>?start=<payload>), at most 512 characters. */
  payload?: string | null
}

export interface MaxBotStoppedUpdate extends UpdateBase {
  update_type: 'bot_stopped'
  chat_id: number
  user: MaxUser
}

export interface MaxDialogUpdate extends UpdateBase {
  update_type: 'dialog_cleared' | 'dialog_removed' | 'dialog_muted' | 'dialog_unmuted'
  chat_id: number
  user: MaxUser
}

export interface MaxChatMemberUpdate extends UpdateBase {
  update_type: 'bot_added' | 'bot_removed' | 'user_added' | 'user_removed'
  chat_id: number
  user: MaxUser
  is_channel: boolean
}

export type MaxUpdate =
  | MaxMessageCreatedUpdate
  | MaxMessageEditedUpdate
  | MaxMessageRemovedUpdate
  | MaxMessageCallbackUpdate
  | MaxBotStartedUpdate
  | MaxBotStoppedUpdate
  | MaxDialogUpdate
  | MaxChatMemberUpdate

export type MaxUpdateType = MaxUpdate['update_type']

export const MAX_UPDATE_TYPES = [
  'message_created',
  'message_edited',
  'message_removed',
  'message_callback',
  'bot_started',
  'bot_stopped',
  'dialog_cleared',
  'dialog_removed',
  'dialog_muted',
  'dialog_unmuted',
  'bot_added',
  'bot_removed',
  'user_added',
  'user_removed',
] as const satisfies readonly MaxUpdateType[]

export interface MaxSubscription {
  url: string
  time: number
  update_types?: MaxUpdateType[] | null
}

/** The error body of every failed call: `code` for programs, `message` for people. */
export interface MaxErrorBody {
  code: string
  message: string
}
