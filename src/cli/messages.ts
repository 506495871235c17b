import type { Role, UserStatus } from '#src/db/schema.ts'
import { roles } from '#src/db/schema.ts'
import { FIRST_YEAR, LAST_YEAR } from '#src/format/zone-days.ts'

/** The command line's Russian labels in one place. */
export const roleLabels: Record<Role, string> = {
  requester: 'заявитель',
  executor: 'исполнитель',
  curator: 'куратор',
  admin: 'администратор',
}

export const statusLabels: Record<UserStatus, string> = {
  pending: 'не подтверждён',
  active: 'активен',
  rejected: 'отклонён',
  deactivated: 'деактивирован',
}

const pluralRules = new Intl.PluralRules('ru')

/** «1 запись, 2 записи, 5 записей». */
export function countOf(n: number, words: { one: string; few: string; many: string }): string {
  const form = pluralRules.select(n)
  return `${n} ${form === 'one' ? words.one : form === 'few' ? words.few : words.many}`
}

export const recordWords = { one: 'запись', few: 'записи', many: 'записей' } as const

export const validRolesText = roles.map((r) => `${r} (${roleLabels[r]})`).join(', ')

export const messages = {
  userNotFound: (id: number) => `Пользователь ${id} не найден`,
  userByChatNotFound: (chatId: string) => `Пользователь с chat_id ${chatId} не найден`,
  userByLoginNotFound: (login: string) => `Пользователь с логином «${login}» не найден`,
  badRole: (role: string) => `неизвестная роль «${role}». Возможные роли: ${validRolesText}`,
  badStatus: (status: string, valid: string) => `неизвестный статус «${status}». Возможные: ${valid}`,
  badDate: (flag: string, value: string) =>
    `${flag}: «${value}» — не дата ГГГГ-ММ-ДД с ${FIRST_YEAR} по ${LAST_YEAR} год (например, 2023-01-31)`,
  idOrChatId: 'укажите ровно одно из --id или --chat_id',
  postgresBackup:
    'Для PostgreSQL резервные копии делаются средствами СУБД: pg_dump -Fc "$DATABASE_URL" > helpdesk.dump, ' +
    'восстановление — pg_restore --clean -d "$DATABASE_URL" helpdesk.dump (при остановленном сервере)',
} as const
