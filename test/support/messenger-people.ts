import type { Config } from '#src/config.ts'
import type { Db, Messenger } from '#src/db/schema.ts'
import type { MaxButton, MaxMessage } from '#src/max/max-types.ts'
import { type ChatKey, chatColumns, chatKeyOf } from '#src/notify/chat-key.ts'
import { botHarness } from './bot-harness.ts'
import type { FakePerson, TgMessage } from './fake-telegram.ts'
import { maxHarness } from './max-harness.ts'

/**
 * One journey, two messengers (issue 15): a person in a chat with the bot as the journeys of test/bot see them,
 * over the Telegram harness (bot-harness.ts) or the MAX one (max-harness.ts). A message is named by its `ref`:
 * Telegram's message_id or MAX's mid, as a string. Buttons are what the person sees: inline buttons under a
 * message (`data` for a callback, `url` for a link), and the menu — Telegram's reply keyboard, MAX's `message` and
 * `request_contact` buttons (MAX has no reply keyboard).
 */

export interface SeenButton {
  text: string
  data?: string
  url?: string
}

export interface SeenMessage {
  ref: string
  text: string
  /** Inline buttons (callbacks and links), in order. */
  buttons: SeenButton[]
}

export interface Press {
  /** What the bot answered to the press (Telegram's callback answer text, MAX's notification). */
  answer(): string | undefined
}

export interface Person {
  readonly id: number
  readonly chatKey: ChatKey
  /** Telegram's `/start <payload>`, MAX's «Начать» (bot_started with the payload). */
  start(payload?: string): void
  send(text: string, options?: { replyTo?: string }): void
  /** The contact button's answer: the person's own contact, or (own: false) someone else's. */
  shareContact(phone: string, options?: { own?: boolean }): void
  sendPhoto(options?: { caption?: string; content?: Buffer }): void
  press(ref: string, data: string): Press
  /** A menu button with this text (sends it), else the newest inline callback button with this text. */
  pressButton(text: string): void
  /** The bot's messages, current content after edits, oldest first. */
  messages(): SeenMessage[]
  /** The bot's newest message; throws when it said nothing. */
  last(): SeenMessage
  lastText(): string
  lastButtons(): SeenButton[]
  /** The newest bot message containing every fragment; throws when there is none. */
  find(...fragments: string[]): SeenMessage
  /** The menu offered last (texts of the reply keyboard's or MAX's message buttons), flat. */
  menu(): string[]
}

export interface MessengerDriver {
  readonly name: Messenger
  readonly db: Db
  readonly config: Config
  person(id: number, names?: { firstName?: string; username?: string }): Person
  chatKey(id: number): ChatKey
  /** Binds an existing users row to this messenger's chat of `id` (as the bot would on registration). */
  bind(userId: number, id: number): Promise<void>
  /** Starts long polling. */
  poll(): void
  /** Waits until every update is applied and the outbox is delivered. */
  settle(): Promise<void>
  close(): Promise<void>
}

export async function messengerDriver(name: Messenger, options: { db?: Db } = {}): Promise<MessengerDriver> {
  const driver = name === 'max' ? await maxDriver(options) : await telegramDriver(options)
  return driver
}

function common(name: Messenger, db: Db): Pick<MessengerDriver, 'name' | 'db' | 'chatKey' | 'bind'> {
  return {
    name,
    db,
    chatKey: (id) => chatKeyOf(name, id),
    async bind(userId, id) {
      await db
        .updateTable('users')
        .set(chatColumns(chatKeyOf(name, id)))
        .where('id', '=', userId)
        .execute()
    },
  }
}

/** The person's view built from their messages: the rest of `Person` is the same in both messengers. */
function viewOf(
  messages: () => SeenMessage[],
): Pick<Person, 'messages' | 'last' | 'lastText' | 'lastButtons' | 'find'> {
  const last = (): SeenMessage => {
    const message = messages().at(-1)
    if (!message) throw new Error('the bot said nothing')
    return message
  }
  return {
    messages,
    last,
    lastText: () => last().text,
    lastButtons: () => last().buttons,
    find(...fragments) {
      const found = messages()
        .filter((m) => fragments.every((f) => m.text.includes(f)))
        .at(-1)
      if (!found) throw new Error(`no bot message with ${fragments.join(' / ')}`)
      return found
    },
  }
}

/** A button of the menu: the contact button answers with a contact, not its text (use `shareContact`). */
interface MenuButton {
  text: string
  contact: boolean
}

/** Whether pressing the menu's button of this text sends the text. */
function sendsText(menu: MenuButton[], text: string): boolean {
  const button = menu.find((b) => b.text === text)
  if (button?.contact) throw new Error(`«${text}» shares a contact: use shareContact`)
  return button !== undefined
}

/** The newest message with a callback button of this text. */
function callbackButton(messages: SeenMessage[], text: string): { ref: string; data: string } {
  for (const message of [...messages].reverse()) {
    const button = message.buttons.find((b) => b.text === text && b.data !== undefined)
    if (button?.data !== undefined) return { ref: message.ref, data: button.data }
  }
  throw new Error(`no button «${text}»`)
}

// ------------------------------------------------------------------ Telegram

async function telegramDriver(options: { db?: Db }): Promise<MessengerDriver> {
  const h = await botHarness(options.db ? { db: options.db } : {})
  const seen = (m: TgMessage): SeenMessage => ({
    ref: String(m.message_id),
    text: m.text ?? m.caption ?? '',
    buttons: (m.reply_markup?.inline_keyboard ?? []).flat().map((b) => ({
      text: b.text,
      ...(b.callback_data !== undefined ? { data: b.callback_data } : {}),
      ...(b.url !== undefined ? { url: b.url } : {}),
    })),
  })
  const menuOf = (chat: FakePerson): MenuButton[] => {
    const keyboard = chat
      .transcript()
      .filter((e) => e.from === 'bot' && e.keyboard !== undefined)
      .at(-1)?.keyboard as { keyboard?: Array<Array<{ text: string; request_contact?: boolean }>> } | undefined
    return (keyboard?.keyboard ?? []).flat().map((b) => ({ text: b.text, contact: b.request_contact === true }))
  }
  return {
    ...common('telegram', h.db),
    config: h.config,
    person(id, names = {}) {
      const chat = h.fake.user(id, names)
      const messages = () => chat.botMessages().map(seen)
      const person: Person = {
        id,
        chatKey: chatKeyOf('telegram', id),
        start: (payload) => void chat.command(payload === undefined ? '/start' : `/start ${payload}`),
        send: (text, o = {}) =>
          void (o.replyTo === undefined ? chat.send(text) : chat.replyTo(Number(o.replyTo), text)),
        shareContact: (phone, o = {}) =>
          void chat.shareContact({ phone, ...(o.own === false ? { userId: id + 1_000_000, firstName: 'Чужой' } : {}) }),
        sendPhoto: (o = {}) =>
          void chat.sendPhoto({
            ...(o.caption !== undefined ? { caption: o.caption } : {}),
            ...(o.content !== undefined ? { content: o.content } : {}),
          }),
        press(ref, data) {
          const { callbackQueryId } = chat.press(Number(ref), data)
          return { answer: () => h.fake.callbackAnswer(callbackQueryId)?.text as string | undefined }
        },
        pressButton(text) {
          if (sendsText(menuOf(chat), text)) {
            chat.send(text)
            return
          }
          const button = callbackButton(messages(), text)
          person.press(button.ref, button.data)
        },
        menu: () => menuOf(chat).map((b) => b.text),
        ...viewOf(messages),
      }
      return person
    },
    poll: () => void h.poll(),
    settle: () => h.settle(),
    close: () => h.close(),
  }
}

// ------------------------------------------------------------------ MAX

function keyboardOf(message: MaxMessage): MaxButton[] {
  return (message.body.attachments ?? []).flatMap((a) =>
    a.type === 'inline_keyboard' ? (a as { payload: { buttons: MaxButton[][] } }).payload.buttons.flat() : [],
  )
}

async function maxDriver(options: { db?: Db }): Promise<MessengerDriver> {
  const h = await maxHarness(options.db ? { db: options.db } : {})
  const seen = (m: MaxMessage): SeenMessage => ({
    ref: m.body.mid,
    text: m.body.text ?? '',
    buttons: keyboardOf(m).flatMap((b): SeenButton[] =>
      b.type === 'callback'
        ? [{ text: b.text, data: b.payload }]
        : b.type === 'link'
          ? [{ text: b.text, url: b.url }]
          : [],
    ),
  })
  const menuOf = (messages: MaxMessage[]): MenuButton[] => {
    const menu = (m: MaxMessage) => keyboardOf(m).filter((b) => b.type === 'message' || b.type === 'request_contact')
    const newest =
      [...messages]
        .reverse()
        .map(menu)
        .find((buttons) => buttons.length > 0) ?? []
    return newest.map((b) => ({ text: b.text, contact: b.type === 'request_contact' }))
  }
  return {
    ...common('max', h.db),
    config: h.config,
    person(id, names = {}) {
      const chat = h.fake.user(id, names)
      const messages = () => chat.botMessages().map(seen)
      const person: Person = {
        id,
        chatKey: chatKeyOf('max', id),
        start: (payload) => void chat.start(payload),
        send: (text, o = {}) => void chat.send(text, o.replyTo === undefined ? {} : { replyTo: o.replyTo }),
        shareContact: (phone, o = {}) =>
          void chat.shareContact({ phone, ...(o.own === false ? { userId: id + 1_000_000, name: 'Чужой' } : {}) }),
        sendPhoto: (o = {}) =>
          void chat.sendPhoto({
            ...(o.caption !== undefined ? { caption: o.caption } : {}),
            ...(o.content !== undefined ? { content: o.content } : {}),
          }),
        press(ref, data) {
          const { callbackId } = chat.press(ref, data)
          return { answer: () => h.fake.callbackAnswer(callbackId)?.notification as string | undefined }
        },
        pressButton(text) {
          // A `message` button sends its text, as a reply keyboard's button does.
          if (sendsText(menuOf(chat.botMessages()), text)) {
            chat.send(text)
            return
          }
          const button = callbackButton(messages(), text)
          person.press(button.ref, button.data)
        },
        menu: () => menuOf(chat.botMessages()).map((b) => b.text),
        ...viewOf(messages),
      }
      return person
    },
    poll: () => void h.poll(),
    settle: () => h.settle(),
    close: () => h.close(),
  }
}
