import { audit } from '#src/audit/journal.ts'
import type { Db, Tx, User } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { authorize } from './authorize.ts'
import { NAME_MAX, normalizePhone, optionalText, requiredText } from './fields.ts'
import { requireUser, writeUserChanges } from './user-store.ts'

export interface UpdateUserInput {
  userId: number
  /** Each field: undefined leaves it as it is; null (or empty text) clears it. ФИО cannot be cleared. */
  fullName?: string
  departmentId?: number | null
  position?: string | null
  room?: string | null
  phone?: string | null
}

type Changes = Partial<Pick<User, 'full_name' | 'department_id' | 'position' | 'room' | 'phone'>>

/**
 * Corrects a person's data (admin): ФИО, отделение, должность, кабинет, телефон. The journal names the
 * fields that changed, never their values (COMPLIANCE.md §4: rows hold ids, not ПДн).
 */
export async function updateUser(db: Db, actor: Actor, input: UpdateUserInput): Promise<User> {
  await authorize(
    db,
    actor,
    'user.manage',
    {
      action: 'user.update',
      objectType: 'user',
      objectId: input.userId,
      subjectId: input.userId,
      pdn: true,
      description: `Отказано в изменении данных пользователя № ${input.userId}`,
    },
    'Нет прав менять данные пользователей',
  )
  const wanted = cleanChanges(input)
  return transact(db, async (tx) => {
    const user = await requireUser(tx, input.userId)
    if (user.pseudonymised_at !== null) throw new DomainError('invalid_transition', 'Данные пользователя уничтожены')
    if (wanted.department_id !== undefined && wanted.department_id !== null) {
      await requireDepartment(tx, wanted.department_id)
    }
    const { updated, changed } = await writeUserChanges(tx, user, wanted)
    if (changed.length === 0) return user
    await audit(tx, actor, {
      action: 'user.update',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      pdn: true,
      description: `Изменены данные пользователя № ${user.id}: ${changed.join(', ')}`,
      details: { fields: changed },
    })
    return updated
  })
}

/** The domain's own clean-up of every given field; undefined fields stay out. */
function cleanChanges(input: UpdateUserInput): Changes {
  const changes: Changes = {}
  if (input.fullName !== undefined) changes.full_name = requiredText(input.fullName, { label: 'ФИО', max: NAME_MAX })
  if (input.departmentId !== undefined) changes.department_id = input.departmentId
  if (input.position !== undefined)
    changes.position = optionalText(input.position, { label: 'Должность', max: NAME_MAX })
  if (input.room !== undefined) changes.room = optionalText(input.room, { label: 'Кабинет', max: NAME_MAX })
  if (input.phone !== undefined) changes.phone = input.phone?.trim() ? normalizePhone(input.phone) : null
  return changes
}

async function requireDepartment(tx: Tx, departmentId: number): Promise<void> {
  const found = await tx.selectFrom('departments').select('id').where('id', '=', departmentId).executeTakeFirst()
  if (!found) throw new DomainError('validation', 'Отделение не найдено')
}
