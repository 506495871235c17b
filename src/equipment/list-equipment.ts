import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { requireEquipmentUse } from './equipment-access.ts'
import { EQUIPMENT_PAGE, type EquipmentFilter, type EquipmentRow, listEquipmentPage } from './equipment-store.ts'

export interface EquipmentPage {
  rows: EquipmentRow[]
  total: number
  page: number
  pages: number
}

/**
 * The registry (IT staff), by inventory number, filtered and searched; written-off devices only when asked for.
 * The rows name the people responsible: the read is journaled.
 */
export async function listEquipment(
  db: Db,
  actor: Actor,
  filter: EquipmentFilter & { page?: number | undefined },
): Promise<EquipmentPage> {
  await requireEquipmentUse(db, actor, 'equipment.list')
  const page = Math.max(1, filter.page ?? 1)
  const { rows, total } = await listEquipmentPage(db, filter, {
    offset: (page - 1) * EQUIPMENT_PAGE,
    limit: EQUIPMENT_PAGE,
  })
  const people = [...new Set(rows.map((row) => row.responsible_id).filter((id) => id !== null))]
  await audit(db, actor, {
    action: 'equipment.list',
    objectType: 'equipment',
    pdn: people.length > 0,
    description: 'Просмотр реестра оборудования',
    details: {
      page,
      shown: rows.length,
      total,
      ...(filter.q ? { search: true } : {}),
      ...(filter.departmentId !== undefined ? { departmentId: filter.departmentId } : {}),
      ...(filter.status !== undefined ? { status: filter.status } : {}),
      ...(people.length > 0 ? { responsible: people } : {}),
    },
  })
  return { rows, total, page, pages: Math.max(1, Math.ceil(total / EQUIPMENT_PAGE)) }
}
