import { describe, expect, test } from 'vitest'
import { generateDemo } from '#src/demo/generate.ts'
import { systemActor } from '#src/users/actor.ts'
import { testDatabase } from '../../test/support/database.ts'
import { DEMO_DEVICES } from './demo-equipment.ts'
import { equipmentFailures } from './equipment-failures.ts'

describe('the demo equipment', () => {
  test('300 devices in the clinical departments, some tickets about them, a failures report; a second run adds none', async () => {
    const { db } = await testDatabase()
    const options = { staffPasswordHash: 'not-a-real-hash', requesters: 30, tickets: 600, seed: 'eq' }
    await generateDemo(db, systemActor('cli'), options)
    const devices = await db.selectFrom('equipment').selectAll().execute()
    expect(devices).toHaveLength(DEMO_DEVICES)
    expect(new Set(devices.map((d) => d.inventory_number)).size).toBe(DEMO_DEVICES)
    expect(devices.every((d) => d.department_id !== null)).toBe(true)
    expect(new Set(devices.map((d) => d.status))).toEqual(new Set(['in_service', 'in_repair', 'written_off']))

    const linked = await db
      .selectFrom('tickets')
      .innerJoin('equipment', 'equipment.id', 'tickets.equipment_id')
      .select(['tickets.department_id', 'equipment.department_id as device_department'])
      .execute()
    expect(linked.length).toBeGreaterThan(20)
    // A ticket is about a device of its own department.
    expect(linked.every((row) => row.department_id === row.device_department)).toBe(true)

    const report = await equipmentFailures(db, systemActor('cli'), {
      from: '2000-01-01',
      to: '2000-01-02',
      timeZone: 'Europe/Moscow',
    })
    expect(report.byModel).toEqual([])
    const first = await db.selectFrom('tickets').select(['created_at']).orderBy('created_at').executeTakeFirstOrThrow()
    const last = await db
      .selectFrom('tickets')
      .select(['created_at'])
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow()
    const year = await equipmentFailures(db, systemActor('cli'), {
      from: first.created_at.slice(0, 10),
      to: last.created_at.slice(0, 10),
      timeZone: 'UTC',
    })
    expect(year.byModel.reduce((sum, row) => sum + row.tickets, 0)).toBe(linked.length)

    await generateDemo(db, systemActor('cli'), { ...options, seed: 'eq2', force: true })
    expect(await db.selectFrom('equipment').select('id').execute()).toHaveLength(DEMO_DEVICES)
  })
})
