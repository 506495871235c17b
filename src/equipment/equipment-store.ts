import { sql } from 'kysely'
import type { Equipment, EquipmentStatus, Priority, TicketStatus, Tx } from '#src/db/schema.ts'
import { searchPattern } from './equipment-rules.ts'

/** A device with the names of its department and of the person responsible for it. */
export interface EquipmentRow extends Equipment {
  department_name: string | null
  responsible_name: string | null
}

export interface EquipmentFilter {
  /** Part of the inventory number, type, model or serial, in any case. */
  q?: string | undefined
  departmentId?: number | undefined
  status?: EquipmentStatus | undefined
  /** Written-off devices are left out unless asked for (by `status` or this). */
  withWrittenOff?: boolean | undefined
}

export const EQUIPMENT_PAGE = 50

/** The rows of `equipment`, to be filtered before the names are joined (the count needs no names). */
function devices(db: Tx) {
  return db.selectFrom('equipment')
}

function withNames(query: ReturnType<typeof devices>) {
  return query
    .leftJoin('departments', 'departments.id', 'equipment.department_id')
    .leftJoin('users', 'users.id', 'equipment.responsible_id')
    .selectAll('equipment')
    .select(['departments.name as department_name', 'users.full_name as responsible_name'])
}

export async function findEquipment(db: Tx, id: number): Promise<EquipmentRow | undefined> {
  return withNames(devices(db).where('equipment.id', '=', id)).executeTakeFirst()
}

/** These devices in one query, in no particular order; an id that is not a device is simply absent. */
export async function findEquipmentByIds(db: Tx, ids: readonly number[]): Promise<EquipmentRow[]> {
  if (ids.length === 0) return []
  return withNames(devices(db).where('equipment.id', 'in', [...ids])).execute()
}

export async function findEquipmentByInventory(db: Tx, inventoryNumber: string): Promise<EquipmentRow | undefined> {
  return withNames(devices(db).where('equipment.inventory_number', '=', inventoryNumber)).executeTakeFirst()
}

/** One page of the registry by inventory number, and how many match (for the pager). */
export async function listEquipmentPage(
  db: Tx,
  filter: EquipmentFilter,
  page: { offset: number; limit: number },
): Promise<{ rows: EquipmentRow[]; total: number }> {
  let matching = devices(db)
  if (filter.q !== undefined && filter.q.trim() !== '') {
    matching = matching.where(sql<boolean>`equipment.search_text like ${searchPattern(filter.q)} escape '\\'`)
  }
  if (filter.departmentId !== undefined) matching = matching.where('equipment.department_id', '=', filter.departmentId)
  if (filter.status !== undefined) matching = matching.where('equipment.status', '=', filter.status)
  else if (!filter.withWrittenOff) matching = matching.where('equipment.status', '<>', 'written_off')
  const rows = await withNames(matching)
    .orderBy('equipment.inventory_number')
    .orderBy('equipment.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute()
  const count = await matching.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst()
  return { rows, total: Number(count?.n ?? 0) }
}

/** A ticket about a device, as its page lists it. */
export interface EquipmentTicket {
  id: number
  title: string
  status: TicketStatus
  priority: Priority
  created_at: string
  resolved_at: string | null
}

/** The device's tickets, newest first. */
export async function equipmentTickets(db: Tx, equipmentId: number, limit = 200): Promise<EquipmentTicket[]> {
  return db
    .selectFrom('tickets')
    .select(['id', 'title', 'status', 'priority', 'created_at', 'resolved_at'])
    .where('equipment_id', '=', equipmentId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
}
