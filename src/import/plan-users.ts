import { audit } from '#src/audit/journal.ts'
import type { Tx, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { NAME_MAX, normalizeChatId, normalizePhone, optionalText, requiredText } from '#src/users/fields.ts'
import { insertUser } from '#src/users/user-store.ts'
import { userColumns } from './columns.ts'
import { checked, isReason, nameKey, type Planned, type PlannedRow, readRows, sortByLine } from './plan.ts'
import type { ImportRow } from './read-table.ts'

/**
 * The staff list from HR. A person is matched by табельный номер, else by Telegram id; a row with neither is
 * refused rather than guessed at (a name alone is not a person: namesakes work in one hospital). New people
 * are active requesters (confirmed by the import's actor) with no consent record: the bot asks them for
 * their consent at their first message. An empty cell changes nothing: the HR file does not know the phone a
 * person gave the bot. Отделение must already exist (`import departments` first): a typo in a department's
 * name would otherwise create a department nobody meant.
 */

const EMPLOYEE_NUMBER_MAX = 50

type Changes = Partial<
  Pick<User, 'full_name' | 'department_id' | 'position' | 'phone' | 'room' | 'employee_number' | 'telegram_chat_id'>
>

interface Person {
  fullName: string
  departmentId: number | null
  position: string | null
  phone: string | null
  room: string | null
  employeeNumber: string | null
  chatId: string | null
}

type Known = Pick<
  User,
  | 'id'
  | 'full_name'
  | 'department_id'
  | 'position'
  | 'phone'
  | 'room'
  | 'employee_number'
  | 'telegram_chat_id'
  | 'pseudonymised_at'
>

const label = Object.fromEntries(userColumns.map((c) => [c.field, c.header]))
const columnOfField: Record<keyof Changes, string> = {
  full_name: label.full_name ?? 'ФИО',
  department_id: label.department ?? 'Отделение',
  position: label.position ?? 'Должность',
  phone: label.phone ?? 'Телефон',
  room: label.room ?? 'Кабинет',
  employee_number: label.employee_number ?? 'Табельный номер',
  telegram_chat_id: label.telegram_id ?? 'Telegram id',
}

export async function planUsers(tx: Tx, rows: readonly ImportRow[]): Promise<Planned> {
  const departments = new Map(
    (await tx.selectFrom('departments').select(['id', 'name']).execute()).map((d) => [nameKey(d.name), d.id]),
  )
  const known: Known[] = await tx
    .selectFrom('users')
    .select([
      'id',
      'full_name',
      'department_id',
      'position',
      'phone',
      'room',
      'employee_number',
      'telegram_chat_id',
      'pseudonymised_at',
    ])
    .execute()
  const byNumber = new Map<string, Known>()
  const byChat = new Map<string, Known>()
  const namesakes = new Map<string, number[]>()
  for (const user of known) {
    if (user.employee_number !== null) byNumber.set(user.employee_number, user)
    if (user.telegram_chat_id !== null) byChat.set(user.telegram_chat_id, user)
    // Only accounts no табельный номер identifies yet could be the same person as a new row.
    if (user.pseudonymised_at === null && user.employee_number === null) {
      const key = nameKey(user.full_name)
      namesakes.set(key, [...(namesakes.get(key) ?? []), user.id])
    }
  }

  const { read, bad } = readRows(rows, (row) => ({ line: row.line, person: personOf(row, departments) }))
  const planned: PlannedRow[] = []
  const creates: Person[] = []
  const updates: Array<{ user: Known; changes: Changes }> = []
  const numberLines = new Map<string, number>()
  const chatLines = new Map<string, number>()

  for (const { line, person } of read) {
    const repeated = repeatedKey(person, numberLines, chatLines)
    if (repeated) {
      bad.push({ line: line, reason: repeated })
      continue
    }
    if (person.employeeNumber !== null) numberLines.set(person.employeeNumber, line)
    if (person.chatId !== null) chatLines.set(person.chatId, line)

    const match = checked(() => matchPerson(person, byNumber, byChat))
    if (isReason(match)) {
      bad.push({ line: line, reason: match.reason })
      continue
    }
    const title = person.employeeNumber ? `${person.fullName} (таб. № ${person.employeeNumber})` : person.fullName
    if (match === undefined) {
      creates.push(person)
      const same = namesakes.get(nameKey(person.fullName)) ?? []
      planned.push({
        line: line,
        action: 'create',
        label: title,
        fields: [],
        ...(same.length > 0
          ? {
              note: `уже есть пользователь № ${same.join(', № ')} с таким ФИО без табельного номера: если это он, укажите в файле его Telegram id`,
            }
          : {}),
      })
      continue
    }
    const changes = changesOf(match, person)
    const fields = Object.keys(changes) as Array<keyof Changes>
    if (fields.length === 0) {
      planned.push({ line: line, action: 'unchanged', label: title, fields: [] })
      continue
    }
    updates.push({ user: match, changes })
    planned.push({ line: line, action: 'update', label: title, fields: fields.map((f) => columnOfField[f]) })
  }

  return {
    plan: sortByLine({ rows: planned, bad }),
    apply: async (db, actor) => {
      const at = now()
      for (const person of creates) {
        const user = await insertUser(db, {
          role: 'requester',
          status: 'active',
          full_name: person.fullName,
          department_id: person.departmentId,
          position: person.position,
          phone: person.phone,
          room: person.room,
          employee_number: person.employeeNumber,
          telegram_chat_id: person.chatId,
          confirmed_at: at,
          confirmed_by: actor.id,
        })
        await audit(db, actor, {
          action: 'user.create',
          objectType: 'user',
          objectId: user.id,
          subjectId: user.id,
          pdn: true,
          description: `Создан пользователь № ${user.id} с ролью requester (импорт)`,
          details: { role: 'requester', withLogin: false, withTelegram: person.chatId !== null, import: true },
        })
      }
      for (const { user, changes } of updates) {
        await db
          .updateTable('users')
          .set({ ...changes, updated_at: at })
          .where('id', '=', user.id)
          .execute()
        const fields = Object.keys(changes)
        await audit(db, actor, {
          action: 'user.update',
          objectType: 'user',
          objectId: user.id,
          subjectId: user.id,
          pdn: true,
          description: `Изменены данные пользователя № ${user.id} (импорт): ${fields.join(', ')}`,
          details: { fields, import: true },
        })
      }
    },
  }
}

function personOf(row: ImportRow, departments: ReadonlyMap<string, number>): Person {
  const v = row.values
  const fullName = requiredText(v.full_name ?? '', { label: 'ФИО', max: NAME_MAX })
  const departmentName = v.department ?? ''
  let departmentId: number | null = null
  if (departmentName !== '') {
    const found = departments.get(nameKey(departmentName))
    if (found === undefined) {
      throw new DomainError(
        'validation',
        `отделения «${departmentName}» нет в справочнике — добавьте его (helpdesk import departments) или исправьте название`,
      )
    }
    departmentId = found
  }
  const employeeNumber = optionalText(v.employee_number, { label: 'Табельный номер', max: EMPLOYEE_NUMBER_MAX })
  const chatId = v.telegram_id ? normalizeChatId(v.telegram_id) : null
  if (employeeNumber === null && chatId === null) {
    throw new DomainError(
      'validation',
      'нет ни табельного номера, ни Telegram id — не понять, новый это человек или уже известный',
    )
  }
  return {
    fullName,
    departmentId,
    position: optionalText(v.position, { label: 'Должность', max: NAME_MAX }),
    phone: v.phone ? normalizePhone(v.phone) : null,
    room: optionalText(v.room, { label: 'Кабинет', max: NAME_MAX }),
    employeeNumber,
    chatId,
  }
}

function repeatedKey(
  person: Person,
  numberLines: ReadonlyMap<string, number>,
  chatLines: ReadonlyMap<string, number>,
): string | undefined {
  const numberLine = person.employeeNumber === null ? undefined : numberLines.get(person.employeeNumber)
  if (numberLine !== undefined) return `табельный номер ${person.employeeNumber} уже был в строке ${numberLine}`
  const chatLine = person.chatId === null ? undefined : chatLines.get(person.chatId)
  if (chatLine !== undefined) return `Telegram id ${person.chatId} уже был в строке ${chatLine}`
  return undefined
}

/** The account this row is about, undefined for a new person; refuses when the keys point different ways. */
function matchPerson(
  person: Person,
  byNumber: ReadonlyMap<string, Known>,
  byChat: ReadonlyMap<string, Known>,
): Known | undefined {
  const numbered = person.employeeNumber === null ? undefined : byNumber.get(person.employeeNumber)
  const chatted = person.chatId === null ? undefined : byChat.get(person.chatId)
  if (numbered && chatted && numbered.id !== chatted.id) {
    throw new DomainError(
      'validation',
      `табельный номер — у пользователя № ${numbered.id}, а Telegram id — у пользователя № ${chatted.id}`,
    )
  }
  if (!numbered && chatted && chatted.employee_number !== null) {
    throw new DomainError(
      'validation',
      `Telegram id привязан к пользователю № ${chatted.id} с другим табельным номером (${chatted.employee_number})`,
    )
  }
  const user = numbered ?? chatted
  if (!user) return undefined
  if (user.pseudonymised_at !== null) {
    throw new DomainError('validation', `данные пользователя № ${user.id} уничтожены — его нельзя обновить импортом`)
  }
  if (person.chatId !== null && user.telegram_chat_id !== null && user.telegram_chat_id !== person.chatId) {
    throw new DomainError(
      'validation',
      `у пользователя № ${user.id} привязан другой Telegram — привязку меняет сам человек или администратор`,
    )
  }
  return user
}

/** What the file says differently from the account; empty cells say nothing. */
function changesOf(user: Known, person: Person): Changes {
  const changes: Changes = {}
  if (person.fullName !== user.full_name) changes.full_name = person.fullName
  if (person.departmentId !== null && person.departmentId !== user.department_id) {
    changes.department_id = person.departmentId
  }
  if (person.position !== null && person.position !== user.position) changes.position = person.position
  if (person.phone !== null && person.phone !== user.phone) changes.phone = person.phone
  if (person.room !== null && person.room !== user.room) changes.room = person.room
  if (person.employeeNumber !== null && user.employee_number === null) changes.employee_number = person.employeeNumber
  if (person.chatId !== null && user.telegram_chat_id === null) changes.telegram_chat_id = person.chatId
  return changes
}
