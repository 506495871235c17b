import { audit } from '#src/audit/journal.ts'
import type { Db, User } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { authorize } from './authorize.ts'
import {
  issuePasswordLink,
  type NewPasswordLink,
  passwordLinkMessages,
  passwordLinkUrl,
  sendPasswordLink,
} from './password-links.ts'
import { revokeUserSessions } from './sessions.ts'
import { findUser } from './user-store.ts'

export interface ResetPasswordInput {
  userId: number
  /** The site's address, for the link. */
  baseUrl: string
}

export interface IssuedPasswordLink {
  user: User
  link: NewPasswordLink
  url: string
  /** The link was queued to the person's Telegram chat too. */
  sentToTelegram: boolean
}

/**
 * «Сбросить пароль» (admin): the account's sessions end, the old password stays until the person sets a
 * new one by the link (a reset by mistake locks no one out of the web for a day, the sessions aside).
 * An LDAP account is refused (its password is the directory's), and its sessions stay.
 */
export async function resetPassword(db: Db, actor: Actor, input: ResetPasswordInput): Promise<IssuedPasswordLink> {
  await authorize(
    db,
    actor,
    'user.manage',
    {
      action: 'user.password_reset',
      objectType: 'user',
      objectId: input.userId,
      subjectId: input.userId,
      description: `Отказано в сбросе пароля пользователя № ${input.userId}`,
    },
    'Нет прав сбрасывать пароли',
  )
  return transact(db, async (tx) => {
    const user = await findUser(tx, input.userId)
    if (!user) throw new DomainError('not_found', 'Пользователь не найден')
    if (user.status !== 'active')
      throw new DomainError('validation', 'Пароль сбрасывается только активной учётной записи')
    if (user.login === null) {
      throw new DomainError('validation', 'У пользователя нет логина: вход на сайт для него не предусмотрен')
    }
    if (user.auth_source === 'ldap') throw new DomainError('conflict', passwordLinkMessages.ldap)
    const ended = await revokeUserSessions(tx, user.id)
    const link = await issuePasswordLink(tx, actor, user)
    const url = passwordLinkUrl(input.baseUrl, link.token)
    const sentToTelegram = await sendPasswordLink(tx, user, url)
    await audit(tx, actor, {
      action: 'user.password_reset',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      description: `Сброшен пароль пользователя № ${user.id}: выдана ссылка для установки нового`,
      details: { sessionsEnded: ended, sentToTelegram },
    })
    return { user, link, url, sentToTelegram }
  })
}
