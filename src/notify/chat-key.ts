import type { Messenger, User } from '#src/db/schema.ts'

/**
 * A chat with the bot, in one string (issue 15): a Telegram chat by its id as Telegram gives it (`"5001"`, as it
 * always was), a MAX dialog by the person's MAX user id with a prefix (`"max:7000123"`). The bot's tables keyed by a
 * chat (bot_conversations, telegram_messages, telegram_albums) and the outbox's `recipient` hold this key, so the
 * two messengers never share a row, and the dialogues need not know which one they are in.
 */
export type ChatKey = string

const MAX_PREFIX = 'max:'

export function chatKeyOf(messenger: Messenger, id: string | number): ChatKey {
  return messenger === 'max' ? `${MAX_PREFIX}${id}` : String(id)
}

export function messengerOf(key: ChatKey): Messenger {
  return key.startsWith(MAX_PREFIX) ? 'max' : 'telegram'
}

/** The messenger's own id of the chat (Telegram's chat id, MAX's user id). */
export function chatIdOf(key: ChatKey): string {
  return key.startsWith(MAX_PREFIX) ? key.slice(MAX_PREFIX.length) : key
}

/** Which messenger a hospital sends notices by: the one each person wrote from last, or one for everyone. */
export type MessengerPreference = 'last_used' | Messenger

export type Reachable = Pick<
  User,
  'telegram_chat_id' | 'telegram_blocked_at' | 'max_user_id' | 'max_blocked_at' | 'messenger'
>

/** The person's chats that can take a message now, keyed by messenger. */
export function reachableChats(user: Reachable): Partial<Record<Messenger, ChatKey>> {
  const chats: Partial<Record<Messenger, ChatKey>> = {}
  if (user.telegram_chat_id !== null && user.telegram_blocked_at === null) {
    chats.telegram = chatKeyOf('telegram', user.telegram_chat_id)
  }
  if (user.max_user_id !== null && user.max_blocked_at === null) chats.max = chatKeyOf('max', user.max_user_id)
  return chats
}

/**
 * Where a notice to this person goes: the messenger the hospital prefers if they are reachable there, else the one
 * they wrote from last, else whichever reaches them (Telegram first, as before MAX). Undefined: not reachable.
 */
export function noticeChatOf(user: Reachable, preference: MessengerPreference = 'last_used'): ChatKey | undefined {
  const chats = reachableChats(user)
  if (preference !== 'last_used' && chats[preference]) return chats[preference]
  if (user.messenger && chats[user.messenger]) return chats[user.messenger]
  return chats.telegram ?? chats.max
}

/** The columns `noticeChatOf` reads, for a select. */
export const reachColumns = [
  'telegram_chat_id',
  'telegram_blocked_at',
  'max_user_id',
  'max_blocked_at',
  'messenger',
] as const

/** The users row's fields that bind a person to this chat (and clear a block there), for an insert or update. */
export function chatColumns(
  key: ChatKey,
  telegramUsername: string | null = null,
): Partial<
  Pick<
    User,
    'telegram_chat_id' | 'telegram_username' | 'telegram_blocked_at' | 'max_user_id' | 'max_blocked_at' | 'messenger'
  >
> {
  return messengerOf(key) === 'max'
    ? { max_user_id: chatIdOf(key), max_blocked_at: null, messenger: 'max' }
    : {
        telegram_chat_id: chatIdOf(key),
        telegram_username: telegramUsername,
        telegram_blocked_at: null,
        messenger: 'telegram',
      }
}

/** The same fields emptied: the person is no longer bound to a chat of that messenger. */
export function unboundColumns(
  messenger: Messenger,
): Partial<
  Pick<User, 'telegram_chat_id' | 'telegram_username' | 'telegram_blocked_at' | 'max_user_id' | 'max_blocked_at'>
> {
  return messenger === 'max'
    ? { max_user_id: null, max_blocked_at: null }
    : { telegram_chat_id: null, telegram_username: null, telegram_blocked_at: null }
}

/** The person's chat in this messenger, if bound (blocked or not). */
export function chatOfUser(user: Pick<User, 'telegram_chat_id' | 'max_user_id'>, messenger: Messenger): ChatKey | null {
  const id = messenger === 'max' ? user.max_user_id : user.telegram_chat_id
  return id === null ? null : chatKeyOf(messenger, id)
}
