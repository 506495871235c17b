import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { importFile } from '#src/import/import-file.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildCategory, buildDepartment, buildUser } from '../../test/support/factories.ts'
import { pdfText } from '../../test/support/pdf.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { createEquipment } from './create-equipment.ts'
import { equipmentFailures } from './equipment-failures.ts'
import { listEquipment } from './list-equipment.ts'
import { printStickers, stickerUrl } from './print-stickers.ts'
import { reportedEquipment } from './reported-equipment.ts'
import { setTicketEquipment } from './set-ticket-equipment.ts'
import { updateEquipment } from './update-equipment.ts'
import { viewEquipment } from './view-equipment.ts'
import { writeOffEquipment } from './write-off-equipment.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

let counter = 0
function inventory(): string {
  counter += 1
  return `01013${String(counter).padStart(5, '0')}`
}

async function journal(action: string, objectId?: number) {
  const rows = await db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute()
  return rows.filter((row) => objectId === undefined || row.object_id === String(objectId))
}

function csv(lines: string[]) {
  return { fileName: 'учёт.csv', bytes: new TextEncoder().encode(lines.join('\r\n')) }
}

describe('the registry', () => {
  test('IT staff add a device; a requester is refused and the attempt journaled; the number is unique', async () => {
    const executor = await buildActor(db, { role: 'executor' })
    const requester = await buildActor(db, { role: 'requester' })
    const department = await buildDepartment(db)
    const number = inventory()
    const device = await createEquipment(db, executor.actor, {
      inventoryNumber: ` ${number} `,
      kind: 'Принтер',
      model: 'HP LaserJet M404dn',
      serial: 'PHCBB12345',
      departmentId: department.id,
      room: '214',
    })
    expect(device).toMatchObject({
      inventory_number: number,
      status: 'in_service',
      department_name: department.name,
      room: '214',
    })
    expect((await journal('equipment.create', device.id)).map((r) => r.result)).toEqual(['success'])

    const before = (await journal('equipment.create')).length
    await expect(
      createEquipment(db, requester.actor, { inventoryNumber: inventory(), kind: 'Монитор' }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    const denied = await journal('equipment.create')
    expect(denied).toHaveLength(before + 1)
    expect(denied.at(-1)?.result).toBe('denied')

    await expect(
      createEquipment(db, executor.actor, { inventoryNumber: number, kind: 'Монитор' }),
    ).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining(number) })
    await expect(
      createEquipment(db, executor.actor, { inventoryNumber: '01 02', kind: 'Монитор' }),
    ).rejects.toMatchObject({ code: 'validation', message: expect.stringMatching(/^Инвентарный номер/) })
    await expect(
      createEquipment(db, executor.actor, { inventoryNumber: inventory(), kind: ' ' }),
    ).rejects.toMatchObject({ code: 'validation', message: expect.stringMatching(/тип/i) })
  })

  test('the list finds by part of the inventory number, model or serial in any case, Cyrillic too', async () => {
    const executor = await buildActor(db, { role: 'executor' })
    const number = inventory()
    const mfu = await createEquipment(db, executor.actor, {
      inventoryNumber: number,
      kind: 'МФУ',
      model: 'Kyocera ECOSYS M2040dn',
      serial: 'VCF9Z01234',
    })
    for (const q of [number.slice(-4), 'ecosys', 'vcf9z', 'мфу', 'МФУ']) {
      const page = await listEquipment(db, executor.actor, { q })
      expect(page.rows.map((d) => d.id)).toContain(mfu.id)
    }
    expect((await listEquipment(db, executor.actor, { q: '100%_' })).rows).toEqual([])
    // A NUL typed into the search (PostgreSQL refuses it in a parameter: it was a 500) is no character of it.
    expect((await listEquipment(db, executor.actor, { q: `ecosys\u0000` })).rows.map((d) => d.id)).toContain(mfu.id)
    const listed = await journal('equipment.list')
    expect(listed.at(-1)).toMatchObject({ result: 'success', object_type: 'equipment' })
  })

  test('a device in repair and back; writing off is the curators’: it leaves the list, its card stays', async () => {
    const executor = await buildActor(db, { role: 'executor' })
    const curator = await buildActor(db, { role: 'curator' })
    const device = await createEquipment(db, executor.actor, { inventoryNumber: inventory(), kind: 'Компьютер' })
    expect((await updateEquipment(db, executor.actor, { id: device.id, status: 'В ремонте' })).status).toBe('in_repair')
    await expect(updateEquipment(db, executor.actor, { id: device.id, status: 'Списано' })).rejects.toMatchObject({
      code: 'validation',
    })
    await expect(writeOffEquipment(db, executor.actor, { id: device.id })).rejects.toMatchObject({ code: 'forbidden' })
    expect((await journal('equipment.write_off', device.id)).map((r) => r.result)).toEqual(['denied'])

    const gone = await writeOffEquipment(db, curator.actor, { id: device.id })
    expect(gone).toMatchObject({ status: 'written_off', written_off_by: curator.user.id })
    expect((await listEquipment(db, executor.actor, { q: device.inventory_number })).rows).toEqual([])
    expect(
      (await listEquipment(db, executor.actor, { q: device.inventory_number, status: 'written_off' })).rows,
    ).toHaveLength(1)
    await expect(updateEquipment(db, executor.actor, { id: device.id, room: '1' })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
    await expect(writeOffEquipment(db, curator.actor, { id: device.id })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
    expect(await reportedEquipment(db, device.id)).toBeUndefined()
  })

  test('the card lists its tickets and names the person responsible: the read is journaled as ПДн', async () => {
    const executor = await buildActor(db, { role: 'executor' })
    const owner = await buildUser(db, { fullName: 'Сидорова Анна Павловна' })
    const device = await createEquipment(db, executor.actor, {
      inventoryNumber: inventory(),
      kind: 'Принтер',
      responsibleId: owner.id,
    })
    const ticket = await buildTicket(db)
    await setTicketEquipment(db, executor.actor, { ticketId: ticket.id, inventoryNumber: device.inventory_number })
    const view = await viewEquipment(db, executor.actor, { id: device.id })
    expect(view.device.responsible_name).toBe('Сидорова Анна Павловна')
    expect(view.tickets.map((t) => t.id)).toEqual([ticket.id])
    const [read] = await journal('equipment.view', device.id)
    expect(read).toMatchObject({ pdn_related: expect.anything(), subject_id: owner.id })
    expect(Number(read?.pdn_related)).toBe(1)
  })
})

describe('tickets about a device', () => {
  test('a ticket filed from a sticker takes the device, its department and room', async () => {
    const executor = await buildActor(db, { role: 'executor' })
    const nurse = await buildActor(db, { role: 'requester' }, 'bot')
    const department = await buildDepartment(db)
    const category = await buildCategory(db)
    const device = await createEquipment(db, executor.actor, {
      inventoryNumber: inventory(),
      kind: 'Принтер',
      departmentId: department.id,
      room: 'Пост 2',
    })
    expect(await reportedEquipment(db, device.id)).toMatchObject({
      inventoryNumber: device.inventory_number,
      departmentName: department.name,
      room: 'Пост 2',
    })
    const ticket = await createTicket(db, nurse.actor, {
      description: 'Не печатает',
      categoryId: category.id,
      equipmentId: device.id,
    })
    expect(ticket).toMatchObject({ equipment_id: device.id, department_id: department.id, location: 'Пост 2' })
    await expect(
      createTicket(db, nurse.actor, { description: 'x', categoryId: category.id, equipmentId: 9_999_999 }),
    ).rejects.toMatchObject({ code: 'validation', message: 'Оборудование не найдено' })
  })

  test('staff link a ticket to a device by its inventory number; the timeline says so; a requester may not', async () => {
    const executor = await buildActor(db, { role: 'executor' })
    const device = await createEquipment(db, executor.actor, { inventoryNumber: inventory(), kind: 'Сканер' })
    const ticket = await buildTicket(db)
    const requester = await buildActor(db, { role: 'requester' })
    const own = await buildTicket(db, { requesterId: requester.user.id })

    await expect(
      setTicketEquipment(db, executor.actor, { ticketId: ticket.id, inventoryNumber: 'НЕТ-ТАКОГО' }),
    ).rejects.toMatchObject({ code: 'validation', message: expect.stringContaining('НЕТ-ТАКОГО') })
    const linked = await setTicketEquipment(db, executor.actor, {
      ticketId: ticket.id,
      inventoryNumber: device.inventory_number,
    })
    expect(linked.equipment_id).toBe(device.id)
    const events = await db.selectFrom('ticket_events').selectAll().where('ticket_id', '=', ticket.id).execute()
    expect(events.map((e) => [e.kind, e.to_value])).toContainEqual(['equipment_changed', String(device.id)])
    const cleared = await setTicketEquipment(db, executor.actor, { ticketId: ticket.id, equipmentId: null })
    expect(cleared.equipment_id).toBeNull()

    await expect(
      setTicketEquipment(db, requester.actor, { ticketId: own.id, equipmentId: device.id }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    expect(
      (await db.selectFrom('tickets').select('equipment_id').where('id', '=', own.id).executeTakeFirst())?.equipment_id,
    ).toBeNull()
  })

  test('«отказы»: tickets per model and per device in the period, most first', async () => {
    const curator = await buildActor(db, { role: 'curator' })
    const kind = `Принтер-${inventory()}`
    const often = await createEquipment(db, curator.actor, { inventoryNumber: inventory(), kind, model: 'Модель А' })
    const twin = await createEquipment(db, curator.actor, { inventoryNumber: inventory(), kind, model: 'Модель А' })
    const rare = await createEquipment(db, curator.actor, { inventoryNumber: inventory(), kind, model: 'Модель Б' })
    const link = async (deviceId: number, createdAt: string) => {
      const ticket = await buildTicket(db, { createdAt })
      await db.updateTable('tickets').set({ equipment_id: deviceId }).where('id', '=', ticket.id).execute()
    }
    for (const deviceId of [often.id, often.id, often.id, twin.id, rare.id])
      await link(deviceId, '2026-03-10T09:00:00.000Z')
    await link(rare.id, '2026-05-01T09:00:00.000Z')
    const report = await equipmentFailures(db, curator.actor, {
      from: '2026-03-01',
      to: '2026-03-31',
      timeZone: 'Europe/Moscow',
    })
    const ours = report.byModel.filter((row) => row.kind === kind)
    expect(ours).toEqual([
      { kind, model: 'Модель А', tickets: 4, devices: 2 },
      { kind, model: 'Модель Б', tickets: 1, devices: 1 },
    ])
    const devices = report.byDevice.filter((row) => row.kind === kind)
    expect(devices.map((d) => [d.id, d.tickets])).toEqual([
      [often.id, 3],
      ...[
        [twin.id, 1],
        [rare.id, 1],
      ].sort((a, b) => ((a[0] ?? 0) < (b[0] ?? 0) ? -1 : 1)),
    ])
    await expect(
      equipmentFailures(db, curator.actor, { from: '2026-04-01', to: '2026-03-01', timeZone: 'Europe/Moscow' }),
    ).rejects.toMatchObject({ code: 'validation' })
  })
})

describe('importing the accounting export', () => {
  test('a file with one bad row changes nothing and names the row in Russian; a good one creates, a re-run updates', async () => {
    const curator = await buildActor(db, { role: 'curator' })
    const executor = await buildActor(db, { role: 'executor' })
    const department = await buildDepartment(db, `Реанимация ${inventory()}`)
    await buildUser(db, { fullName: 'Кузнецов Олег Игоревич' })
    const [a, b, c] = [inventory(), inventory(), inventory()]
    const header = 'Инв. №;Наименование;Модель;Заводской номер;Подразделение;Кабинет;МОЛ;Состояние'
    const bad = csv([
      header,
      `${a};Принтер;HP M404;SN1;${department.name};101;Кузнецов Олег Игоревич;в эксплуатации`,
      `${b};Монитор;Dell P2419H;SN2;Нет такого отделения;102;;`,
      `${c};ИБП;APC 650;SN3;;;;сломан`,
    ])
    const refused = await importFile(db, curator.actor, { kind: 'equipment', file: bad, dryRun: false })
    expect(refused.applied).toBe(false)
    expect(refused.plan.bad).toEqual([
      { line: 3, reason: expect.stringContaining('отделения «Нет такого отделения» нет в справочнике') },
      { line: 4, reason: expect.stringContaining('Неизвестное состояние «сломан»') },
    ])
    expect(await db.selectFrom('equipment').select('id').where('inventory_number', 'in', [a, b, c]).execute()).toEqual(
      [],
    )

    const good = csv([
      header,
      `${a};Принтер;HP M404;SN1;${department.name};101;Кузнецов Олег Игоревич;в эксплуатации`,
      `${b};Монитор;Dell P2419H;SN2;;102;;В ремонте`,
    ])
    await expect(
      importFile(db, executor.actor, { kind: 'equipment', file: good, dryRun: false }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    const done = await importFile(db, curator.actor, { kind: 'equipment', file: good, dryRun: false })
    expect(done.counts).toEqual({ created: 2, updated: 0, unchanged: 0, bad: 0 })
    const printer = await db.selectFrom('equipment').selectAll().where('inventory_number', '=', a).executeTakeFirst()
    expect(printer).toMatchObject({ kind: 'Принтер', department_id: department.id, room: '101', status: 'in_service' })
    expect(printer?.responsible_id).not.toBeNull()

    const again = csv([header, `${a};;;;;214;;`, `${b};;;;;;;Списано`])
    const updated = await importFile(db, curator.actor, { kind: 'equipment', file: again, dryRun: false })
    expect(updated.counts).toMatchObject({ created: 0, updated: 2, bad: 0 })
    const rows = await db
      .selectFrom('equipment')
      .select(['inventory_number', 'room', 'status', 'model'])
      .where('inventory_number', 'in', [a, b])
      .orderBy('inventory_number')
      .execute()
    expect(rows).toEqual([
      { inventory_number: a, room: '214', status: 'in_service', model: 'HP M404' },
      { inventory_number: b, room: '102', status: 'written_off', model: 'Dell P2419H' },
    ])
    // A written-off device is history, as on its card: a later file changes none of its cells.
    const later = csv([header, `${b};;;;;305;;`])
    const kept = await importFile(db, curator.actor, { kind: 'equipment', file: later, dryRun: false })
    expect(kept.counts).toMatchObject({ created: 0, updated: 0, unchanged: 1, bad: 0 })
    expect(
      await db.selectFrom('equipment').select(['room', 'status']).where('inventory_number', '=', b).executeTakeFirst(),
    ).toEqual({ room: '102', status: 'written_off' })
    expect((await journal('import.equipment')).map((r) => r.result)).toEqual([
      'error',
      'denied',
      'success',
      'success',
      'success',
    ])
  })
})

describe('stickers', () => {
  test('the PDF carries «Сообщить о проблеме» and each inventory number; 30 labels of 24 take two sheets', async () => {
    const executor = await buildActor(db, { role: 'executor' })
    const numbers: number[] = []
    const kind = `Наклейка-${inventory()}`
    for (let i = 0; i < 30; i += 1) {
      numbers.push((await createEquipment(db, executor.actor, { inventoryNumber: inventory(), kind })).id)
    }
    const pdf = await printStickers(db, executor.actor, {
      layout: 24,
      filter: { q: kind },
      botUsername: 'kgkbsmp_help_bot',
      baseUrl: 'http://helpdesk.local',
      author: 'ОБУЗ КГКБСМП',
    })
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-')
    const text = pdfText(pdf)
    // The words wrap inside the label: «Сообщить о» over «проблеме».
    expect(text.match(/Сообщить о/g)).toHaveLength(30)
    expect(text.match(/проблеме/g)).toHaveLength(30)
    expect(text.split('\f').filter((page) => page.trim() !== '')).toHaveLength(2)
    const first = await db
      .selectFrom('equipment')
      .select('inventory_number')
      .where('id', '=', numbers[0] ?? 0)
      .executeTakeFirst()
    expect(text).toContain(`№ ${first?.inventory_number}`)
    expect((await journal('equipment.stickers')).at(-1)).toMatchObject({ result: 'success' })

    // A sheet some labels were peeled off: three devices from label 23 of 24 are two on the first sheet, one on
    // the next; the first label's number is journaled and out of range refused.
    const three = [numbers[0] ?? 0, numbers[1] ?? 0, numbers[2] ?? 0]
    const fromLabel = (firstLabel: number) =>
      printStickers(db, executor.actor, {
        layout: 24,
        firstLabel,
        ids: three,
        botUsername: undefined,
        baseUrl: 'http://x',
        author: 'x',
      })
    const pages = pdfText(await fromLabel(23))
      .split('\f')
      .filter((page) => page.trim() !== '')
    expect(pages.map((page) => page.match(/проблеме/g)?.length)).toEqual([2, 1])
    expect((await journal('equipment.stickers')).at(-1)?.details).toContain('"firstLabel":23')
    for (const wrong of [0, 25, 1.5, Number.NaN]) {
      await expect(fromLabel(wrong)).rejects.toMatchObject({
        code: 'validation',
        message: 'Номер первой наклейки на листе — от 1 до 24',
      })
    }

    // Chosen devices, in the order asked (one query for all of them); an unknown or written-off one is refused.
    const [second, third] = [numbers[1] ?? 0, numbers[2] ?? 0]
    const chosen = pdfText(
      await printStickers(db, executor.actor, {
        layout: 24,
        ids: [third, second],
        botUsername: undefined,
        baseUrl: 'http://x',
        author: 'x',
      }),
    )
    const numberOf = async (id: number) =>
      (await db.selectFrom('equipment').select('inventory_number').where('id', '=', id).executeTakeFirstOrThrow())
        .inventory_number
    const [thirdNumber, secondNumber] = [await numberOf(third), await numberOf(second)]
    expect(chosen.match(/Сообщить о/g)).toHaveLength(2)
    expect(chosen.indexOf(thirdNumber)).toBeLessThan(chosen.indexOf(secondNumber))
    expect(chosen.indexOf(secondNumber)).toBeGreaterThan(-1)
    const sticker = (ids: number[]) =>
      printStickers(db, executor.actor, { layout: 24, ids, botUsername: undefined, baseUrl: 'http://x', author: 'x' })
    await expect(sticker([second, 9_999_999])).rejects.toMatchObject({ code: 'not_found' })
    const curator = await buildActor(db, { role: 'curator' })
    await writeOffEquipment(db, curator.actor, { id: third })
    await expect(sticker([second, third])).rejects.toMatchObject({
      code: 'validation',
      message: expect.stringContaining('списано'),
    })

    expect(stickerUrl(7, 'kgkbsmp_help_bot', 'http://x')).toBe('https://t.me/kgkbsmp_help_bot?start=eq_7')
    expect(stickerUrl(7, undefined, 'http://helpdesk.local/')).toBe('http://helpdesk.local/tickets/new?equipment=7')
    await expect(
      printStickers(db, executor.actor, {
        layout: 65,
        filter: { q: 'ничего-такого-нет' },
        botUsername: undefined,
        baseUrl: 'http://x',
        author: 'x',
      }),
    ).rejects.toMatchObject({ code: 'validation' })
  })
})
