import { beforeAll, describe, expect, test } from 'vitest'
import { audit, consoleOperatorOf, verifyJournal } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { cliActor, systemActor } from '#src/users/actor.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor } from '../../test/support/factories.ts'
import { changeSetting, readSettings } from './change-setting.ts'
import { settingKeys, settingProblems } from './setting-catalogue.ts'
import { getSetting, settingDefaults } from './settings.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

async function journal(action: string) {
  return db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute()
}

describe('changeSetting', () => {
  test('an admin changes a setting; the journal holds the old value and the new one', async () => {
    const { actor } = await buildActor(db, { role: 'admin' }, 'web')
    expect(await changeSetting(db, actor, 'tickets.auto_close_days', 5)).toEqual({ changed: true })
    expect(await getSetting(db, 'tickets.auto_close_days')).toBe(5)
    expect(await changeSetting(db, actor, 'tickets.auto_close_days', 6)).toEqual({ changed: true })
    const rows = (await journal('settings.change')).filter((r) => r.object_id === 'tickets.auto_close_days')
    expect(rows.map((r) => JSON.parse(r.details ?? '{}'))).toEqual([
      { old: 3, new: 5 },
      { old: 5, new: 6 },
    ])
    expect(rows[0]).toMatchObject({ actor_id: actor.id, channel: 'web', result: 'success' })
    // The same value again is no change, and no row.
    expect(await changeSetting(db, actor, 'tickets.auto_close_days', 6)).toEqual({ changed: false })
    expect((await journal('settings.change')).filter((r) => r.object_id === 'tickets.auto_close_days')).toHaveLength(2)
    expect((await verifyJournal(db)).ok).toBe(true)
  })

  test('a value the schema refuses changes nothing and names each field in Russian', async () => {
    const { actor } = await buildActor(db, { role: 'admin' }, 'web')
    const before = await getSetting(db, 'tickets.deadlines')
    const bad = {
      ...before,
      high: { responseMinutes: 0, resolutionMinutes: 1.5 },
    }
    const refusal = changeSetting(db, actor, 'tickets.deadlines', bad)
    await expect(refusal).rejects.toMatchObject({
      code: 'validation',
      details: {
        problems: [
          { path: 'high.responseMinutes', message: 'Больше 0' },
          { path: 'high.resolutionMinutes', message: 'Нужно целое число' },
        ],
      },
    })
    expect(await getSetting(db, 'tickets.deadlines')).toEqual(before)
    expect(settingProblems('org.requisites', { ...settingDefaults['org.requisites'], ogrn: '123', name: ' ' })).toEqual(
      [
        { path: 'name', message: 'Заполните поле' },
        { path: 'ogrn', message: 'ОГРН — 13 цифр (или оставьте поле пустым)' },
      ],
    )
    expect(settingProblems('privacy.no_pdn_in_telegram', 'да')).toEqual([
      { path: '', message: 'Нужно да или нет (true или false)' },
    ])
  })

  test('names in the commission and the responsible person reach the journal only as digests', async () => {
    const { actor } = await buildActor(db, { role: 'admin' }, 'web')
    const commission = [
      { name: 'Председатель Пётр Петрович', position: 'Главный врач' },
      { name: 'Член Мария Ивановна', position: 'Начальник отдела кадров' },
    ]
    await changeSetting(db, actor, 'pdn.commission', commission)
    await changeSetting(db, actor, 'org.requisites', {
      ...settingDefaults['org.requisites'],
      responsible: 'Заместитель главного врача Ответственный О. О.',
    })
    expect(await getSetting(db, 'pdn.commission')).toEqual(commission)
    const rows = await journal('settings.change')
    const text = rows.map((r) => r.details ?? '').join('\n')
    expect(text).not.toContain('Председатель')
    expect(text).not.toContain('Ответственный')
    expect(text).toContain('Начальник отдела кадров')
    const [first, second] = JSON.parse(rows.find((r) => r.object_id === 'pdn.commission')?.details ?? '{}').new
    expect(first.name).toMatch(/^hmac:[0-9a-f]{16}$/)
    expect(first.name).not.toBe(second.name)
  })

  test('anyone but an admin is refused, and the refusal is journaled', async () => {
    for (const role of ['requester', 'executor', 'curator'] as const) {
      const { actor } = await buildActor(db, { role }, 'web')
      await expect(changeSetting(db, actor, 'privacy.no_pdn_in_telegram', true)).rejects.toMatchObject({
        code: 'forbidden',
      })
      await expect(readSettings(db, actor, settingKeys)).rejects.toMatchObject({ code: 'forbidden' })
    }
    expect(await getSetting(db, 'privacy.no_pdn_in_telegram')).toBe(false)
    const denied = (await journal('settings.change')).filter((r) => r.result === 'denied')
    expect(denied).toHaveLength(3)
  })

  test('reading the settings journals a read of ПДн (the commission names people)', async () => {
    const { actor } = await buildActor(db, { role: 'admin' }, 'web')
    const entries = await readSettings(db, actor, settingKeys)
    expect(entries.map((e) => e.key)).toEqual(settingKeys)
    expect(entries.find((e) => e.key === 'audit.retention_days')).toMatchObject({ value: 1095, isDefault: true })
    expect(entries.find((e) => e.key === 'pdn.commission')?.isDefault).toBe(false)
    const read = (await journal('settings.view')).at(-1)
    expect(read).toMatchObject({ actor_id: actor.id, pdn_related: 1, result: 'success' })
    // Settings without names are read without a journal row.
    const count = (await journal('settings.view')).length
    await readSettings(db, actor, ['tickets.auto_close_days'])
    expect(await journal('settings.view')).toHaveLength(count)
  })
})

describe('the console actor', () => {
  test('journals the OS account and host with every row, and the viewers name them', async () => {
    const actor = cliActor()
    expect(actor).toMatchObject({ id: null, role: 'system', channel: 'cli' })
    const row = await audit(db, actor, { action: 'test.cli', description: 'Проверка', details: { n: 1 } })
    const details = JSON.parse(row.details ?? '{}')
    expect(details).toEqual({ n: 1, cli: { user: actor.console?.user, host: actor.console?.host } })
    expect(consoleOperatorOf(row.details)).toBe(`${actor.console?.user}@${actor.console?.host}`)
    const bare = await audit(db, actor, { action: 'test.cli', description: 'Без подробностей' })
    expect(consoleOperatorOf(bare.details)).toBe(`${actor.console?.user}@${actor.console?.host}`)
    const system = await audit(db, systemActor('cli'), { action: 'test.cli', description: 'Система' })
    expect(system.details).toBeNull()
    expect(consoleOperatorOf(system.details)).toBeUndefined()
    expect(consoleOperatorOf('not json')).toBeUndefined()
    expect((await verifyJournal(db)).ok).toBe(true)
  })
})
