import type { Category, Db, Department, ExecutorGroup, Priority, Role, User, UserStatus } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { type Actor, actorFromUser } from '#src/users/actor.ts'
import { currentConsentText } from '#src/users/consent.ts'
import { blankUser } from '#src/users/user-store.ts'

/**
 * Factories insert rows directly (no use case, no journal) so that a test states only what it is about.
 * Names are unique per call.
 */
let sequence = 0
const next = () => ++sequence

export interface UserOverrides {
  role?: Role
  status?: UserStatus
  fullName?: string
  login?: string | null
  passwordHash?: string | null
  telegramChatId?: string | null
  departmentId?: number | null
  phone?: string | null
  /**
   * Someone a test writes to the bot as (an explicit `telegramChatId`, active) registered there and so
   * consented, or the bot would ask for the consent first (src/bot/features/reconsent.ts): a consent record is
   * made for them unless `consent: false`.
   */
  consent?: boolean
}

export async function buildUser(db: Db, overrides: UserOverrides = {}): Promise<User> {
  const user = await insertUser(db, overrides)
  const botUser = typeof overrides.telegramChatId === 'string' && user.status === 'active'
  if (overrides.consent ?? botUser) await buildConsent(db, user.id)
  return user
}

async function insertUser(db: Db, overrides: UserOverrides): Promise<User> {
  const n = next()
  const at = now()
  return db
    .insertInto('users')
    .values({
      ...blankUser(at),
      role: overrides.role ?? 'requester',
      status: overrides.status ?? 'active',
      full_name: overrides.fullName ?? `Тестовый Пользователь ${n}`,
      login: overrides.login === undefined ? null : overrides.login,
      password_hash: overrides.passwordHash ?? null,
      phone: overrides.phone === undefined ? `+7900000${String(n).padStart(4, '0')}` : overrides.phone,
      position: 'Медсестра',
      room: `Корпус 1, каб. ${n}`,
      department_id: overrides.departmentId ?? null,
      telegram_chat_id: overrides.telegramChatId === undefined ? String(100_000_000 + n) : overrides.telegramChatId,
      // Reached in Telegram, as registration (or migration 0038 for older people) leaves them.
      messenger: overrides.telegramChatId === null ? null : 'telegram',
      confirmed_at: overrides.status === 'pending' ? null : at,
      deactivated_at: overrides.status === 'deactivated' ? at : null,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** A user and the actor acting as them (channel `api` unless said). */
export async function buildActor(
  db: Db,
  overrides: UserOverrides = {},
  channel: Actor['channel'] = 'api',
): Promise<{ user: User; actor: Actor }> {
  const user = await buildUser(db, overrides)
  return { user, actor: actorFromUser(user, channel) }
}

/** A consent record for the current text given through the bot, as registration leaves it (or withdrawn). */
export async function buildConsent(db: Db, userId: number, status: 'given' | 'withdrawn' = 'given'): Promise<void> {
  const text = await currentConsentText(db)
  const at = now()
  await db
    .insertInto('consent_records')
    .values({
      user_id: userId,
      consent_text_id: text.id,
      channel: 'bot',
      status,
      evidence: '{}',
      created_at: at,
      withdrawn_at: status === 'withdrawn' ? at : null,
    })
    .execute()
}

export async function buildDepartment(db: Db, name?: string): Promise<Department> {
  const at = now()
  return db
    .insertInto('departments')
    .values({ name: name ?? `Отделение ${next()}`, created_at: at, updated_at: at })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function buildGroup(db: Db, name?: string, memberIds: number[] = []): Promise<ExecutorGroup> {
  const at = now()
  const group = await db
    .insertInto('executor_groups')
    .values({ name: name ?? `Группа ${next()}`, description: null, created_at: at, updated_at: at })
    .returningAll()
    .executeTakeFirstOrThrow()
  for (const userId of memberIds) {
    await db.insertInto('group_members').values({ group_id: group.id, user_id: userId, created_at: at }).execute()
  }
  return group
}

export interface CategoryOverrides {
  name?: string
  parentId?: number | null
  defaultGroupId?: number | null
  defaultPriority?: Priority
  responseMinutes?: number | null
  resolutionMinutes?: number | null
  active?: boolean
}

export async function buildCategory(db: Db, overrides: CategoryOverrides = {}): Promise<Category> {
  const at = now()
  return db
    .insertInto('categories')
    .values({
      name: overrides.name ?? `Категория ${next()}`,
      description: null,
      parent_id: overrides.parentId ?? null,
      default_group_id: overrides.defaultGroupId ?? null,
      default_priority: overrides.defaultPriority ?? 'normal',
      response_minutes: overrides.responseMinutes ?? null,
      resolution_minutes: overrides.resolutionMinutes ?? null,
      active: overrides.active === false ? 0 : 1,
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}
