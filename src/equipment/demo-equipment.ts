import type { Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { searchTextOf } from './equipment-rules.ts'

/** What the demo generator knows of its hospital for «Оборудование»: the departments. */
export interface DemoEquipmentContext {
  departments: ReadonlyArray<{ id: number; name: string }>
}

/** The fleet, by share: printers and PCs most, then MFPs, monitors, UPSs, scanners, phones. */
const models: ReadonlyArray<{ kind: string; model: string; weight: number; serial: string }> = [
  { kind: 'Принтер', model: 'HP LaserJet Pro M404dn', weight: 16, serial: 'PHCB' },
  { kind: 'Принтер', model: 'Pantum P3010DW', weight: 10, serial: 'CA2A' },
  { kind: 'Принтер', model: 'Kyocera ECOSYS P2040dn', weight: 8, serial: 'VCF9' },
  { kind: 'МФУ', model: 'Kyocera ECOSYS M2040dn', weight: 9, serial: 'VCG1' },
  { kind: 'МФУ', model: 'Canon i-SENSYS MF445dw', weight: 6, serial: 'XQR3' },
  { kind: 'Компьютер', model: 'Aquarius Pro P30 K44', weight: 22, serial: 'AQ30' },
  { kind: 'Компьютер', model: 'Depo Neos DF226', weight: 10, serial: 'DN22' },
  { kind: 'Монитор', model: 'Philips 243V7QDSB', weight: 9, serial: 'UK02' },
  { kind: 'ИБП', model: 'APC Back-UPS 650', weight: 5, serial: '3B19' },
  { kind: 'Сканер штрихкодов', model: 'Honeywell Voyager 1450g', weight: 3, serial: '19HN' },
  { kind: 'IP-телефон', model: 'Yealink SIP-T31P', weight: 2, serial: '8020' },
]

/** How often a model's devices fail, relative: the cheap printers jam, the UPS batteries age. */
const failureWeight: Record<string, number> = {
  'Pantum P3010DW': 6,
  'HP LaserJet Pro M404dn': 3,
  'Kyocera ECOSYS M2040dn': 3,
  'APC Back-UPS 650': 2,
}

export const DEMO_DEVICES = 300

/** A number from 0 to 1 from an integer: the demo's devices are the same on every run. */
function hash01(n: number): number {
  let x = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return ((x ^ (x >>> 16)) >>> 0) / 4_294_967_296
}

/**
 * The demo's 300 devices (issue 14), spread over the clinical departments with inventory numbers as accounting
 * writes them, a few in repair and written off; then some of the newest tickets of each department are tied to
 * a device there, the cheap printers more often, so that «Оборудование: отказы» has something to say. Kept when
 * the devices exist (a second run).
 */
export async function addDemoEquipment(tx: Tx, context: DemoEquipmentContext): Promise<number> {
  const exists = await tx
    .selectFrom('equipment')
    .select('id')
    .where('inventory_number', '=', '0101340001')
    .executeTakeFirst()
  if (exists || context.departments.length === 0) return 0
  const total = models.reduce((sum, m) => sum + m.weight, 0)
  const at = now()
  const created: Array<{ id: number; departmentId: number; model: string }> = []
  for (let i = 1; i <= DEMO_DEVICES; i += 1) {
    const model = weighted(models, hash01(i) * total)
    const department = context.departments[i % context.departments.length]
    if (!model || !department) continue
    const roll = hash01(i + 10_000)
    const status = roll < 0.04 ? 'written_off' : roll < 0.1 ? 'in_repair' : 'in_service'
    const device = {
      inventory_number: `010134${String(i).padStart(4, '0')}`,
      kind: model.kind,
      model: model.model,
      serial: `${model.serial}${String(Math.floor(hash01(i + 20_000) * 1e6)).padStart(6, '0')}`,
    }
    const row = await tx
      .insertInto('equipment')
      .values({
        ...device,
        department_id: department.id,
        room: String(100 + Math.floor(hash01(i + 30_000) * 300)),
        responsible_id: null,
        status,
        search_text: searchTextOf(device),
        created_by: null,
        created_at: at,
        updated_at: at,
        written_off_at: status === 'written_off' ? at : null,
        written_off_by: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    created.push({ id: row.id, departmentId: department.id, model: model.model })
  }
  await linkDemoTickets(tx, created)
  return created.length
}

/**
 * Ties about one in three of the 5 000 newest tickets with a department (some 1 500) to a device of it, weighted by
 * the model's failures.
 */
async function linkDemoTickets(tx: Tx, devices: ReadonlyArray<{ id: number; departmentId: number; model: string }>) {
  const byDepartment = new Map<number, Array<{ id: number; weight: number }>>()
  for (const d of devices) {
    const list = byDepartment.get(d.departmentId) ?? []
    list.push({ id: d.id, weight: failureWeight[d.model] ?? 1 })
    byDepartment.set(d.departmentId, list)
  }
  const tickets = await tx
    .selectFrom('tickets')
    .select(['id', 'department_id'])
    .where('department_id', 'is not', null)
    .orderBy('id', 'desc')
    .limit(5_000)
    .execute()
  const chosen = new Map<number, number[]>()
  for (const ticket of tickets) {
    // About one ticket in three is about a device.
    if (ticket.department_id === null || hash01(ticket.id + 40_000) > 0.3) continue
    const list = byDepartment.get(ticket.department_id)
    if (!list || list.length === 0) continue
    const sum = list.reduce((s, d) => s + d.weight, 0)
    const device = weighted(list, hash01(ticket.id + 50_000) * sum)
    if (!device) continue
    chosen.set(device.id, [...(chosen.get(device.id) ?? []), ticket.id])
  }
  for (const [equipmentId, ids] of chosen) {
    await tx.updateTable('tickets').set({ equipment_id: equipmentId }).where('id', 'in', ids).execute()
  }
}

/** The item whose share of the weights `point` falls in (from 0 to their sum). */
function weighted<T extends { weight: number }>(items: readonly T[], point: number): T | undefined {
  let rest = point
  for (const item of items) {
    rest -= item.weight
    if (rest < 0) return item
  }
  return items[0]
}
