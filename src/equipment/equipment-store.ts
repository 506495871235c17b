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

function withNames(db: Tx) {
  return db
    .selectFrom('equipment')
    .leftJoin('departments', 'departments.id', 'equipment.department_id')
    .leftJoin('users', 'users.id', 'equipment.responsible_id')
    .selectAll('equipment')
    .select(['departments.name as department_name', 'users.full_name as responsible_name'])
}

export async function findEquipment(db: Tx, id: number): Promise<EquipmentRow | undefined> {
  return withNames(db).where('equipment.id', '=', id).executeTakeFirst()
}

export async function findEquipmentByInventory(db: Tx, inventoryNumber: string): Promise<EquipmentRow | undefined> {
  return withNames(db).where('equipment.inventory_number', '=', inventoryNumber).executeTakeFirst()
}

/** One page of the registry by inventory number, and how many match (for the pager). */
export async function listEquipmentPage(
  db: Tx,
  filter: EquipmentFilter,
  page: { offset: number; limit: number },
): Promise<{ rows: EquipmentRow[]; total: number }> {
  let query = withNames(db)
  let count = db.selectFrom('equipment').select((eb) => eb.fn.countAll<number | string>().as('n'))
  if (filter.q !== undefined && filter.q.trim() !== '') {
    const pattern = searchPattern(filter.q)
    query = query.where(sql<boolean>`equipment.search_text like ${pattern} escape '\\'`)
    count = count.where(sql<boolean>`equipment.search_text like ${pattern} escape '\\'`)
  }
  if (filter.departmentId !== undefined) {
    query = query.where('equipment.department_id', '=', filter.departmentId)
    count = count.where('equipment.department_id', '=', filter.departmentId)
  }
  if (filter.status !== undefined) {
    query = query.where('equipment.status', '=', filter.status)
    count = count.where('equipment.status', '=', filter.status)
  } else if (!filter.withWrittenOff) {
    query = query.where('equipment.status', '<>', 'written_off')
    count = count.where('equipment.status', '<>', 'written_off')
  }
  const rows = await query
    .orderBy('equipment.inventory_number')
    .orderBy('equipment.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute()
  const total = Number((await count.executeTakeFirst())?.n ?? 0)
  return { rows, total }
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
