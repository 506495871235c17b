import { audit, consoleOperatorOf } from '#src/audit/journal.ts'
import type { Db, Role } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { type Action, can } from '#src/users/permissions.ts'

/**
 * «Перечень лиц, имеющих доступ к персональным данным» (ПП № 1119 п. 13, COMPLIANCE.md §5): every active
 * account with a staff role, what the role lets it reach (derived from `can()`, so the list cannot drift
 * from the permissions), since when it holds that access and who gave it — both read from the journal.
 */

export const staffRoles = ['executor', 'curator', 'admin'] as const
export type StaffRole = (typeof staffRoles)[number]

export const staffRoleLabels: Record<StaffRole, string> = {
  executor: 'Исполнитель',
  curator: 'Куратор',
  admin: 'Администратор',
}

/** What each permission reaches of personal data, in the order the sentence names them. */
const reachOf: ReadonlyArray<readonly [Action, string]> = [
  ['ticket.view', 'заявки всех пользователей с их ПДн (ФИО, телефон, должность, отделение, кабинет, тексты, вложения)'],
  ['ticket.view_internal', 'внутренние заметки к заявкам'],
  ['ticket.create_on_behalf', 'создание заявок от имени пользователей'],
  ['user.view', 'карточки пользователей (ФИО, телефон, должность, отделение, Telegram)'],
  ['registration.decide', 'регистрации новых пользователей'],
  ['report.view_all', 'статистика по заявкам всех исполнителей'],
  ['consent.manage', 'тексты согласий на обработку ПДн'],
  ['user.manage', 'учётные записи и роли всех пользователей'],
  ['subject_request.manage', 'запросы субъектов ПДн и ответы на них'],
  ['pdn.destroy', 'уничтожение (обезличивание) ПДн'],
  ['audit.view', 'журнал аудита'],
  ['backup.manage', 'резервные копии базы данных'],
  ['settings.manage', 'настройки системы'],
]

/** The Russian sentence of what a role reaches: the permissions `can()` grants it, each named. */
export function reachSentence(role: StaffRole): string {
  const actor: Actor = { id: 0, role, status: 'active', channel: 'web', ip: null }
  const reached = reachOf.filter(([action]) => can(actor, action)).map(([, text]) => text)
  return `${reached.join('; ')}.`.replace(/^./, (first) => first.toUpperCase())
}

export interface AccessListRow {
  userId: number
  fullName: string
  position: string | null
  department: string | null
  role: StaffRole
  reach: string
  /** UTC ISO time from which the person holds this access. */
  since: string
  /** What gave it: «назначена роль», «создана учётная запись», … */
  basis: string
  /** Who gave it: a name, «консоль сервера (user@host)», «каталог LDAP» or «система»; null when unknown. */
  approvedBy: string | null
}

export interface AccessList {
  generatedAt: string
  rows: AccessListRow[]
}

export type AccessListFormat = 'view' | 'pdf' | 'xlsx' | 'csv'

/** Journal actions that give a person their access (a role, an account, a confirmation, a reactivation). */
const grants = [
  'user.role_change',
  'user.create',
  'user.create_admin',
  'user.update',
  'user.confirm',
  'user.reactivate',
]

const basisOf: Record<string, string> = {
  'user.role_change': 'назначена роль',
  'user.create': 'создана учётная запись',
  'user.create_admin': 'создан администратор',
  'user.update': 'роль из группы каталога LDAP',
  'user.confirm': 'подтверждена регистрация',
  'user.reactivate': 'учётная запись включена снова',
}

/** The list for an admin; reading it (or taking it away as a file) is journaled as a read of ПДн. */
export async function accessList(db: Db, actor: Actor, format: AccessListFormat = 'view'): Promise<AccessList> {
  await authorize(
    db,
    actor,
    'pdn.access_list',
    {
      action: 'pdn.access_list',
      objectType: 'user',
      pdn: true,
      description: 'Отказано в просмотре перечня лиц, имеющих доступ к ПДн',
    },
    'Перечень лиц, имеющих доступ к ПДн, доступен только администратору',
  )
  return transact(db, async (tx) => {
    const people = await tx
      .selectFrom('users')
      .leftJoin('departments', 'departments.id', 'users.department_id')
      .select([
        'users.id',
        'users.full_name',
        'users.position',
        'users.role',
        'users.created_at',
        'users.confirmed_at',
        'users.confirmed_by',
        'departments.name as department',
      ])
      .where('users.role', 'in', [...staffRoles])
      .where('users.status', '=', 'active')
      .orderBy('users.full_name')
      .orderBy('users.id')
      .execute()
    const events =
      people.length === 0
        ? []
        : await tx
            .selectFrom('audit_log')
            .select(['id', 'at', 'action', 'actor_id', 'channel', 'object_id', 'details'])
            .where('object_type', '=', 'user')
            .where('result', '=', 'success')
            .where('action', 'in', grants)
            .where(
              'object_id',
              'in',
              people.map((p) => String(p.id)),
            )
            .orderBy('id')
            .execute()
    const latest = new Map<number, (typeof events)[number]>()
    for (const event of events) {
      const person = people.find((p) => String(p.id) === event.object_id)
      if (person && grantsRole(event.action, event.details, person.role)) latest.set(person.id, event)
    }
    const actorIds = [
      ...new Set([
        ...[...latest.values()].flatMap((e) => (e.actor_id === null ? [] : [e.actor_id])),
        ...people.flatMap((p) => (p.confirmed_by === null ? [] : [p.confirmed_by])),
      ]),
    ]
    const names = new Map(
      actorIds.length === 0
        ? []
        : (await tx.selectFrom('users').select(['id', 'full_name']).where('id', 'in', actorIds).execute()).map((u) => [
            u.id,
            u.full_name,
          ]),
    )
    const rows = people.map((p): AccessListRow => {
      const role = p.role as StaffRole
      const event = latest.get(p.id)
      const base = {
        userId: p.id,
        fullName: p.full_name,
        position: p.position,
        department: p.department,
        role,
        reach: reachSentence(role),
      }
      if (!event) {
        // Made before the journal knew of it (a restored or demo database): the account's own dates.
        return {
          ...base,
          since: p.confirmed_at ?? p.created_at,
          basis: 'нет записи в журнале; по дате учётной записи',
          approvedBy: p.confirmed_by === null ? null : (names.get(p.confirmed_by) ?? `№ ${p.confirmed_by}`),
        }
      }
      return {
        ...base,
        since: event.at,
        basis: basisOf[event.action] ?? event.action,
        approvedBy: approver(event, names),
      }
    })
    await audit(tx, actor, {
      action: 'pdn.access_list',
      objectType: 'user',
      pdn: true,
      description:
        format === 'view'
          ? `Просмотр перечня лиц, имеющих доступ к ПДн, записей: ${rows.length}`
          : `Выгрузка перечня лиц, имеющих доступ к ПДн (${format.toUpperCase()}), записей: ${rows.length}`,
      details: { format, count: rows.length },
    })
    return { generatedAt: now(), rows }
  })
}

/** Did this journal row give the person the role they hold now (or access with it)? */
function grantsRole(action: string, details: string | null, role: Role): boolean {
  if (action === 'user.confirm' || action === 'user.reactivate') return true
  const parsed = parseDetails(details)
  if (action === 'user.role_change') return parsed.to === role
  return parsed.role === role
}

function approver(
  event: { actor_id: number | null; channel: string; details: string | null },
  names: ReadonlyMap<number, string>,
): string {
  if (event.actor_id !== null) return names.get(event.actor_id) ?? `№ ${event.actor_id}`
  if (parseDetails(event.details).source === 'ldap') return 'каталог LDAP (группа → роль)'
  const operator = consoleOperatorOf(event.details)
  if (event.channel === 'cli') return operator ? `консоль сервера (${operator})` : 'консоль сервера'
  return 'система'
}

function parseDetails(details: string | null): Record<string, unknown> {
  if (!details) return {}
  try {
    const parsed: unknown = JSON.parse(details)
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}
