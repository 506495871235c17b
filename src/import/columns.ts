import { DomainError } from '#src/errors.ts'

/**
 * The documented column sets of `helpdesk import` and «Пользователи → Импорт» (issue 11). A header is matched
 * by its letters and digits only, in any case, «ё» as «е»: «Табельный номер», «ТАБЕЛЬНЫЙ  НОМЕР» and
 * «табельный_номер» are one column. Russian names first (what 1С and people write), English aliases too.
 * A column the set does not know is refused by name rather than ignored: an HR export carries more than we
 * keep (dates of birth, passports), and what we do not need must not be loaded by accident.
 */

export const importKinds = ['departments', 'categories', 'users', 'equipment', 'duty'] as const
export type ImportKind = (typeof importKinds)[number]

/** «Импорт …»: the kind in the genitive, for the journal and the console. */
export const kindTitles: Record<ImportKind, string> = {
  departments: 'отделений',
  categories: 'категорий',
  users: 'пользователей',
  equipment: 'оборудования',
  duty: 'графика дежурств',
}

export interface ColumnSpec<F extends string = string> {
  field: F
  /** The column's name in the template and in messages. */
  header: string
  aliases: readonly string[]
  required: boolean
  /** The template's example row. */
  example: string
}

export type UserField = 'full_name' | 'department' | 'position' | 'phone' | 'employee_number' | 'telegram_id' | 'room'
export type DepartmentField = 'name' | 'sort_order'
export type EquipmentField =
  | 'inventory_number'
  | 'kind'
  | 'model'
  | 'serial'
  | 'department'
  | 'room'
  | 'responsible'
  | 'status'
export type DutyField = 'group' | 'person' | 'date' | 'from' | 'to' | 'kind' | 'note'
export type CategoryField =
  | 'name'
  | 'parent'
  | 'group'
  | 'priority'
  | 'description'
  | 'response_minutes'
  | 'resolution_minutes'
  | 'sort_order'

export const userColumns: readonly ColumnSpec<UserField>[] = [
  {
    field: 'full_name',
    header: 'ФИО',
    aliases: ['Фамилия Имя Отчество', 'Сотрудник', 'Работник', 'Full name', 'Name'],
    required: true,
    example: 'Иванова Мария Петровна',
  },
  {
    field: 'department',
    header: 'Отделение',
    aliases: ['Подразделение', 'Department'],
    required: false,
    example: 'Хирургическое отделение',
  },
  { field: 'position', header: 'Должность', aliases: ['Position', 'Job title'], required: false, example: 'Медсестра' },
  {
    field: 'phone',
    header: 'Телефон',
    aliases: ['Мобильный телефон', 'Phone', 'Mobile'],
    required: false,
    example: '8 (900) 123-45-67',
  },
  {
    field: 'employee_number',
    header: 'Табельный номер',
    aliases: ['Табельный №', 'Таб. №', 'Таб. номер', 'Табельный', 'Employee number', 'Personnel number'],
    required: false,
    example: '000123',
  },
  {
    field: 'telegram_id',
    header: 'Telegram id',
    aliases: ['Telegram', 'Телеграм', 'Чат Telegram', 'Telegram chat id', 'Chat id'],
    required: false,
    example: '',
  },
  { field: 'room', header: 'Кабинет', aliases: ['Room', 'Office'], required: false, example: '' },
]

const departmentColumns: readonly ColumnSpec<DepartmentField>[] = [
  {
    field: 'name',
    header: 'Название',
    aliases: ['Отделение', 'Подразделение', 'Name', 'Department'],
    required: true,
    example: 'Хирургическое отделение',
  },
  { field: 'sort_order', header: 'Порядок', aliases: ['Sort order', 'Order'], required: false, example: '10' },
]

const categoryColumns: readonly ColumnSpec<CategoryField>[] = [
  { field: 'name', header: 'Название', aliases: ['Категория', 'Name', 'Category'], required: true, example: 'Принтер' },
  {
    field: 'parent',
    header: 'Родитель',
    aliases: ['Родительская категория', 'Parent'],
    required: false,
    example: 'Оборудование',
  },
  {
    field: 'group',
    header: 'Группа исполнителей',
    aliases: ['Группа', 'Group', 'Executor group'],
    required: false,
    example: '',
  },
  {
    field: 'priority',
    header: 'Приоритет по умолчанию',
    aliases: ['Приоритет', 'Priority', 'Default priority'],
    required: false,
    example: 'обычный',
  },
  { field: 'description', header: 'Описание', aliases: ['Description'], required: false, example: '' },
  {
    field: 'response_minutes',
    header: 'Срок реакции, мин',
    aliases: ['Срок реакции', 'Response minutes'],
    required: false,
    example: '',
  },
  {
    field: 'resolution_minutes',
    header: 'Срок решения, мин',
    aliases: ['Срок решения', 'Resolution minutes'],
    required: false,
    example: '',
  },
  { field: 'sort_order', header: 'Порядок', aliases: ['Sort order', 'Order'], required: false, example: '' },
]

/** «Оборудование» (issue 14): the accounting export's columns, as 1С names them, and ours. */
export const equipmentColumns: readonly ColumnSpec<EquipmentField>[] = [
  {
    field: 'inventory_number',
    header: 'Инвентарный номер',
    aliases: ['Инв. №', 'Инв. номер', 'Инвентарный №', 'Инв номер', 'Inventory number'],
    required: true,
    example: '0101340012',
  },
  {
    field: 'kind',
    header: 'Тип',
    aliases: ['Вид', 'Тип оборудования', 'Вид оборудования', 'Наименование', 'Type'],
    required: false,
    example: 'Принтер',
  },
  { field: 'model', header: 'Модель', aliases: ['Марка', 'Model'], required: false, example: 'HP LaserJet M404dn' },
  {
    field: 'serial',
    header: 'Серийный номер',
    aliases: ['Заводской номер', 'Зав. №', 'Серийный №', 'S/N', 'Serial', 'Serial number'],
    required: false,
    example: 'PHCBB12345',
  },
  {
    field: 'department',
    header: 'Отделение',
    aliases: ['Подразделение', 'Department'],
    required: false,
    example: 'Хирургическое отделение',
  },
  { field: 'room', header: 'Кабинет', aliases: ['Помещение', 'Room'], required: false, example: '214' },
  {
    field: 'responsible',
    header: 'Ответственный',
    aliases: ['МОЛ', 'Материально ответственное лицо', 'Ответственное лицо', 'Responsible'],
    required: false,
    example: '',
  },
  {
    field: 'status',
    header: 'Состояние',
    aliases: ['Статус', 'Status'],
    required: false,
    example: 'В эксплуатации',
  },
]

/** «Дежурства» (issue 14): one shift a row, times on the hospital's wall clock; an end before the start is the next morning. */
export const dutyColumns: readonly ColumnSpec<DutyField>[] = [
  {
    field: 'group',
    header: 'Группа',
    aliases: ['Группа исполнителей', 'Group'],
    required: true,
    example: 'Оргтехника',
  },
  {
    field: 'person',
    header: 'Дежурный',
    aliases: ['ФИО', 'Сотрудник', 'Табельный номер', 'Person'],
    required: true,
    example: 'Петров Пётр Петрович',
  },
  { field: 'date', header: 'Дата', aliases: ['День', 'Date'], required: true, example: '02.03.2026' },
  { field: 'from', header: 'С', aliases: ['Начало', 'Время начала', 'From'], required: true, example: '20:00' },
  {
    field: 'to',
    header: 'До',
    aliases: ['Конец', 'Окончание', 'Время окончания', 'To'],
    required: true,
    example: '08:00',
  },
  { field: 'kind', header: 'Смена', aliases: ['Вид смены', 'Kind'], required: false, example: 'ночная' },
  { field: 'note', header: 'Примечание', aliases: ['Комментарий', 'Note'], required: false, example: '' },
]

export function columnsOf(kind: ImportKind): readonly ColumnSpec[] {
  if (kind === 'duty') return dutyColumns
  if (kind === 'users') return userColumns
  if (kind === 'equipment') return equipmentColumns
  if (kind === 'departments') return departmentColumns
  return categoryColumns
}

/** A header as it is compared: its letters, digits and «№», lower case, «ё» as «е». */
function headerKey(header: string): string {
  return header
    .toLocaleLowerCase('ru')
    .replaceAll('ё', 'е')
    .replace(/[^\p{L}\p{N}№]/gu, '')
}

/** A1-style letters of a 0-based column index: 0 → A, 27 → AB. */
export function columnLetter(index: number): string {
  let n = index + 1
  let letters = ''
  while (n > 0) {
    const rest = (n - 1) % 26
    letters = String.fromCharCode(65 + rest) + letters
    n = Math.floor((n - 1) / 26)
  }
  return letters
}

/**
 * Which field each column of the header row holds (undefined for an empty header over an empty column).
 * Refuses, naming them, unknown columns, a column given twice, and missing required columns.
 */
export function matchHeader(kind: ImportKind, header: readonly string[]): Array<string | undefined> {
  const specs = columnsOf(kind)
  const byKey = new Map<string, ColumnSpec>()
  for (const spec of specs) for (const name of [spec.header, ...spec.aliases]) byKey.set(headerKey(name), spec)
  const expected = specs.map((s) => `«${s.header}»`).join(', ')
  const fields: Array<string | undefined> = []
  const seen = new Set<string>()
  const unknown: string[] = []
  for (const [index, raw] of header.entries()) {
    const key = headerKey(raw)
    if (key === '') {
      fields.push(undefined)
      continue
    }
    const spec = byKey.get(key)
    if (!spec) {
      unknown.push(`«${raw.trim()}» (столбец ${columnLetter(index)})`)
      fields.push(undefined)
      continue
    }
    if (seen.has(spec.field)) {
      throw new DomainError(
        'validation',
        `Столбец «${spec.header}» указан дважды (второй раз — ${columnLetter(index)})`,
      )
    }
    seen.add(spec.field)
    fields.push(spec.field)
  }
  if (unknown.length > 0) {
    throw new DomainError(
      'validation',
      `${unknown.length === 1 ? 'Неизвестный столбец' : 'Неизвестные столбцы'} ${unknown.join(', ')}: уберите или переименуйте. Ожидаются: ${expected}`,
    )
  }
  const missing = specs.filter((s) => s.required && !seen.has(s.field)).map((s) => `«${s.header}»`)
  if (missing.length > 0) {
    throw new DomainError(
      'validation',
      `Нет обязательного столбца ${missing.join(', ')} в первой строке файла. Ожидаются: ${expected}`,
    )
  }
  return fields
}
