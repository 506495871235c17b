import { Context } from 'grammy'
import type { Update } from 'grammy/types'
import type { Transaction } from 'kysely'
import type { Config } from '#src/config.ts'
import type { Database, Messenger, User } from '#src/db/schema.ts'
import type { Logger } from '#src/logger.ts'
import { type ChatKey, chatKeyOf } from '#src/notify/chat-key.ts'
import { type BotMessage, enqueueBotMessage } from '#src/notify/outbox.ts'
import { type ConversationState, clearConversation, loadConversation, saveConversation } from './conversation-store.ts'

/**
 * What the bot's handlers work with. An update is applied by apply-update.ts inside one transaction;
 * the scope below carries that transaction (and what is found along the way) to the handlers. grammY
 * builds the context itself, so the scope is looked up by the update object it was given.
 */
export interface UpdateScope {
  /** The update's transaction: the inbox row, the use cases' rows and the replies commit together. */
  readonly tx: Transaction<Database>
  /** The messenger the update came from: the features' replies go back there (issue 15). */
  readonly messenger: Messenger
  readonly config: Config
  readonly logger: Logger
  /** The users row of this chat, if any (loaded before the features run). */
  person: User | undefined
  /** What to answer the callback query with, after the commit (apply-update.ts). */
  callbackAnswer: { text: string; showAlert: boolean } | undefined
  /** What the applier's `prepare` hook produced outside the transaction (e.g. downloaded files), if any. */
  readonly prepared: unknown
}

const scopes = new WeakMap<Update, UpdateScope>()

/** Binds a scope to an update for the time it is handled (apply-update.ts). */
export function bindScope(update: Update, scope: UpdateScope): () => void {
  scopes.set(update, scope)
  return () => {
    scopes.delete(update)
  }
}

export interface ConversationHandle {
  get(): Promise<ConversationState | undefined>
  set(state: ConversationState): Promise<void>
  clear(): Promise<void>
}

export class BotContext extends Context {
  get scope(): UpdateScope {
    const scope = scopes.get(this.update)
    if (!scope) throw new Error('an update must be applied through applyUpdate (src/bot/apply-update.ts)')
    return scope
  }

  get tx(): Transaction<Database> {
    return this.scope.tx
  }

  get person(): User | undefined {
    return this.scope.person
  }

  set person(user: User | undefined) {
    this.scope.person = user
  }

  /** The private chat as we store it: its key in its messenger (notify/chat-key.ts). Only private chats reach the features. */
  get chatKey(): ChatKey {
    const chat = this.chat
    if (!chat) throw new Error('update without a chat')
    return chatKeyOf(this.scope.messenger, chat.id)
  }

  /** The chat's dialogue state (bot_conversations), read and written in the update's transaction. */
  get conversation(): ConversationHandle {
    const tx = this.tx
    const chatId = this.chatKey
    return {
      get: () => loadConversation(tx, chatId),
      set: (state) => saveConversation(tx, chatId, state),
      clear: () => clearConversation(tx, chatId),
    }
  }

  /** Says something in this chat: an outbox row committed with the update's effects, sent by the worker. */
  async say(message: BotMessage): Promise<void> {
    await enqueueBotMessage(this.tx, this.chatKey, message, { userId: this.person?.id ?? null })
  }

  /** The answer to this callback query, sent after the commit (the one direct API call the bot makes). */
  answerLater(text = '', showAlert = false): void {
    this.scope.callbackAnswer = { text, showAlert }
  }

  /** The id of the message whose inline button was pressed, to edit it so the button cannot be pressed twice. */
  get pressedMessageId(): number | undefined {
    const message = this.callbackQuery?.message
    return message && message.date !== 0 ? message.message_id : undefined
  }
}
