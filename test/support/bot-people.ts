import type { Db, User } from '#src/db/schema.ts'
import type { BotHarness } from './bot-harness.ts'
import { buildCategory, buildGroup, buildUser } from './factories.ts'
import type { FakePerson, TgMessage } from './fake-telegram.ts'

/** What the bot journeys (test/bot) read of a chat, and the people they start from. */

/** The bot's newest message in the person's chat; the test fails if the bot said nothing. */
export function lastSaid(person: FakePerson): TgMessage {
  const message = person.lastBotMessage()
  if (!message) throw new Error('the bot said nothing')
  return message
}

/** The reply keyboard (or its removal) the bot sent last in the person's chat. */
export function sentKeyboard(person: FakePerson): unknown {
  return person
    .transcript()
    .filter((e) => e.from === 'bot' && e.keyboard !== undefined)
    .at(-1)?.keyboard
}

/** Waits until every update is applied and the outbox delivered, then reads the bot's newest message. */
export async function settledLastSaid(h: BotHarness, person: FakePerson): Promise<TgMessage> {
  await h.settle()
  return lastSaid(person)
}

/** The callback data of the message's inline buttons, in order. */
export function buttonData(message: TgMessage | undefined): string[] {
  return (message?.reply_markup?.inline_keyboard ?? [])
    .flat()
    .flatMap((b) => (b.callback_data ? [b.callback_data] : []))
}

/** The links of the message's inline buttons, in order. */
export function buttonUrls(message: TgMessage): string[] {
  return (message.reply_markup?.inline_keyboard ?? []).flat().flatMap((b) => (b.url ? [b.url] : []))
}

export interface TicketPeople {
  /** «Иванова Мария», who files tickets. */
  requester: User
  /** «Петров Пётр» first, then «Сидоров Сидор»: one for each chat asked for. */
  executors: User[]
  /** A category whose tickets go to the executors' group. */
  categoryId: number
}

/** A requester and executors with Telegram chats, and a category routed to the executors' group. */
export async function ticketPeople(
  db: Db,
  chats: { requester: number; executors: number[] },
  names: { group: string; category: string },
): Promise<TicketPeople> {
  const requester = await buildUser(db, { telegramChatId: String(chats.requester), fullName: 'Иванова Мария' })
  const fullNames = ['Петров Пётр', 'Сидоров Сидор']
  const executors: User[] = []
  for (const [i, chat] of chats.executors.entries()) {
    executors.push(
      await buildUser(db, {
        role: 'executor',
        telegramChatId: String(chat),
        fullName: fullNames[i] ?? `Исполнитель ${i}`,
      }),
    )
  }
  const group = await buildGroup(
    db,
    names.group,
    executors.map((e) => e.id),
  )
  const category = await buildCategory(db, { name: names.category, defaultGroupId: group.id })
  return { requester, executors, categoryId: category.id }
}
