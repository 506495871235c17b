import { Hono } from 'hono'
import { createFactory } from 'hono/factory'
import { z } from 'zod'
import { equipmentStatuses } from '#src/db/schema.ts'
import { createEquipment } from '#src/equipment/create-equipment.ts'
import { equipmentFailures } from '#src/equipment/equipment-failures.ts'
import {
  editableStatuses,
  INVENTORY_MAX,
  KIND_MAX,
  MODEL_MAX,
  ROOM_MAX,
  SERIAL_MAX,
} from '#src/equipment/equipment-rules.ts'
import { EQUIPMENT_PAGE, type EquipmentRow } from '#src/equipment/equipment-store.ts'
import { listEquipment } from '#src/equipment/list-equipment.ts'
import { setTicketEquipment } from '#src/equipment/set-ticket-equipment.ts'
import { updateEquipment } from '#src/equipment/update-equipment.ts'
import { viewEquipment } from '#src/equipment/view-equipment.ts'
import { writeOffEquipment } from '#src/equipment/write-off-equipment.ts'
import { authenticate } from './authenticate.ts'
import type { ApiEnv } from './env.ts'
import { dbId, idParam, jsonBody, q, queryOf, text } from './validate.ts'

const { createHandlers } = createFactory<ApiEnv>()

export const equipmentListQuery = z
  .object({
    /** Part of the inventory number, type, model or serial, in any case. */
    q: text(200).optional(),
    department_id: q.int().optional(),
    status: z.enum(equipmentStatuses).optional(),
    page: q.int(1, 10_000).optional(),
  })
  .strict()

export const createEquipmentBody = z
  .object({
    inventory_number: text(INVENTORY_MAX),
    kind: text(KIND_MAX),
    model: text(MODEL_MAX).nullable().optional(),
    serial: text(SERIAL_MAX).nullable().optional(),
    department_id: dbId().nullable().optional(),
    room: text(ROOM_MAX).nullable().optional(),
    responsible_id: dbId().nullable().optional(),
    /** A device is written off by POST /equipment/{id}/write-off. */
    status: z.enum(editableStatuses).optional(),
  })
  .strict()

export const updateEquipmentBody = createEquipmentBody
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'Укажите, что изменить')

export const failuresQuery = z
  .object({
    from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Ожидается дата ГГГГ-ММ-ДД'),
    to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Ожидается дата ГГГГ-ММ-ДД'),
  })
  .strict()

export const ticketEquipmentBody = z
  .object({
    /** The device by id; null: the ticket is about no device. */
    equipment_id: dbId().nullable().optional(),
    /** Or by its inventory number. */
    inventory_number: text(INVENTORY_MAX).optional(),
  })
  .strict()
  .refine((b) => (b.equipment_id === undefined) !== (b.inventory_number === undefined), {
    message: 'Укажите equipment_id или inventory_number (одно из двух)',
  })

/** A device as the API shows it. */
export function presentEquipment(device: EquipmentRow) {
  return {
    id: device.id,
    inventory_number: device.inventory_number,
    kind: device.kind,
    model: device.model,
    serial: device.serial,
    department_id: device.department_id,
    department_name: device.department_name,
    room: device.room,
    responsible_id: device.responsible_id,
    responsible_name: device.responsible_name,
    status: device.status,
    created_at: device.created_at,
    updated_at: device.updated_at,
    written_off_at: device.written_off_at,
  }
}

/** /equipment («Оборудование», issue 14): the registry for IT staff; writing off for curators and admins. */
export function equipmentApiRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)

  routes.get('/', async (c) => {
    const query = queryOf(c, equipmentListQuery)
    const list = await listEquipment(c.get('deps').db, c.get('actor'), {
      q: query.q,
      departmentId: query.department_id,
      status: query.status,
      page: query.page,
    })
    return c.json({
      items: list.rows.map(presentEquipment),
      total: list.total,
      page: list.page,
      per_page: EQUIPMENT_PAGE,
    })
  })

  routes.post('/', async (c) => {
    const body = await jsonBody(c, createEquipmentBody)
    const device = await createEquipment(c.get('deps').db, c.get('actor'), {
      inventoryNumber: body.inventory_number,
      kind: body.kind,
      model: body.model,
      serial: body.serial,
      departmentId: body.department_id,
      room: body.room,
      responsibleId: body.responsible_id,
      status: body.status,
    })
    return c.json(presentEquipment(device), 201)
  })

  routes.get('/failures', async (c) => {
    const query = queryOf(c, failuresQuery)
    const report = await equipmentFailures(c.get('deps').db, c.get('actor'), {
      from: query.from,
      to: query.to,
      timeZone: c.get('deps').config.tzDisplay,
    })
    return c.json({
      from: report.from,
      to: report.to,
      by_model: report.byModel,
      by_device: report.byDevice.map((d) => ({
        id: d.id,
        inventory_number: d.inventoryNumber,
        kind: d.kind,
        model: d.model,
        department_name: d.departmentName,
        room: d.room,
        tickets: d.tickets,
      })),
    })
  })

  routes.get('/:id', async (c) => {
    const view = await viewEquipment(c.get('deps').db, c.get('actor'), { id: idParam(c) })
    return c.json({ ...presentEquipment(view.device), tickets: view.tickets })
  })

  routes.patch('/:id', async (c) => {
    const id = idParam(c)
    const body = await jsonBody(c, updateEquipmentBody)
    const device = await updateEquipment(c.get('deps').db, c.get('actor'), {
      id,
      inventoryNumber: body.inventory_number,
      kind: body.kind,
      model: body.model,
      serial: body.serial,
      departmentId: body.department_id,
      room: body.room,
      responsibleId: body.responsible_id,
      status: body.status,
    })
    return c.json(presentEquipment(device))
  })

  routes.post('/:id/write-off', async (c) => {
    const device = await writeOffEquipment(c.get('deps').db, c.get('actor'), { id: idParam(c) })
    return c.json(presentEquipment(device))
  })

  return routes
}

/** PUT /tickets/{id}/equipment: which device a ticket is about (IT staff). Mounted before the ticket routes. */
export function ticketEquipmentApiRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.put(
    '/:id/equipment',
    ...createHandlers(authenticate, async (c) => {
      const ticketId = idParam(c)
      const body = await jsonBody(c, ticketEquipmentBody)
      const ticket = await setTicketEquipment(c.get('deps').db, c.get('actor'), {
        ticketId,
        equipmentId: body.equipment_id,
        inventoryNumber: body.inventory_number,
      })
      return c.json(ticket)
    }),
  )
  return routes
}
