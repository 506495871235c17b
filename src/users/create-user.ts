import { audit } from '#src/audit/journal.ts'
import { type Db, type Role, roles, type Tx, type User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { authorize } from './authorize.ts'
import { NAME_MAX, normalizeChatId, normalizeLogin, normalizePhone, optionalText, requiredText } from './fields.ts'
import { hashPassword, passwordProblem } from './passwords.ts'
import { refuseDuplicate } from './unique.ts'
import { findUserByChatId, findUserByLogin, insertUser } from './user-store.ts'

export interface CreateUserInput {
  fullName: string
  role: Role
  /** With a login the person can log into the web; a password is then required. */
  login?: string | null
  password?: string | null
  departmentId?: number | null
  phone?: string | null
  position?: string | null
  room?: string | null
  telegramChatId?: string | null
}

/** Creates an account that is active at once (admin): staff without Telegram, callers filed for by phone. */
export async function createUser(db: Db, actor: Actor, input: CreateUserInput): Promise<User> {
  await authorize(
    db,
    actor,
    'user.create',
    { action: 'user.create', objectType: 'user', pdn: true, description: 'Отказано в создании пользователя' },
    'Нет прав создавать пользователей',
  )
  const fullName = requiredText(input.fullName, { label: 'ФИО', max: NAME_MAX })
  if (!(roles as readonly string[]).includes(input.role)) throw new DomainError('validation', 'Неизвестная роль')
  const login = input.login ? normalizeLogin(input.login) : null
  const password = input.password ?? ''
  if (login !== null && password === '') throw new DomainError('validation', 'Для входа по логину нужен пароль')
  if (login === null && password !== '') throw new DomainError('validation', 'Пароль задаётся только вместе с логином')
  const problem = login === null ? null : await passwordProblem(password, { login })
  if (problem) throw new DomainError('validation', problem)
  const phone = input.phone ? normalizePhone(input.phone) : null
  const position = optionalText(input.position, { label: 'Должность', max: NAME_MAX })
  const room = optionalText(input.room, { label: 'Кабинет', max: NAME_MAX })
  const chatId = input.telegramChatId ? normalizeChatId(input.telegramChatId) : null
  // Hashing takes tens of milliseconds: done before the transaction, which then holds no lock meanwhile.
  const passwordHash = login === null ? null : await hashPassword(password)

  return refuseDuplicate('Такой логин или чат Telegram уже занят', () =>
    transact(db, async (tx) => {
      if (input.departmentId !== undefined && input.departmentId !== null) {
        await requireDepartment(tx, input.departmentId)
      }
      if (login !== null && (await findUserByLogin(tx, login)))
        throw new DomainError('conflict', 'Такой логин уже занят')
      if (chatId !== null && (await findUserByChatId(tx, chatId))) {
        throw new DomainError('conflict', 'Этот чат Telegram уже привязан к другому пользователю')
      }
      const at = now()
      const user = await insertUser(tx, {
        role: input.role,
        status: 'active',
        full_name: fullName,
        login,
        password_hash: passwordHash,
        phone,
        position,
        room,
        department_id: input.departmentId ?? null,
        telegram_chat_id: chatId,
        confirmed_at: at,
        confirmed_by: actor.id,
      })
      await audit(tx, actor, {
        action: 'user.create',
        objectType: 'user',
        objectId: user.id,
        subjectId: user.id,
        pdn: true,
        description: `Создан пользователь № ${user.id} с ролью ${user.role}`,
        details: { role: user.role, withLogin: login !== null, withTelegram: chatId !== null },
      })
      return user
    }),
  )
}

async function requireDepartment(tx: Tx, departmentId: number): Promise<void> {
  const found = await tx.selectFrom('departments').select('id').where('id', '=', departmentId).executeTakeFirst()
  if (!found) throw new DomainError('validation', 'Отделение не найдено')
}
