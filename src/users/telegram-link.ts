import { createHmac, randomInt } from 'node:crypto'
import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import type { Db, User } from '#src/db/schema.ts'
import { addMinutes, now, nowDate } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { chatColumns, chatOfUser, messengerOf, unboundColumns } from '#src/notify/chat-key.ts'
import { enqueueBotMessage } from '#src/notify/outbox.ts'
import { type Actor, actorFromUser, systemActor } from './actor.ts'
import { LoginThrottle, type ThrottleKey, type ThrottleRule } from './login-throttle.ts'
import { findUser, findUserByChatId } from './user-store.ts'

/**
 * Linking Telegram to a web account (issue 9). An account made on the web or by the CLI has no chat: the
 * person asks for a code on their profile and sends it to the bot as `/start link_<code>` (the deep link
 * `https://t.me/<bot>?start=link_<code>` does that by one tap); the bot binds that chat to the account.
 *
 * The code is short enough to type: 10 characters of Crockford's base32 (50 random bits). Only its HMAC
 * under SECRET_KEY is stored, one per account (a new code replaces the older), 15 minutes to live, one use
 * claimed by one conditional update. Guesses are counted per chat in login_throttle (keyed by an HMAC of
 * the chat id, never the id itself): 5 are free, then each waits twice as long as the one before, from a
 * minute up to an hour; a right code does not wipe the count. With at most one live code per account, 50 bits and that pace, guessing anyone's
 * code from any number of chats is hopeless.
 *
 * The journal holds ids only (COMPLIANCE.md §4): the chat ids, old and new, are personal data and stay out
 * of it; whether a chat was replaced or moved from another account is said by flags and user ids.
 */

export const TELEGRAM_LINK_MINUTES = 15
/** The deep link's payload and the command's argument start with this. */
export const TELEGRAM_LINK_PREFIX = 'link_'
const CODE_LENGTH = 10
/** Crockford's base32: no I, L, O or U, which are read as 1, 1, 0 or are left out. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

export const telegramLinkMessages = {
  unknown:
    'Код привязки не подошёл: он неверен или заменён более новым. Получите новый код в профиле на сайте службы поддержки («Привязать Telegram»)',
  used: 'Этот код привязки уже использован. Если нужно привязать Telegram снова, получите новый код в профиле на сайте',
  expired: `Срок действия кода привязки истёк (${TELEGRAM_LINK_MINUTES} минут). Получите новый код в профиле на сайте`,
  throttled: 'Слишком много неверных кодов из этого чата. Повторите попытку позже',
  inactive: 'Учётная запись не активна, привязать к ней Telegram нельзя. Обратитесь к администратору',
  chatTaken:
    'Этот Telegram уже привязан к другой учётной записи службы поддержки. Если это ошибка, обратитесь в ИТ-отдел',
  chatPending:
    'С этого Telegram отправлена регистрация, она ещё не рассмотрена. Обратитесь в ИТ-отдел: после решения по ней Telegram можно будет привязать',
  notSelf: 'Привязать Telegram можно только к своей учётной записи',
  notLinked: 'Telegram не привязан к учётной записи',
  onlyWay:
    'Telegram — единственный способ входа в Вашу учётную запись (пароля нет), поэтому отвязать его нельзя. Обратитесь к администратору',
} as const

export interface NewTelegramLink {
  /** Shown to the person once; never stored. */
  code: string
  expiresAt: string
}

/** The deep link that sends `/start link_<code>` to the bot, where its username is known. */
export function telegramLinkUrl(botUsername: string, code: string): string {
  return `https://t.me/${botUsername}?start=${TELEGRAM_LINK_PREFIX}${code}`
}

/** Issues a code for the actor's own account; the older code, used or not, is replaced. */
export async function issueTelegramLink(db: Db, actor: Actor, input: { secretKey: string }): Promise<NewTelegramLink> {
  if (actor.id === null || actor.status !== 'active') throw new DomainError('forbidden', telegramLinkMessages.notSelf)
  const userId = actor.id
  return transact(db, async (tx) => {
    const user = await findUser(tx, userId)
    if (user?.status !== 'active') throw new DomainError('forbidden', telegramLinkMessages.inactive)
    const code = Array.from({ length: CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')
    const at = now()
    const expiresAt = addMinutes(at, TELEGRAM_LINK_MINUTES)
    const row = { code_hash: codeHash(input.secretKey, code), created_at: at, expires_at: expiresAt, used_at: null }
    await tx
      .insertInto('telegram_links')
      .values({ user_id: user.id, ...row })
      .onConflict((oc) => oc.column('user_id').doUpdateSet(row))
      .execute()
    await audit(tx, actor, {
      action: 'user.telegram_link.create',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      description: `Выдан код привязки Telegram пользователю № ${user.id}`,
      details: { expiresAt },
    })
    return { code, expiresAt }
  })
}

export interface RedeemTelegramLinkInput {
  /** What followed `link_`, as typed or tapped. */
  code: string
  /** The private chat that sent it: its chat key (notify/chat-key.ts; a Telegram chat id as users.telegram_chat_id). */
  chatId: string
  telegramUsername: string | null
  secretKey: string
  /** The Telegram update, for the journal. */
  updateId?: number
}

export interface TelegramLinkResult {
  user: User
  /** The account was linked to another chat before, which is now replaced. */
  replaced: boolean
  /** The chat was linked to this account already: nothing changed but the code was spent. */
  unchanged: boolean
}

/**
 * The rule for guesses per chat: 5 free, then 1 minute doubling up to an hour, forgotten after a day. A
 * right code gives its own attempt back but forgets no earlier wrong one: otherwise one's own fresh codes
 * would reset the count between guesses.
 */
const guessRule: ThrottleRule = {
  free: 5,
  firstDelayMs: 60_000,
  maxDelayMs: 60 * 60_000,
  forgetAfterMs: 24 * 60 * 60_000,
  onSuccess: 'give_back',
}

/** Throttled attempts of one chat are journaled once per window this long; the next row says how many more. */
const REFUSAL_WINDOW_MS = 10 * 60_000

/**
 * The guesses per chat (counted in the database, shared by every instance) and the journal's windows of
 * throttled attempts (per process). The login throttle's own refusal windows are kept per database handle;
 * the bot passes a new transaction with every update, so the windows here are keyed by the chat alone.
 */
export class TelegramLinkThrottle {
  readonly counts = new LoginThrottle({ rules: { pair: guessRule, wide: guessRule } })
  readonly #windows = new Map<string, { startedAt: number; more: number }>()

  /** Whether to journal this throttled attempt, and how many of the chat's went unjournaled before it. */
  refused(key: string): { journal: boolean; repeated: number } {
    const at = nowDate().getTime()
    const open = this.#windows.get(key)
    if (open && at - open.startedAt < REFUSAL_WINDOW_MS) {
      open.more++
      return { journal: false, repeated: 0 }
    }
    this.#windows.set(key, { startedAt: at, more: 0 })
    // A flood from very many chats forgets the ended windows rather than growing the map without end.
    if (this.#windows.size > 10_000) {
      for (const [k, w] of this.#windows) if (at - w.startedAt >= REFUSAL_WINDOW_MS) this.#windows.delete(k)
    }
    return { journal: true, repeated: open?.more ?? 0 }
  }
}

/** A throttle of its own (tests make a fresh one; the app has one per process). */
export function telegramLinkThrottle(): TelegramLinkThrottle {
  return new TelegramLinkThrottle()
}

const defaultThrottle = telegramLinkThrottle()

/**
 * Binds the chat to the account whose code it is. Every refusal changes nothing, is journaled and, where
 * the code was not right, counts as a guess of this chat. Called with the bot's update transaction, the
 * guess and the refusal's journal row commit with the update although the refusal is thrown (the claim
 * runs in a savepoint of its own).
 *
 * A chat of another active account is refused, and so is one whose registration is pending (a curator is
 * about to decide it); a chat left on a rejected or deactivated account moves to this one.
 */
export async function redeemTelegramLink(
  db: Db,
  input: RedeemTelegramLinkInput,
  guard: TelegramLinkThrottle = defaultThrottle,
): Promise<TelegramLinkResult> {
  const throttle = guard.counts
  const anonymous = systemActor('bot')
  const keys = chatKeys(input.secretKey, input.chatId)
  const details = input.updateId === undefined ? {} : { updateId: input.updateId }
  if (!(await throttle.reserve(db, keys))) {
    const { journal, repeated } = guard.refused(keys[0]?.key ?? '')
    if (journal) {
      await auditDenied(db, anonymous, {
        action: 'user.telegram_link.refused',
        description: 'Привязка Telegram отклонена: слишком много неверных кодов из этого чата',
        details: { reason: 'throttled', ...(repeated > 0 ? { repeatedBefore: repeated } : {}), ...details },
      })
    }
    throw new DomainError('rate_limited', telegramLinkMessages.throttled)
  }
  const hash = codeHash(input.secretKey, normalizeCode(input.code))
  try {
    const result = await transact(db, (tx) => link(tx, hash, input))
    await throttle.release(db, keys)
    return result
  } catch (error) {
    if (!(error instanceof LinkRefusal)) throw error
    // A right code refused for the account's or the chat's sake is no guess.
    if (error.subjectId !== null) await throttle.release(db, keys)
    await auditDenied(db, anonymous, {
      action: 'user.telegram_link.refused',
      objectType: error.subjectId === null ? null : 'user',
      objectId: error.subjectId,
      subjectId: error.subjectId,
      description:
        error.subjectId === null
          ? 'Отклонена привязка Telegram по неверному коду'
          : `Отклонена привязка Telegram к учётной записи пользователя № ${error.subjectId}`,
      details: { reason: error.reason, ...error.details, ...details },
    })
    throw new DomainError(error.code, error.message)
  }
}

/** The claim and the binding, in one transaction (a savepoint of the bot's update). */
async function link(tx: Db, hash: string, input: RedeemTelegramLinkInput): Promise<TelegramLinkResult> {
  const at = now()
  const claimed = await tx
    .updateTable('telegram_links')
    .set({ used_at: at })
    .where('code_hash', '=', hash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .returning('user_id')
    .executeTakeFirst()
  if (!claimed) {
    const row = await tx
      .selectFrom('telegram_links')
      .select(['used_at', 'expires_at'])
      .where('code_hash', '=', hash)
      .executeTakeFirst()
    if (!row) throw new LinkRefusal('unknown', null)
    throw row.used_at !== null ? new LinkRefusal('used', null) : new LinkRefusal('expired', null)
  }
  const user = await findUser(tx, claimed.user_id)
  if (user?.status !== 'active') throw new LinkRefusal('inactive', claimed.user_id)
  const actor = actorFromUser(user, 'bot')

  const messenger = messengerOf(input.chatId)
  const messengerName = messenger === 'max' ? 'MAX' : 'Telegram'
  // Telegram's rows keep their old shape in the journal; MAX's say so.
  const messengerDetail = messenger === 'max' ? { messenger } : {}
  const holder = await findUserByChatId(tx, input.chatId)
  if (holder && holder.id !== user.id) {
    if (holder.status === 'active') throw new LinkRefusal('chatTaken', user.id, { otherUserId: holder.id })
    if (holder.status === 'pending') throw new LinkRefusal('chatPending', user.id, { otherUserId: holder.id })
    // A rejected or deactivated account keeps no chat that its owner now links to an account in use.
    await tx
      .updateTable('users')
      .set({ ...unboundColumns(messenger), updated_at: at })
      .where('id', '=', holder.id)
      .execute()
    await audit(tx, actor, {
      action: 'user.telegram_unlink',
      objectType: 'user',
      objectId: holder.id,
      subjectId: holder.id,
      pdn: true,
      description: `${messengerName} отвязан от учётной записи пользователя № ${holder.id}: привязан к учётной записи № ${user.id}`,
      details: { reason: 'moved', toUserId: user.id, holderStatus: holder.status, ...messengerDetail },
    })
  }

  const unchanged = holder?.id === user.id
  const oldChat = unchanged ? null : chatOfUser(user, messenger)
  const updated = await tx
    .updateTable('users')
    .set({ ...chatColumns(input.chatId, input.telegramUsername), updated_at: at })
    .where('id', '=', user.id)
    .returningAll()
    .executeTakeFirstOrThrow()
  if (oldChat !== null) {
    // The dialogue of the old chat was this account's; the old chat is told, in case it was not its owner.
    await tx.deleteFrom('bot_conversations').where('chat_id', '=', oldChat).execute()
    if ((messenger === 'max' ? user.max_blocked_at : user.telegram_blocked_at) === null) {
      await enqueueBotMessage(tx, oldChat, { text: relinkedNotice(messengerName) }, { userId: user.id })
    }
  }
  await audit(tx, actor, {
    action: 'user.telegram_link.use',
    objectType: 'user',
    objectId: user.id,
    subjectId: user.id,
    pdn: true,
    description: unchanged
      ? `Код привязки ${messengerName} использован: чат уже был привязан к учётной записи пользователя № ${user.id}`
      : `${messengerName} привязан к учётной записи пользователя № ${user.id} по коду из профиля`,
    details: {
      ...messengerDetail,
      replaced: oldChat !== null,
      unchanged,
      movedFromUserId: holder && holder.id !== user.id ? holder.id : null,
      withUsername: input.telegramUsername !== null,
      ...(input.updateId === undefined ? {} : { updateId: input.updateId }),
    },
  })
  return { user: updated, replaced: oldChat !== null, unchanged }
}

const relinkedNotice = (messenger: string) =>
  `Ваша учётная запись службы поддержки привязана к другому ${messenger}: уведомления сюда больше не придут. Если это сделали не Вы, срочно обратитесь в ИТ-отдел.`

/**
 * Unlinks one's own Telegram (the profile's «Отвязать»). An account with no password to sign in with
 * keeps its chat: without it the person could not sign in at all.
 */
export async function unlinkTelegram(db: Db, actor: Actor): Promise<User> {
  if (actor.id === null || actor.status !== 'active') throw new DomainError('forbidden', telegramLinkMessages.notSelf)
  const userId = actor.id
  return transact(db, async (tx) => {
    const user = await findUser(tx, userId)
    if (user?.status !== 'active') throw new DomainError('forbidden', telegramLinkMessages.inactive)
    if (user.telegram_chat_id === null) throw new DomainError('conflict', telegramLinkMessages.notLinked)
    if (user.login === null || (user.password_hash === null && user.auth_source === 'local')) {
      throw new DomainError('conflict', telegramLinkMessages.onlyWay)
    }
    const at = now()
    await tx.deleteFrom('bot_conversations').where('chat_id', '=', user.telegram_chat_id).execute()
    const updated = await tx
      .updateTable('users')
      .set({ telegram_chat_id: null, telegram_username: null, telegram_blocked_at: null, updated_at: at })
      .where('id', '=', user.id)
      .returningAll()
      .executeTakeFirstOrThrow()
    await audit(tx, actor, {
      action: 'user.telegram_unlink',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      pdn: true,
      description: `Пользователь № ${user.id} отвязал Telegram от своей учётной записи`,
      details: { reason: 'self' },
    })
    return updated
  })
}

/** As typed: case, spaces and dashes do not matter; I and L are read as 1, O as 0. */
export function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0').slice(0, 64)
}

function codeHash(secretKey: string, code: string): string {
  return createHmac('sha256', secretKey).update(`telegram-link:${code}`).digest('hex')
}

/** The chat's throttle key: an HMAC of its id, so that login_throttle holds no Telegram id. */
function chatKeys(secretKey: string, chatId: string): ThrottleKey[] {
  const digest = createHmac('sha256', secretKey).update(`telegram-link-chat:${chatId}`).digest('hex').slice(0, 32)
  return [{ key: `telegram-link:${digest}`, subject: null, rule: guessRule }]
}

type RefusalReason = 'unknown' | 'used' | 'expired' | 'inactive' | 'chatTaken' | 'chatPending'

const refusalCodes: Record<RefusalReason, DomainError['code']> = {
  unknown: 'validation',
  used: 'validation',
  expired: 'validation',
  inactive: 'forbidden',
  chatTaken: 'conflict',
  chatPending: 'conflict',
}

/** A refusal inside the claim's savepoint: rolled back, then journaled and thrown as a DomainError. */
class LinkRefusal extends Error {
  readonly code: DomainError['code']
  readonly reason: RefusalReason
  /** The account whose (right) code it was; null when the code was not right. */
  readonly subjectId: number | null
  readonly details: Record<string, unknown>

  constructor(reason: RefusalReason, subjectId: number | null, details: Record<string, unknown> = {}) {
    super(telegramLinkMessages[reason])
    this.code = refusalCodes[reason]
    this.reason = reason
    this.subjectId = subjectId
    this.details = details
  }
}
