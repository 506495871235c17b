import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { now } from '#src/db/time.ts'
import { buildUser } from '../support/factories.ts'
import { pdfText } from '../support/pdf.ts'
import { CLI_TIMEOUT, databaseFile, freshEnv, helpdesk, withFileDatabase } from './helpers.ts'

const NAME = 'Пантелеймонова Ефросинья Аскольдовна'
const PHONE = '+79035551277'

describe('helpdesk subjects destroy', { timeout: CLI_TIMEOUT }, () => {
  test('without --yes it refuses and says what it would do; with --yes it destroys, prints the act and the journal verifies', async () => {
    const env = await freshEnv()
    expect((await helpdesk(env, ['migrate'])).code).toBe(0)
    const person = await withFileDatabase(env, async (db) => {
      // Written as a row: the test's journal key is not the command's, so no journaled change from here.
      const commission = [{ name: 'Ковалёва Ирина Петровна', position: 'Главная медсестра' }]
      await db
        .insertInto('settings')
        .values({ key: 'pdn.commission', value: JSON.stringify(commission), updated_at: now(), updated_by: null })
        .execute()
      return buildUser(db, { fullName: NAME, phone: PHONE, status: 'deactivated' })
    })
    const args = ['subjects', 'destroy', '--id', String(person.id), '--reason', 'Отзыв согласия на обработку ПДн']

    const dry = await helpdesk(env, args)
    expect(dry.code).toBe(1)
    expect(dry.stdout).toContain(`Будут уничтожены персональные данные пользователя № ${person.id}`)
    expect(dry.stdout).toContain('Главная медсестра Ковалёва Ирина Петровна')
    expect(dry.stderr).toContain('ничего не уничтожено — повторите команду с --yes')
    const untouched = await withFileDatabase(env, (db) =>
      db.selectFrom('users').select('full_name').where('id', '=', person.id).executeTakeFirstOrThrow(),
    )
    expect(untouched.full_name).toBe(NAME)

    const run = await helpdesk(env, [...args, '--yes'])
    expect(run.stderr).toContain(`Данные пользователя № ${person.id} уничтожены, составлен акт № 1`)
    expect(run.code).toBe(0)
    const file = run.stdout.trim()
    expect(file).toBe(path.join(env.dataDir, 'acts', 'act-1.pdf'))
    const text = pdfText(readFileSync(file))
    expect(text).toContain(`Субъект № ${person.id}`)
    expect(text).toContain('Ковалёва Ирина Петровна')
    expect(text).toContain('Отзыв согласия на обработку ПДн')
    expect(existsSync(path.join(env.dataDir, 'acts', 'act-1-journal.pdf'))).toBe(true)

    const bytes = readFileSync(databaseFile(env))
    expect(bytes.includes(Buffer.from(NAME))).toBe(false)
    expect(bytes.includes(Buffer.from(PHONE))).toBe(false)
    const journal = await withFileDatabase(env, (db) =>
      db.selectFrom('audit_log').select(['action', 'channel']).where('action', 'like', 'pdn.%').orderBy('id').execute(),
    )
    expect(journal).toEqual([
      { action: 'pdn.destroy', channel: 'cli' },
      { action: 'pdn.destruction_act', channel: 'cli' },
    ])
    const verify = await helpdesk(env, ['audit', 'verify'])
    expect(verify.stderr + verify.stdout).not.toContain('изменена')
    expect(verify.code).toBe(0)

    const again = await helpdesk(env, [...args, '--yes'])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('уже уничтожены')
  })
})
