import { audit } from '#src/audit/journal.ts'
import type { Db, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { authorize } from './authorize.ts'
import { NAME_MAX, normalizeLogin, optionalText } from './fields.ts'
import { hashPassword, passwordProblem } from './passwords.ts'
import { refuseDuplicate } from './unique.ts'
import { findUserByLogin, insertUser } from './user-store.ts'

export interface CreateAdminInput {
  login: string
  password: string
  fullName?: string | null
}

/** Creates an active administrator with a login and password (`helpdesk users create-admin`, or an admin). */
export async function createAdmin(db: Db, actor: Actor, input: CreateAdminInput): Promise<User> {
  await authorize(
    db,
    actor,
    'user.create',
    { action: 'user.create_admin', objectType: 'user', pdn: true, description: 'Отказано в создании администратора' },
    'Нет прав создавать администраторов',
  )
  const login = normalizeLogin(input.login)
  const problem = await passwordProblem(input.password, { login })
  if (problem) throw new DomainError('validation', problem)
  const fullName = optionalText(input.fullName, { label: 'ФИО', max: NAME_MAX }) ?? 'Администратор'
  const passwordHash = await hashPassword(input.password)

  return refuseDuplicate('Такой логин уже занят', () =>
    transact(db, async (tx) => {
      if (await findUserByLogin(tx, login)) throw new DomainError('conflict', 'Такой логин уже занят')
      const at = now()
      const admin = await insertUser(tx, {
        role: 'admin',
        status: 'active',
        full_name: fullName,
        login,
        password_hash: passwordHash,
        confirmed_at: at,
        confirmed_by: actor.id,
      })
      await audit(tx, actor, {
        action: 'user.create_admin',
        objectType: 'user',
        objectId: admin.id,
        subjectId: admin.id,
        pdn: true,
        description: `Создан администратор № ${admin.id}`,
        details: { role: 'admin' },
      })
      return admin
    }),
  )
}
