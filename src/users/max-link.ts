import { audit } from '#src/audit/journal.ts'
import type { Db, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { chatOfUser, unboundColumns } from '#src/notify/chat-key.ts'
import type { Actor } from './actor.ts'
import { findUser } from './user-store.ts'

/**
 * Linking MAX to a web account (issue 15). The code is Telegram's (telegram-link.ts: `issueTelegramLink`, sent as
 * `/start link_<code>`, by the deep link `https://max.ru/<bot>?start=link_<code>` in MAX) and `redeemTelegramLink`
 * binds whichever messenger the chat key names; what is MAX's own is unlinking from the profile.
 */

export const maxLinkMessages = {
  notSelf: 'Отвязать MAX можно только от своей учётной записи',
  inactive: 'Учётная запись не активна. Обратитесь к администратору',
  notLinked: 'MAX не привязан к учётной записи',
  onlyWay:
    'MAX — единственный способ входа в Вашу учётную запись (пароля и Telegram нет), поэтому отвязать его нельзя. Обратитесь к администратору',
} as const

/**
 * Unlinks one's own MAX (the profile's «Отвязать MAX»). The bot's /login answers in MAX as in Telegram, so an
 * account with neither a password nor a Telegram chat keeps its MAX: without it the person could not sign in.
 * The journal holds ids only: the MAX user id is personal data.
 */
export async function unlinkMax(db: Db, actor: Actor): Promise<User> {
  if (actor.id === null || actor.status !== 'active') throw new DomainError('forbidden', maxLinkMessages.notSelf)
  const userId = actor.id
  return transact(db, async (tx) => {
    const user = await findUser(tx, userId)
    if (user?.status !== 'active') throw new DomainError('forbidden', maxLinkMessages.inactive)
    const chat = chatOfUser(user, 'max')
    if (chat === null) throw new DomainError('conflict', maxLinkMessages.notLinked)
    const hasPassword = user.login !== null && (user.password_hash !== null || user.auth_source === 'ldap')
    if (!hasPassword && user.telegram_chat_id === null) throw new DomainError('conflict', maxLinkMessages.onlyWay)
    await tx.deleteFrom('bot_conversations').where('chat_id', '=', chat).execute()
    const updated = await tx
      .updateTable('users')
      .set({ ...unboundColumns('max'), updated_at: now() })
      .where('id', '=', user.id)
      .returningAll()
      .executeTakeFirstOrThrow()
    await audit(tx, actor, {
      action: 'user.max_unlink',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      pdn: true,
      description: `Пользователь № ${user.id} отвязал MAX от своей учётной записи`,
      details: { reason: 'self', messenger: 'max' },
    })
    return updated
  })
}
