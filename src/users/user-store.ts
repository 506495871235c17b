import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely'
import { type Dialect, dialectOf } from '#src/db/database.ts'
import { prepared } from '#src/db/prepared.ts'
import type { Database, NewUser, Role, Tx, User, UserStatus } from '#src/db/schema.ts'
import { containsText } from '#src/db/text-match.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { type ChatKey, chatIdOf, messengerOf } from '#src/notify/chat-key.ts'

/** Reading users, and the insert shared by the use cases that create accounts (they journal it). */

const userById = prepared((db, p: { id: number }) => db.selectFrom('users').selectAll().where('id', '=', p.id))

export async function findUser(db: Tx, id: number): Promise<User | undefined> {
  return userById.first(db, { id })
}

/** The user with this id, or the use cases' common refusal `not_found`. */
export async function requireUser(db: Tx, id: number): Promise<User> {
  const user = await findUser(db, id)
  if (!user) throw new DomainError('not_found', 'Пользователь не найден')
  return user
}

/** Logins are stored in lower case; the lookup ignores case and surrounding spaces. */
export async function findUserByLogin(db: Tx, login: string): Promise<User | undefined> {
  // No login holds NUL, and PostgreSQL refuses it in text outright (an error, not "no such row").
  if (login.includes('\u0000')) return undefined
  return db.selectFrom('users').selectAll().where('login', '=', login.trim().toLowerCase()).executeTakeFirst()
}

export async function findUserByChatId(db: Tx, chatId: ChatKey): Promise<User | undefined> {
  const column = messengerOf(chatId) === 'max' ? 'max_user_id' : 'telegram_chat_id'
  return db.selectFrom('users').selectAll().where(column, '=', chatIdOf(chatId)).executeTakeFirst()
}

/** A user without the secrets: what an edge may show or serialise. */
/**
 * Writes those of `wanted` that differ from the row (with `updated_at`); returns the row as it now is and
 * which fields changed — none, and nothing is written.
 */
export async function writeUserChanges<K extends keyof User>(
  db: Tx,
  user: User,
  wanted: Partial<Pick<User, K>>,
): Promise<{ updated: User; changed: K[] }> {
  const changed = (Object.keys(wanted) as K[]).filter((field) => wanted[field] !== user[field])
  if (changed.length === 0) return { updated: user, changed }
  const updated = await db
    .updateTable('users')
    .set({ ...Object.fromEntries(changed.map((field) => [field, wanted[field]])), updated_at: now() })
    .where('id', '=', user.id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return { updated, changed }
}

export type PublicUser = Omit<User, 'password_hash' | 'totp_secret' | 'totp_last_step'>

export function publicUser(user: User): PublicUser {
  const { password_hash: _hash, totp_secret: _secret, totp_last_step: _step, ...rest } = user
  return rest
}

export interface UserListFilter {
  status?: UserStatus
  role?: Role
  /**
   * Words of the ФИО, login or phone, any case and any order («Алла Емельянова», «емельянова алла»); a phone as
   * it is dialled or written («8906…», «+7 906 198-73-12»): see `personMatch`.
   */
  q?: string
  departmentId?: number
  /** 1-based. */
  page?: number
  /** Default 50, at most 200. */
  perPage?: number
}

/** Phones are kept as `+7XXXXXXXXXX` (fields.ts `normalizePhone`); what people type has spaces, dashes, brackets. */
const PHONE_TYPED = /^[\d\s()+.-]+$/

/**
 * The people picker's and the users list's match. A query that is a phone (digits with its usual punctuation,
 * three digits at least) matches the digits of the number, with or without a leading 8 or 7 (the trunk or
 * country code of a Russian number): «8906», «+7 906 198-73-12» and «906 198» all find +79061987312. Otherwise every
 * word must be in the ФИО, the login or the phone, in any order.
 */
export function personMatch(
  eb: ExpressionBuilder<Database, 'users'>,
  dialect: Dialect,
  q: string,
): Expression<SqlBool> {
  const digits = q.replace(/\D/g, '')
  if (PHONE_TYPED.test(q) && digits.length >= 3) {
    // As typed, or without its first digit when that may be the 8 or 7 before the operator's code.
    const forms = /^[78]/.test(digits) ? [digits, digits.slice(1)] : [digits]
    return eb.or(forms.map((form) => containsText(dialect, 'phone', form)))
  }
  const columns = ['full_name', 'login', 'phone'] as const
  return eb.and(
    q
      .split(/\s+/)
      .filter((word) => word !== '')
      .map((word) => eb.or(columns.map((column) => containsText(dialect, column, word)))),
  )
}

export const USERS_PER_PAGE = 50
export const USERS_PER_PAGE_MAX = 200

/** One page of users matching the filter, ordered by id, and how many match in all. */
export async function listUsers(db: Tx, filter: UserListFilter = {}): Promise<{ items: User[]; total: number }> {
  const perPage = Math.min(Math.max(Math.trunc(filter.perPage ?? USERS_PER_PAGE), 1), USERS_PER_PAGE_MAX)
  const page = Math.max(Math.trunc(filter.page ?? 1), 1)
  const q = filter.q?.trim() ?? ''
  const dialect = dialectOf(db)

  const matching = db.selectFrom('users').where((eb: ExpressionBuilder<Database, 'users'>) => {
    const conditions = []
    if (filter.status !== undefined) conditions.push(eb('status', '=', filter.status))
    if (filter.role !== undefined) conditions.push(eb('role', '=', filter.role))
    if (filter.departmentId !== undefined) conditions.push(eb('department_id', '=', filter.departmentId))
    if (q !== '') conditions.push(personMatch(eb, dialect, q))
    return eb.and(conditions)
  })

  const [items, counted] = await Promise.all([
    matching
      .selectAll()
      .orderBy('id')
      .limit(perPage)
      .offset((page - 1) * perPage)
      .execute(),
    matching.select(sql<number>`count(*)`.as('total')).executeTakeFirst(),
  ])
  return { items, total: Number(counted?.total ?? 0) }
}

/** The fields a new account must state; everything else starts empty. */
export type NewUserFields = Pick<NewUser, 'role' | 'status' | 'full_name'> &
  Partial<Omit<NewUser, 'id' | 'role' | 'status' | 'full_name' | 'created_at' | 'updated_at'>>

/** Every optional column of a new account, empty: the one place that lists them. */
export function blankUser(at: string): Omit<NewUser, 'id' | 'role' | 'status' | 'full_name'> {
  return {
    login: null,
    password_hash: null,
    phone: null,
    position: null,
    room: null,
    department_id: null,
    telegram_chat_id: null,
    telegram_username: null,
    telegram_blocked_at: null,
    language: 'ru',
    totp_secret: null,
    totp_last_step: null,
    rejection_reason: null,
    locked_until: null,
    created_at: at,
    updated_at: at,
    confirmed_at: null,
    confirmed_by: null,
    deactivated_at: null,
    pseudonymised_at: null,
    last_login_at: null,
  }
}

export async function insertUser(db: Tx, fields: NewUserFields): Promise<User> {
  const at = now()
  return db
    .insertInto('users')
    .values({ ...blankUser(at), ...fields, created_at: at, updated_at: at })
    .returningAll()
    .executeTakeFirstOrThrow()
}
