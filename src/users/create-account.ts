import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import { type Db, type Role, roles } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { NAME_MAX, normalizeChatId, normalizeLogin, normalizePhone, optionalText, requiredText } from './fields.ts'
import { issuePasswordLink, passwordLinkUrl, sendPasswordLink } from './password-links.ts'
import { can } from './permissions.ts'
import type { IssuedPasswordLink } from './reset-password.ts'
import { refuseDuplicate } from './unique.ts'
import { findUserByChatId, findUserByLogin, insertUser } from './user-store.ts'

export interface CreateAccountInput {
  fullName: string
  login: string
  role: Role
  departmentId?: number | null
  position?: string | null
  phone?: string | null
  telegramChatId?: string | null
  /** The site's address, for the link. */
  baseUrl: string
}

/**
 * «Новый пользователь» (issue 9): an active account with a login and no password; the person sets one by
 * the one-time link, shown to whoever created the account and sent in Telegram where a chat is given.
 * Admins create any role; curators create requesters only.
 */
export async function createAccount(db: Db, actor: Actor, input: CreateAccountInput): Promise<IssuedPasswordLink> {
  const allowed = can(actor, 'user.create') || (can(actor, 'registration.decide') && input.role === 'requester')
  if (!allowed) {
    await auditDenied(db, actor, {
      action: 'user.create',
      objectType: 'user',
      pdn: true,
      description: 'Отказано в создании пользователя',
      details: { role: input.role },
    })
    throw new DomainError(
      'forbidden',
      actor.role === 'curator'
        ? 'Куратор может создавать только пользователей с ролью «Пользователь»'
        : 'Нет прав создавать пользователей',
    )
  }
  const fullName = requiredText(input.fullName, { label: 'ФИО', max: NAME_MAX })
  if (!(roles as readonly string[]).includes(input.role)) throw new DomainError('validation', 'Неизвестная роль')
  const login = normalizeLogin(input.login)
  const phone = input.phone ? normalizePhone(input.phone) : null
  const position = optionalText(input.position, { label: 'Должность', max: NAME_MAX })
  const chatId = input.telegramChatId ? normalizeChatId(input.telegramChatId) : null

  return refuseDuplicate('Такой логин или чат Telegram уже занят', () =>
    transact(db, async (tx) => {
      if (input.departmentId !== undefined && input.departmentId !== null) {
        const found = await tx
          .selectFrom('departments')
          .select('id')
          .where('id', '=', input.departmentId)
          .executeTakeFirst()
        if (!found) throw new DomainError('validation', 'Отделение не найдено')
      }
      if (await findUserByLogin(tx, login)) throw new DomainError('conflict', 'Такой логин уже занят')
      if (chatId !== null && (await findUserByChatId(tx, chatId))) {
        throw new DomainError('conflict', 'Этот чат Telegram уже привязан к другому пользователю')
      }
      const user = await insertUser(tx, {
        role: input.role,
        status: 'active',
        full_name: fullName,
        login,
        password_hash: null,
        phone,
        position,
        room: null,
        department_id: input.departmentId ?? null,
        telegram_chat_id: chatId,
        confirmed_at: now(),
        confirmed_by: actor.id,
      })
      await audit(tx, actor, {
        action: 'user.create',
        objectType: 'user',
        objectId: user.id,
        subjectId: user.id,
        pdn: true,
        description: `Создан пользователь № ${user.id} с ролью ${user.role}, пароль — по ссылке`,
        details: { role: user.role, withLogin: true, withTelegram: chatId !== null, passwordLink: true },
      })
      const link = await issuePasswordLink(tx, actor, user)
      const url = passwordLinkUrl(input.baseUrl, link.token)
      const sentToTelegram = await sendPasswordLink(tx, user, url)
      return { user, link, url, sentToTelegram }
    }),
  )
}
