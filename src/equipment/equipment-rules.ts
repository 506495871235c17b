import { type EquipmentStatus, equipmentStatuses } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import { optionalText, requiredText } from '#src/users/fields.ts'

/**
 * «Оборудование» (issue 14): the fields' limits and checks, the statuses as people write them, the search key. The
 * statuses' labels on the web are in views/equipment.tsx (translated there).
 */

export const INVENTORY_MAX = 50
export const KIND_MAX = 100
export const MODEL_MAX = 200
export const SERIAL_MAX = 100
export const ROOM_MAX = 200

/** The statuses staff set by an edit: writing off is its own use case (curators, admins). */
export const editableStatuses = ['in_service', 'in_repair'] as const satisfies readonly EquipmentStatus[]
export type EditableStatus = (typeof editableStatuses)[number]

/**
 * An inventory number as accounting writes it: letters, digits and `- / . _`, no spaces inside (a space typed
 * around it is dropped). Compared as written: «0101-00123» and «010100123» are two numbers.
 */
export function checkInventoryNumber(value: string): string {
  const text = requiredText(value, { label: 'Инвентарный номер', max: INVENTORY_MAX })
  if (!/^[\p{L}\p{N}][\p{L}\p{N}\-/._]*$/u.test(text)) {
    throw new DomainError(
      'validation',
      'Инвентарный номер: буквы, цифры и знаки - / . _ без пробелов, например 0101340012 или ВА-000123',
    )
  }
  return text
}

export function checkKind(value: string): string {
  return requiredText(value, { label: 'Тип', max: KIND_MAX, empty: 'Укажите тип: принтер, МФУ, компьютер, …' })
}

export const checkModel = (value: string | null | undefined) => optionalText(value, { label: 'Модель', max: MODEL_MAX })
export const checkSerial = (value: string | null | undefined) =>
  optionalText(value, { label: 'Серийный номер', max: SERIAL_MAX })
export const checkRoom = (value: string | null | undefined) => optionalText(value, { label: 'Кабинет', max: ROOM_MAX })

/** A status by its code, or its Russian label as an accounting export or a person writes it. */
export function parseStatus(value: string): EquipmentStatus {
  const key = value.trim().toLocaleLowerCase('ru').replaceAll('ё', 'е')
  const code = equipmentStatuses.find((s) => s === key)
  if (code) return code
  if (key === '' || key.startsWith('в эксплуатац') || key === 'исправно' || key === 'работает') return 'in_service'
  if (key.startsWith('в ремонт') || key === 'ремонт' || key === 'неисправно') return 'in_repair'
  if (key.startsWith('списан')) return 'written_off'
  throw new DomainError(
    'validation',
    `Неизвестное состояние «${value.trim()}»: «В эксплуатации», «В ремонте» или «Списано»`,
  )
}

export function checkEditableStatus(value: string): EditableStatus {
  const status = parseStatus(value)
  if (status === 'written_off') {
    throw new DomainError('validation', 'Списать оборудование можно только кнопкой «Списать» (куратор, администратор)')
  }
  return status
}

/** What a search looks through, lower case: the inventory number, type, model and serial. */
export function searchTextOf(device: {
  inventory_number: string
  kind: string
  model: string | null
  serial: string | null
}) {
  return [device.inventory_number, device.kind, device.model ?? '', device.serial ?? '']
    .join('\n')
    .toLocaleLowerCase('ru')
    .replaceAll('ё', 'е')
}

/** A search as typed, in the case of `search_text`, with LIKE's own characters taken literally. */
export function searchPattern(query: string): string {
  // A NUL is no character of a device's text, and PostgreSQL refuses it in a parameter (a 500 the B1 fuzzer found).
  const key = query.replaceAll('\u0000', '').trim().toLocaleLowerCase('ru').replaceAll('ё', 'е')
  return `%${key.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/** «Принтер HP LaserJet M404 (инв. № 0101340012)»: how a device is named in messages. */
export function equipmentLabel(device: { inventory_number: string; kind: string; model: string | null }): string {
  const what = [device.kind, device.model].filter((part) => part !== null && part !== '').join(' ')
  return `${what} (инв. № ${device.inventory_number})`
}
