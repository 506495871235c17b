import { audit } from '#src/audit/journal.ts'
import type { Db, Tx, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { chatColumns } from '#src/notify/chat-key.ts'
import { activeUserIdsWithRoles, notifyUsers } from '#src/notify/outbox.ts'
import type { Actor } from './actor.ts'
import { recordConsentGiven } from './consent.ts'
import { NAME_MAX, normalizeChatKey, normalizePhone, optionalText, requiredText } from './fields.ts'
import { refuseDuplicate } from './unique.ts'
import { findUserByChatId, insertUser } from './user-store.ts'

export interface RegisterUserInput {
  fullName: string
  phone: string
  departmentId: number
  position: string
  room?: string | null
  /** The chat the person wrote from: a Telegram chat id, or a MAX chat key (`max:<user id>`, notify/chat-key.ts). */
  telegramChatId: string
  telegramUsername?: string | null
  /** The consent text version the person agreed to. */
  consentTextId: number
  /** Proof of the consent: Telegram `update_id`, `message_id`, … */
  evidence: Record<string, unknown>
}

/**
 * Registers a person who wrote to the bot and consented (PRODUCT.md §2): a pending requester, their
 * consent record, and a notice to every curator and admin. Registration is self-service — the person
 * has no account yet, so the actor is usually `systemActor('bot')` — and a curator decides on it.
 */
export async function registerUser(db: Db, actor: Actor, input: RegisterUserInput): Promise<User> {
  const fullName = requiredText(input.fullName, { label: 'ФИО', max: NAME_MAX })
  const phone = normalizePhone(input.phone)
  const position = requiredText(input.position, { label: 'Должность', max: NAME_MAX })
  const room = optionalText(input.room, { label: 'Кабинет', max: NAME_MAX })
  const chatId = normalizeChatKey(input.telegramChatId)
  const username = optionalText(input.telegramUsername?.replace(/^@/, ''), { label: 'Имя в Telegram', max: 64 })

  return refuseDuplicate(alreadyRegistered.pending, () =>
    transact(db, async (tx) => {
      await requireActiveDepartment(tx, input.departmentId)
      const consentText = await tx
        .selectFrom('consent_texts')
        .select(['id', 'version'])
        .where('id', '=', input.consentTextId)
        .executeTakeFirst()
      if (!consentText) throw new DomainError('validation', 'Текст согласия не найден')

      const existing = await findUserByChatId(tx, chatId)
      if (existing && existing.status !== 'rejected')
        throw new DomainError('conflict', alreadyRegistered[existing.status])

      const at = now()
      const profile = {
        role: 'requester' as const,
        status: 'pending' as const,
        full_name: fullName,
        phone,
        position,
        room,
        department_id: input.departmentId,
        ...chatColumns(chatId, username),
        rejection_reason: null,
        confirmed_at: null,
        confirmed_by: null,
        updated_at: at,
      }
      // A rejected person may ask again: the same account goes back to pending, keeping its id and history.
      const user = existing
        ? await tx
            .updateTable('users')
            .set(profile)
            .where('id', '=', existing.id)
            .returningAll()
            .executeTakeFirstOrThrow()
        : await insertUser(tx, profile)

      await recordConsentGiven(tx, actor, {
        userId: user.id,
        text: consentText,
        channel: 'bot',
        evidence: input.evidence,
        at,
      })
      await audit(tx, actor, {
        action: existing ? 'user.reregister' : 'user.register',
        objectType: 'user',
        objectId: user.id,
        subjectId: user.id,
        pdn: true,
        description: existing
          ? `Повторная регистрация пользователя № ${user.id} после отклонения`
          : `Регистрация пользователя № ${user.id}`,
        details: { departmentId: input.departmentId },
      })
      const deciders = await activeUserIdsWithRoles(tx, ['curator', 'admin'])
      await notifyUsers(tx, deciders, { kind: 'registration_requested', data: { subjectId: user.id } })
      return user
    }),
  )
}

const alreadyRegistered: Record<'pending' | 'active' | 'deactivated', string> = {
  pending: 'Регистрация уже отправлена, дождитесь подтверждения',
  active: 'Вы уже зарегистрированы',
  deactivated: 'Учётная запись отключена, обратитесь к администратору',
}

async function requireActiveDepartment(tx: Tx, departmentId: number): Promise<void> {
  const department = await tx
    .selectFrom('departments')
    .select('active')
    .where('id', '=', departmentId)
    .executeTakeFirst()
  if (!department || Number(department.active) !== 1) throw new DomainError('validation', 'Отделение не найдено')
}
