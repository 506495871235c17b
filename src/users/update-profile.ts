import { audit } from '#src/audit/journal.ts'
import type { Db, User } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { NAME_MAX, normalizePhone, optionalText } from './fields.ts'
import { requireUser, writeUserChanges } from './user-store.ts'

export const profileLanguages = ['ru', 'en'] as const
/** `system` follows the computer's light or dark setting. */
export const profileThemes = ['system', 'light', 'dark'] as const

export interface UpdateProfileInput {
  /** Each field: undefined leaves it; empty text clears кабинет or телефон. */
  room?: string | null
  phone?: string | null
  language?: User['language']
  theme?: User['theme']
}

type Changes = Partial<Pick<User, 'room' | 'phone' | 'language' | 'theme'>>

/** What a person chooses about the web for themselves: not personal data. */
const preferences: ReadonlyArray<keyof Changes> = ['language', 'theme']

/**
 * A person corrects what changes often about them — кабинет, телефон — and picks the web's language and theme.
 * ФИО, отделение and должность are corrected by an admin (they decide who the person is to the hospital).
 */
export async function updateProfile(db: Db, actor: Actor, input: UpdateProfileInput): Promise<User> {
  if (actor.id === null || actor.status !== 'active') throw new DomainError('forbidden', 'Нет прав менять профиль')
  const userId = actor.id
  const wanted: Changes = {}
  if (input.room !== undefined) wanted.room = optionalText(input.room, { label: 'Кабинет', max: NAME_MAX })
  if (input.phone !== undefined) wanted.phone = input.phone?.trim() ? normalizePhone(input.phone) : null
  if (input.language !== undefined) {
    if (!(profileLanguages as readonly string[]).includes(input.language)) {
      throw new DomainError('validation', 'Неизвестный язык')
    }
    wanted.language = input.language
  }
  if (input.theme !== undefined) {
    if (!(profileThemes as readonly string[]).includes(input.theme)) {
      throw new DomainError('validation', 'Неизвестная тема оформления')
    }
    wanted.theme = input.theme
  }
  return transact(db, async (tx) => {
    const user = await requireUser(tx, userId)
    const { updated, changed } = await writeUserChanges(tx, user, wanted)
    if (changed.length === 0) return user
    await audit(tx, actor, {
      action: 'user.profile_update',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      // Кабинет and телефон are ПДн; the language and the theme are not.
      pdn: changed.some((field) => !preferences.includes(field)),
      description: `Пользователь № ${user.id} изменил свой профиль: ${changed.join(', ')}`,
      details: { fields: changed },
    })
    return updated
  })
}
