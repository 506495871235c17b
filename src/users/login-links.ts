import { randomBytes } from 'node:crypto'
import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import type { Db, UserStatus } from '#src/db/schema.ts'
import { addMinutes, now, nowDate } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { type Actor, systemActor } from './actor.ts'
import { RefusalJournal } from './login-throttle.ts'
import { hashToken } from './sessions.ts'
import { type LinkSignIn, openSignedInSession } from './sign-in.ts'
import { findUser } from './user-store.ts'

/**
 * One-time web login links sent by the bot's `/login` (PRODUCT.md §4, COMPLIANCE.md §5): 256 random bits
 * in the link, only their sha256 in `login_links`, five minutes to live, one use. A new link replaces the
 * person's earlier ones, so at most one is alive at a time.
 */

export const LOGIN_LINK_MINUTES = 5
export const LOGIN_LINK_PATH = '/login/telegram'

export const loginLinkMessages = {
  unknown:
    'Ссылка для входа недействительна или заменена более новой. Получите новую командой /login в боте службы поддержки',
  used: 'Эта ссылка для входа уже использована. Получите новую командой /login в боте службы поддержки',
  expired: `Срок действия ссылки для входа истёк (${LOGIN_LINK_MINUTES} минут). Получите новую командой /login в боте службы поддержки`,
  throttled: 'Слишком много попыток входа с этого адреса. Повторите позже',
  notSelf: 'Ссылку для входа можно получить только для себя',
  notFound: 'Пользователь не найден',
} as const

const refusedStatus: Record<Exclude<UserStatus, 'active'>, string> = {
  pending: 'Учётная запись ещё не подтверждена: дождитесь подтверждения куратором',
  rejected: 'Регистрация отклонена: обратитесь в ИТ-отдел',
  deactivated: 'Учётная запись отключена: обратитесь к администратору',
}

export interface NewLoginLink {
  /** Goes into the link; never stored. */
  token: string
  expiresAt: string
}

export function loginLinkUrl(baseUrl: string, token: string): string {
  return `${baseUrl}${LOGIN_LINK_PATH}/${token}`
}

/** Issues a link for the actor themself (the bot acts as the person); only an active account gets one. */
export async function createLoginLink(db: Db, actor: Actor, input: { userId: number }): Promise<NewLoginLink> {
  if (actor.role !== 'system' && actor.id !== input.userId) {
    throw new DomainError('forbidden', loginLinkMessages.notSelf)
  }
  return transact(db, async (tx) => {
    const user = await findUser(tx, input.userId)
    if (!user) throw new DomainError('not_found', loginLinkMessages.notFound)
    if (user.status !== 'active') throw new DomainError('forbidden', refusedStatus[user.status])
    const token = randomBytes(32).toString('base64url')
    const at = now()
    const expiresAt = addMinutes(at, LOGIN_LINK_MINUTES)
    // Earlier links of the person, live or not, are of no further use: one live link at a time. Links
    // dead for a day are swept here too (after a day the «already used» message has served its purpose).
    await tx
      .deleteFrom('login_links')
      .where((eb) => eb.or([eb('user_id', '=', user.id), eb('expires_at', '<', addMinutes(at, -24 * 60))]))
      .execute()
    await tx
      .insertInto('login_links')
      .values({ token_hash: hashToken(token), user_id: user.id, created_at: at, expires_at: expiresAt, used_at: null })
      .execute()
    await audit(tx, actor, {
      action: 'auth.login_link.create',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      description: `Выдана одноразовая ссылка для входа пользователю № ${user.id}`,
      details: { method: 'telegram_link', expiresAt },
    })
    return { token, expiresAt }
  })
}

export interface ConsumeLoginLinkInput {
  token: string
  ip: string | null
  userAgent: string | null
}

export type LinkLoginResult = LinkSignIn

/**
 * Failed link attempts per address within a sliding window, in memory: unguessable tokens need no shared
 * throttle, but the journal needs no flood. (Several instances each keep their own count.)
 */
export class LinkThrottle {
  readonly #failures = new Map<string, number[]>()
  readonly #limit: number
  readonly #windowMs: number
  /** Refusals by this throttle: the first per address and window journaled, then a summary. */
  readonly refusals = new RefusalJournal()

  constructor(limit = 20, windowMinutes = 15) {
    this.#limit = limit
    this.#windowMs = windowMinutes * 60_000
  }

  isBlocked(ip: string | null): boolean {
    if (ip === null) return false
    return this.#recent(ip).length >= this.#limit
  }

  recordFailure(ip: string | null): void {
    if (ip === null) return
    const recent = this.#recent(ip)
    recent.push(nowDate().getTime())
    this.#failures.set(ip, recent)
    if (this.#failures.size > 10_000) this.#prune()
  }

  #recent(ip: string): number[] {
    const since = nowDate().getTime() - this.#windowMs
    return (this.#failures.get(ip) ?? []).filter((t) => t > since)
  }

  #prune(): void {
    for (const ip of [...this.#failures.keys()]) {
      if (this.#recent(ip).length === 0) this.#failures.delete(ip)
    }
  }
}

const defaultThrottle = new LinkThrottle()

/**
 * Signs in by a link: the link is claimed by one conditional update (unused and unexpired), so two
 * concurrent uses open one session. Refusals are journaled as failed logins.
 */
export async function consumeLoginLink(
  db: Db,
  input: ConsumeLoginLinkInput,
  throttle: LinkThrottle = defaultThrottle,
): Promise<LinkLoginResult> {
  const anonymous: Actor = { ...systemActor('web'), ip: input.ip }
  if (throttle.isBlocked(input.ip)) {
    await throttle.refusals.record(db, {
      action: 'auth.login_failed',
      actor: anonymous,
      windowKey: `link:${input.ip ?? 'unknown'}`,
      description: 'Вход по ссылке из Telegram с адреса отклонён: слишком много неудачных попыток',
      details: { method: 'telegram_link' },
    })
    throw new DomainError('rate_limited', loginLinkMessages.throttled)
  }
  try {
    return await transact(db, async (tx) => {
      const at = now()
      const hash = looksLikeToken(input.token) ? hashToken(input.token) : undefined
      const claimed = hash
        ? await tx
            .updateTable('login_links')
            .set({ used_at: at })
            .where('token_hash', '=', hash)
            .where('used_at', 'is', null)
            .where('expires_at', '>', at)
            .returning('user_id')
            .executeTakeFirst()
        : undefined
      if (!claimed) throw await whyUnclaimed(tx, hash)
      const user = await findUser(tx, claimed.user_id)
      if (!user) throw new RefusedLink('unknown', null)
      if (user.status !== 'active') throw new RefusedLink(`status_${user.status}`, user.id, refusedStatus[user.status])
      if (user.totp_enabled === 1) return { codeRequired: true as const, user }
      return openSignedInSession(tx, user.id, {
        channel: 'web',
        ip: input.ip,
        userAgent: input.userAgent,
        description: `Вход пользователя № ${user.id} по одноразовой ссылке из Telegram`,
        details: { method: 'telegram_link' },
      })
    })
  } catch (error) {
    if (!(error instanceof RefusedLink)) throw error
    throttle.recordFailure(input.ip)
    await journalFailure(db, anonymous, error.userId, error.reason)
    throw error.toDomainError()
  }
}

/**
 * Why this link would be refused now, or undefined when it would sign in. Reads only: messengers open
 * links to preview them, so showing the page must neither use the link up nor write the journal.
 */
export async function loginLinkProblem(db: Db, token: string): Promise<string | undefined> {
  if (!looksLikeToken(token)) return loginLinkMessages.unknown
  const link = await db
    .selectFrom('login_links as l')
    .innerJoin('users as u', 'u.id', 'l.user_id')
    .select(['l.used_at', 'l.expires_at', 'u.status'])
    .where('l.token_hash', '=', hashToken(token))
    .executeTakeFirst()
  if (!link) return loginLinkMessages.unknown
  if (link.used_at !== null) return loginLinkMessages.used
  if (link.expires_at <= now()) return loginLinkMessages.expired
  if (link.status !== 'active') return refusedStatus[link.status]
  return undefined
}

/** A refusal inside the claim's transaction: rolled back, then journaled outside it. */
class RefusedLink extends Error {
  readonly reason: string
  readonly userId: number | null
  readonly text: string

  constructor(reason: string, userId: number | null, text: string = loginLinkMessages.unknown) {
    super(reason)
    this.reason = reason
    this.userId = userId
    this.text = text
  }

  toDomainError(): DomainError {
    return new DomainError(this.reason.startsWith('status_') ? 'forbidden' : 'unauthorized', this.text)
  }
}

/** Tells an unknown link from a used or an expired one, for the person's message and the journal. */
async function whyUnclaimed(tx: Db, hash: string | undefined): Promise<RefusedLink> {
  const link = hash
    ? await tx
        .selectFrom('login_links')
        .select(['user_id', 'used_at'])
        .where('token_hash', '=', hash)
        .executeTakeFirst()
    : undefined
  if (!link) return new RefusedLink('unknown', null)
  if (link.used_at !== null) return new RefusedLink('used', link.user_id, loginLinkMessages.used)
  return new RefusedLink('expired', link.user_id, loginLinkMessages.expired)
}

async function journalFailure(db: Db, actor: Actor, userId: number | null, reason: string): Promise<void> {
  await auditDenied(db, actor, {
    action: 'auth.login_failed',
    objectType: userId === null ? null : 'user',
    objectId: userId,
    subjectId: userId,
    description:
      userId !== null
        ? `Неудачный вход пользователя № ${userId} по ссылке из Telegram`
        : 'Неудачный вход по ссылке из Telegram: неизвестная ссылка',
    details: { method: 'telegram_link', reason },
  })
}

/** 32 bytes in base64url are 43 characters; anything else is not ours and costs no query. */
function looksLikeToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token)
}
