import type { Updateable } from 'kysely'
import { audit } from '#src/audit/journal.ts'
import type { EquipmentStatus, EquipmentTable, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { equipmentColumns } from '#src/import/columns.ts'
import { checked, isReason, nameKey, type Planned, type PlannedRow, readRows, sortByLine } from '#src/import/plan.ts'
import type { ImportRow } from '#src/import/read-table.ts'
import {
  checkInventoryNumber,
  checkKind,
  checkModel,
  checkRoom,
  checkSerial,
  parseStatus,
  searchTextOf,
} from './equipment-rules.ts'

/**
 * The accounting export (issue 14): a device is known by its inventory number — a new number is created, a known
 * one gets the file's non-empty cells (an empty cell changes nothing: the accounts do not know the room IT moved a
 * printer to). Отделение must already be in the catalogue; «Ответственный» is a person of ours, by табельный номер
 * or by ФИО when exactly one active account has it. «Списано» writes a device off; a written-off device is not
 * brought back nor changed by a file. Any bad row refuses the whole file (import-file.ts).
 */

type Field = 'inventory_number' | 'kind' | 'model' | 'serial' | 'department_id' | 'room' | 'responsible_id' | 'status'

const header = Object.fromEntries(equipmentColumns.map((c) => [c.field, c.header]))
const columnOf: Record<Field, string> = {
  inventory_number: header.inventory_number ?? 'Инвентарный номер',
  kind: header.kind ?? 'Тип',
  model: header.model ?? 'Модель',
  serial: header.serial ?? 'Серийный номер',
  department_id: header.department ?? 'Отделение',
  room: header.room ?? 'Кабинет',
  responsible_id: header.responsible ?? 'Ответственный',
  status: header.status ?? 'Состояние',
}

interface Read {
  line: number
  inventoryNumber: string
  kind: string | null
  model: string | null
  serial: string | null
  department: string | null
  room: string | null
  responsible: string | null
  status: EquipmentStatus | null
}

interface Lookups {
  departments: Map<string, number>
  byEmployeeNumber: Map<string, number>
  /** ФИО key → the active accounts with it (two namesakes: neither is guessed). */
  byName: Map<string, number[]>
}

export async function planEquipment(tx: Tx, rows: readonly ImportRow[]): Promise<Planned> {
  const lookups = await lookupsOf(tx)
  const existing = new Map((await tx.selectFrom('equipment').selectAll().execute()).map((d) => [d.inventory_number, d]))
  const { read: rowsRead, bad } = readRows(rows, (row): Read => {
    const text = (field: string) => {
      const value = row.values[field]
      return value === undefined || value.trim() === '' ? null : value.trim()
    }
    const kind = text('kind')
    const status = text('status')
    return {
      line: row.line,
      inventoryNumber: checkInventoryNumber(row.values.inventory_number ?? ''),
      kind: kind === null ? null : checkKind(kind),
      model: checkModel(text('model')),
      serial: checkSerial(text('serial')),
      department: text('department'),
      room: checkRoom(text('room')),
      responsible: text('responsible'),
      status: status === null ? null : parseStatus(status),
    }
  })
  const planned: PlannedRow[] = []
  const seen = new Map<string, number>()
  const creates: Array<
    Omit<EquipmentTable, 'id' | 'created_by' | 'created_at' | 'updated_at' | 'written_off_at' | 'written_off_by'>
  > = []
  const updates: Array<{ id: number; change: Updateable<EquipmentTable>; fields: Field[]; writeOff: boolean }> = []

  for (const read of rowsRead) {
    const earlier = seen.get(read.inventoryNumber)
    if (earlier !== undefined) {
      bad.push({ line: read.line, reason: `инвентарный номер ${read.inventoryNumber} уже был в строке ${earlier}` })
      continue
    }
    seen.set(read.inventoryNumber, read.line)
    const placed = checked(() => ({
      departmentId: departmentOf(lookups, read.department),
      responsibleId: responsibleOf(lookups, read.responsible),
    }))
    if (isReason(placed)) {
      bad.push({ line: read.line, reason: placed.reason })
      continue
    }
    const { departmentId, responsibleId } = placed
    const found = existing.get(read.inventoryNumber)
    const label = [read.inventoryNumber, read.kind ?? found?.kind, read.model ?? found?.model]
      .filter((part) => part !== null && part !== undefined && part !== '')
      .join(' · ')
    if (!found) {
      if (read.kind === null) {
        bad.push({
          line: read.line,
          reason: `не указан «${columnOf.kind}» нового оборудования ${read.inventoryNumber}`,
        })
        continue
      }
      const device = {
        inventory_number: read.inventoryNumber,
        kind: read.kind,
        model: read.model,
        serial: read.serial,
        department_id: departmentId,
        room: read.room,
        responsible_id: responsibleId,
        status: read.status ?? 'in_service',
      }
      creates.push({ ...device, search_text: searchTextOf(device) })
      planned.push({ line: read.line, action: 'create', label, fields: [] })
      continue
    }
    if (found.status === 'written_off' && read.status !== null && read.status !== 'written_off') {
      bad.push({
        line: read.line,
        reason: `оборудование ${read.inventoryNumber} списано; импорт не возвращает списанное в реестр`,
      })
      continue
    }
    // A written-off device is history, as on its card (update-equipment.ts): the file's other cells change nothing.
    if (found.status === 'written_off') {
      planned.push({ line: read.line, action: 'unchanged', label, fields: [] })
      continue
    }
    const change: Updateable<EquipmentTable> = {}
    const fields: Field[] = []
    const offer = <K extends Field>(field: K, value: EquipmentTable[K] | null) => {
      if (value === null || value === found[field]) return
      Object.assign(change, { [field]: value })
      fields.push(field)
    }
    offer('kind', read.kind)
    offer('model', read.model)
    offer('serial', read.serial)
    offer('department_id', departmentId)
    offer('room', read.room)
    offer('responsible_id', responsibleId)
    offer('status', read.status)
    if (fields.length === 0) {
      planned.push({ line: read.line, action: 'unchanged', label, fields: [] })
      continue
    }
    const writeOff = change.status === 'written_off'
    if (fields.some((f) => f === 'kind' || f === 'model' || f === 'serial')) {
      change.search_text = searchTextOf({ ...found, ...change } as typeof found)
    }
    updates.push({ id: found.id, change, fields, writeOff })
    planned.push({ line: read.line, action: 'update', label, fields: fields.map((f) => columnOf[f]) })
  }

  return {
    plan: sortByLine({ rows: planned, bad }),
    apply: async (db, actor) => {
      const at = now()
      for (const device of creates) {
        const created = await db
          .insertInto('equipment')
          .values({
            ...device,
            created_by: actor.id,
            created_at: at,
            updated_at: at,
            written_off_at: device.status === 'written_off' ? at : null,
            written_off_by: device.status === 'written_off' ? actor.id : null,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
        await audit(db, actor, {
          action: 'equipment.create',
          objectType: 'equipment',
          objectId: created.id,
          subjectId: device.responsible_id,
          pdn: device.responsible_id !== null,
          description: `Добавлено оборудование № ${created.id} (импорт)`,
          details: {
            inventoryNumber: device.inventory_number,
            departmentId: device.department_id,
            responsibleId: device.responsible_id,
            status: device.status,
            import: true,
          },
        })
      }
      for (const { id, change, fields, writeOff } of updates) {
        await db
          .updateTable('equipment')
          .set({
            ...change,
            updated_at: at,
            ...(writeOff ? { written_off_at: at, written_off_by: actor.id } : {}),
          })
          .where('id', '=', id)
          .execute()
        await audit(db, actor, {
          action: writeOff ? 'equipment.write_off' : 'equipment.update',
          objectType: 'equipment',
          objectId: id,
          subjectId: change.responsible_id ?? null,
          pdn: fields.includes('responsible_id'),
          description: writeOff ? `Списано оборудование № ${id} (импорт)` : `Изменено оборудование № ${id} (импорт)`,
          details: { changed: fields, import: true },
        })
      }
    },
  }
}

async function lookupsOf(tx: Tx): Promise<Lookups> {
  const departments = new Map(
    (await tx.selectFrom('departments').select(['id', 'name']).execute()).map((d) => [nameKey(d.name), d.id]),
  )
  const people = await tx
    .selectFrom('users')
    .select(['id', 'full_name', 'employee_number'])
    .where('status', '=', 'active')
    .where('pseudonymised_at', 'is', null)
    .execute()
  const byEmployeeNumber = new Map<string, number>()
  const byName = new Map<string, number[]>()
  for (const person of people) {
    if (person.employee_number) byEmployeeNumber.set(person.employee_number, person.id)
    const key = nameKey(person.full_name)
    byName.set(key, [...(byName.get(key) ?? []), person.id])
  }
  return { departments, byEmployeeNumber, byName }
}

function departmentOf(lookups: Lookups, name: string | null): number | null {
  if (name === null) return null
  const id = lookups.departments.get(nameKey(name))
  if (id === undefined)
    throw new DomainError('validation', `отделения «${name}» нет в справочнике — добавьте его сначала`)
  return id
}

/** A person by табельный номер, else by ФИО when exactly one active account has it. */
function responsibleOf(lookups: Lookups, value: string | null): number | null {
  if (value === null) return null
  const byNumber = lookups.byEmployeeNumber.get(value)
  if (byNumber !== undefined) return byNumber
  const named = lookups.byName.get(nameKey(value)) ?? []
  if (named.length === 1 && named[0] !== undefined) return named[0]
  if (named.length > 1) {
    throw new DomainError(
      'validation',
      `ответственный «${value}»: несколько сотрудников с таким ФИО — укажите табельный номер`,
    )
  }
  throw new DomainError('validation', `ответственный «${value}» не найден среди активных пользователей`)
}
