import { sql } from 'kysely'
import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import { addDays, beforeBound, dayStartUtc, validDay } from '#src/format/zone-days.ts'
import type { Actor } from '#src/users/actor.ts'
import { requireEquipmentUse } from './equipment-access.ts'

export interface FailuresInput {
  /** Local days of the hospital (`2026-11-01`), both included. */
  from: string
  to: string
  timeZone: string
  /** How many devices the second table lists. */
  topDevices?: number
}

export interface ModelFailures {
  kind: string
  model: string | null
  tickets: number
  /** Devices of the model with at least one ticket in the period. */
  devices: number
}

export interface DeviceFailures {
  id: number
  inventoryNumber: string
  kind: string
  model: string | null
  departmentName: string | null
  room: string | null
  tickets: number
}

export interface FailuresReport {
  from: string
  to: string
  byModel: ModelFailures[]
  byDevice: DeviceFailures[]
}

/** A year is the longest period the report reads at once. */
const MAX_DAYS = 366

/**
 * «Оборудование: отказы» (IT staff): tickets filed about devices in a period, per model (type and model) and per
 * device, most first — «какие принтеры ломаются чаще всего». Written-off devices count: their tickets happened.
 */
export async function equipmentFailures(db: Db, actor: Actor, input: FailuresInput): Promise<FailuresReport> {
  await requireEquipmentUse(db, actor, 'equipment.report')
  const from = validDay(input.from)
  const to = validDay(input.to)
  if (from === undefined || to === undefined) {
    throw new DomainError('validation', 'Период: укажите даты начала и конца (ГГГГ-ММ-ДД)')
  }
  if (from > to) throw new DomainError('validation', 'Начало периода позже его конца')
  if (addDays(from, MAX_DAYS) <= to) throw new DomainError('validation', 'Период отчёта — не больше года')
  const start = dayStartUtc(from, input.timeZone)
  const end = beforeBound(to, input.timeZone)
  const inPeriod = db
    .selectFrom('tickets')
    .innerJoin('equipment', 'equipment.id', 'tickets.equipment_id')
    .where('tickets.created_at', '>=', start)
    .where('tickets.created_at', '<', end)
  const models = await inPeriod
    .select([
      'equipment.kind',
      'equipment.model',
      (eb) => eb.fn.countAll<number | string>().as('tickets'),
      sql<number | string>`count(distinct equipment.id)`.as('devices'),
    ])
    .groupBy(['equipment.kind', 'equipment.model'])
    .orderBy('tickets', 'desc')
    .orderBy('equipment.kind')
    .orderBy('equipment.model')
    .limit(100)
    .execute()
  const devices = await inPeriod
    .leftJoin('departments', 'departments.id', 'equipment.department_id')
    .select([
      'equipment.id',
      'equipment.inventory_number',
      'equipment.kind',
      'equipment.model',
      'equipment.room',
      'departments.name as department_name',
      (eb) => eb.fn.countAll<number | string>().as('tickets'),
    ])
    .groupBy([
      'equipment.id',
      'equipment.inventory_number',
      'equipment.kind',
      'equipment.model',
      'equipment.room',
      'departments.name',
    ])
    .orderBy('tickets', 'desc')
    .orderBy('equipment.inventory_number')
    .limit(input.topDevices ?? 50)
    .execute()
  await audit(db, actor, {
    action: 'equipment.report',
    objectType: 'equipment',
    description: 'Отчёт «Оборудование: отказы»',
    details: { from, to },
  })
  return {
    from,
    to,
    byModel: models.map((row) => ({
      kind: row.kind,
      model: row.model,
      tickets: Number(row.tickets),
      devices: Number(row.devices),
    })),
    byDevice: devices.map((row) => ({
      id: row.id,
      inventoryNumber: row.inventory_number,
      kind: row.kind,
      model: row.model,
      departmentName: row.department_name,
      room: row.room,
      tickets: Number(row.tickets),
    })),
  }
}
