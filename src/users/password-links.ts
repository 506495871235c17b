import { randomBytes } from 'node:crypto'
import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import type { Db, Tx, User } from '#src/db/schema.ts'
import { addMinutes, now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { noticeChatOf } from '#src/notify/chat-key.ts'
import { enqueueBotMessage, messengerPreference } from '#src/notify/outbox.ts'
import { type Actor, actorFromUser, systemActor } from './actor.ts'
import { currentConsentText, latestConsent, recordConsentGiven } from './consent.ts'
import { LinkThrottle } from './login-links.ts'
import { hashPassword, passwordProblem } from './passwords.ts'
import { hashToken, revokeUserSessions } from './sessions.ts'
import { type LinkSignIn, openSignedInSession } from './sign-in.ts'
import { findUser } from './user-store.ts'

/**
 * One-time «установить пароль» links (issue 9): an account made by an admin or curator (or the CLI), or
 * one whose password is reset, gets a link instead of a typed password. The same pieces as the bot's
 * login links: 256 random bits in the link, only their sha256 stored, one use claimed by one conditional
 * update; 24 hours to live, and a new link replaces the person's earlier ones.
 */

export const PASSWORD_LINK_HOURS = 24
export const PASSWORD_LINK_PATH = '/password/set'

export const passwordLinkMessages = {
  unknown:
    'Ссылка для установки пароля недействительна или заменена более новой. Попросите администратора выдать новую',
  used: 'Эта ссылка для установки пароля уже использована. Войдите с паролем или попросите администратора выдать новую ссылку',
  expired: `Срок действия ссылки для установки пароля истёк (${PASSWORD_LINK_HOURS} часа). Попросите администратора выдать новую`,
  inactive: 'Учётная запись не активна: обратитесь к администратору',
  noLogin: 'У учётной записи нет логина для входа на сайт: обратитесь к администратору',
  /** An LDAP account (auth_source 'ldap'): its password is the directory's; ours is never set. */
  ldap: 'Пароль этой учётной записи задаётся в Active Directory',
  mismatch: 'Пароли не совпадают',
  consent: 'Чтобы пользоваться службой поддержки, подтвердите согласие на обработку персональных данных',
  throttled: 'Слишком много попыток с этого адреса. Повторите позже',
} as const

export interface NewPasswordLink {
  /** Goes into the link; never stored. */
  token: string
  expiresAt: string
}

export function passwordLinkUrl(baseUrl: string, token: string): string {
  return `${baseUrl}${PASSWORD_LINK_PATH}/${token}`
}

/**
 * Issues a link inside the caller's transaction: the use cases that create an account or reset a
 * password check the permission and call this. Earlier links of the person die with it.
 */
export async function issuePasswordLink(tx: Tx, actor: Actor, user: User): Promise<NewPasswordLink> {
  if (user.login === null) throw new DomainError('validation', passwordLinkMessages.noLogin)
  if (user.auth_source === 'ldap') throw new DomainError('conflict', passwordLinkMessages.ldap)
  const token = randomBytes(32).toString('base64url')
  const at = now()
  const expiresAt = addMinutes(at, PASSWORD_LINK_HOURS * 60)
  // Links dead for a week are swept here too: the «already used» message has served its purpose by then.
  await tx
    .deleteFrom('password_links')
    .where((eb) => eb.or([eb('user_id', '=', user.id), eb('expires_at', '<', addMinutes(at, -7 * 24 * 60))]))
    .execute()
  await tx
    .insertInto('password_links')
    .values({
      token_hash: hashToken(token),
      user_id: user.id,
      created_by: actor.id,
      created_at: at,
      expires_at: expiresAt,
      used_at: null,
    })
    .execute()
  await audit(tx, actor, {
    action: 'user.password_link.create',
    objectType: 'user',
    objectId: user.id,
    subjectId: user.id,
    description: `Выдана ссылка для установки пароля пользователю № ${user.id}`,
    details: { expiresAt },
  })
  return { token, expiresAt }
}

/**
 * Sends the link in the person's chat with the bot (Telegram or MAX) through the outbox, where they have one the bot can reach.
 * True when queued.
 */
export async function sendPasswordLink(tx: Tx, user: User, url: string): Promise<boolean> {
  const chat = noticeChatOf(user, await messengerPreference(tx, [user]))
  if (chat === undefined) return false
  await enqueueBotMessage(
    tx,
    chat,
    {
      text: `Ссылка для установки пароля на сайте службы поддержки (логин ${user.login ?? ''}). Она одноразовая и действует ${PASSWORD_LINK_HOURS} часа:\n${url}`,
    },
    { userId: user.id },
  )
  return true
}

export interface PasswordLinkView {
  login: string
  fullName: string
  /** The consent text to confirm, where the person has no consent given. */
  consent: { version: number; text: string } | null
}

/**
 * What the page shows for a link: a problem (Russian) or the account and the consent to confirm. Reads
 * only: messengers open links to preview them, so showing the page must not use the link up.
 */
export async function viewPasswordLink(db: Db, token: string): Promise<{ problem: string } | PasswordLinkView> {
  if (!looksLikeToken(token)) return { problem: passwordLinkMessages.unknown }
  const link = await db
    .selectFrom('password_links')
    .select(['user_id', 'used_at', 'expires_at'])
    .where('token_hash', '=', hashToken(token))
    .executeTakeFirst()
  if (!link) return { problem: passwordLinkMessages.unknown }
  if (link.used_at !== null) return { problem: passwordLinkMessages.used }
  if (link.expires_at <= now()) return { problem: passwordLinkMessages.expired }
  const user = await findUser(db, link.user_id)
  if (user?.status !== 'active') return { problem: passwordLinkMessages.inactive }
  if (user.login === null) return { problem: passwordLinkMessages.noLogin }
  // A link issued before the account became the directory's (its first LDAP sign-in) is dead with it.
  if (user.auth_source === 'ldap') return { problem: passwordLinkMessages.ldap }
  const consent = await consentToConfirm(db, user.id)
  return {
    login: user.login,
    fullName: user.full_name,
    consent: consent ? { version: consent.version, text: consent.text } : null,
  }
}

export interface ConsumePasswordLinkInput {
  token: string
  password: string
  repeat: string
  /** The person ticked the consent box (needed only where they have no consent given). */
  consent: boolean
  ip: string | null
  userAgent: string | null
}

export type PasswordLinkResult = LinkSignIn

const defaultThrottle = new LinkThrottle()

/**
 * Sets the password by a link and signs the person in. A bad password or a missing consent changes
 * nothing and keeps the link; the link is spent by one conditional update, so two concurrent posts set
 * one password. The person's other sessions end (after a reset they may be someone else's).
 */
export async function consumePasswordLink(
  db: Db,
  input: ConsumePasswordLinkInput,
  throttle: LinkThrottle = defaultThrottle,
): Promise<PasswordLinkResult> {
  const anonymous: Actor = { ...systemActor('web'), ip: input.ip }
  if (throttle.isBlocked(input.ip)) {
    await throttle.refusals.record(db, {
      action: 'auth.login_failed',
      actor: anonymous,
      windowKey: `password-link:${input.ip ?? 'unknown'}`,
      description: 'Установка пароля по ссылке с адреса отклонена: слишком много неудачных попыток',
      details: { method: 'password_link' },
    })
    throw new DomainError('rate_limited', passwordLinkMessages.throttled)
  }
  const view = await viewPasswordLink(db, input.token)
  if ('problem' in view) {
    throttle.recordFailure(input.ip)
    await auditDenied(db, anonymous, {
      action: 'user.password_link.refused',
      objectType: null,
      objectId: null,
      description: 'Отклонена установка пароля по недействительной ссылке',
      details: {
        reason:
          view.problem === passwordLinkMessages.unknown
            ? 'unknown'
            : view.problem === passwordLinkMessages.ldap
              ? 'ldap'
              : 'unusable',
      },
    })
    throw new DomainError('unauthorized', view.problem)
  }
  if (input.password !== input.repeat) throw new DomainError('validation', passwordLinkMessages.mismatch)
  const problem = await passwordProblem(input.password, { login: view.login })
  if (problem) throw new DomainError('validation', problem)
  if (view.consent && !input.consent) throw new DomainError('validation', passwordLinkMessages.consent)
  // Hashing takes tens of milliseconds: done before the transaction, which then holds no lock meanwhile.
  const passwordHash = await hashPassword(input.password)

  return transact(db, async (tx) => {
    const at = now()
    const claimed = await tx
      .updateTable('password_links')
      .set({ used_at: at })
      .where('token_hash', '=', hashToken(input.token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', at)
      .returning('user_id')
      .executeTakeFirst()
    if (!claimed) throw new DomainError('unauthorized', passwordLinkMessages.used)
    const user = await findUser(tx, claimed.user_id)
    if (user?.status !== 'active') throw new DomainError('forbidden', passwordLinkMessages.inactive)
    if (user.auth_source === 'ldap') throw new DomainError('forbidden', passwordLinkMessages.ldap)
    const updated = await tx
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: at })
      .where('id', '=', user.id)
      .returningAll()
      .executeTakeFirstOrThrow()
    const actor = actorFromUser(updated, 'web', input.ip)
    const ended = await revokeUserSessions(tx, user.id)
    await audit(tx, actor, {
      action: 'user.password_set',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      description: `Пользователь № ${user.id} установил пароль по одноразовой ссылке`,
      details: { method: 'password_link', sessionsEnded: ended },
    })
    // The consent is read again inside the transaction: it may have been given meanwhile.
    const consent = await consentToConfirm(tx, user.id)
    if (consent) {
      if (!input.consent) throw new DomainError('validation', passwordLinkMessages.consent)
      await recordConsentGiven(tx, actor, {
        userId: user.id,
        text: consent,
        channel: 'web',
        evidence: { ip: input.ip, userAgent: input.userAgent },
        at,
      })
    }
    // The link stands for the password only: an account with TOTP on is asked its code next.
    if (updated.totp_enabled === 1) return { codeRequired: true as const, user: updated }
    return openSignedInSession(tx, user.id, {
      channel: 'web',
      ip: input.ip,
      userAgent: input.userAgent,
      description: `Вход пользователя № ${user.id} после установки пароля по ссылке`,
      details: { method: 'password_link' },
    })
  })
}

/** The current consent text where the person's latest record is not a consent to it. */
async function consentToConfirm(db: Tx, userId: number) {
  const latest = await latestConsent(db, userId)
  const text = await currentConsentText(db)
  if (latest?.status === 'given' && latest.consent_text_id === text.id) return undefined
  return text
}

/** 32 bytes in base64url are 43 characters; anything else is not ours and costs no query. */
function looksLikeToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token)
}
