import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { strFromU8, unzipSync } from 'fflate'
import { beforeAll, describe, expect, test } from 'vitest'
import { buildUser } from '../support/factories.ts'
import { pdfText } from '../support/pdf.ts'
import { buildTicket } from '../support/ticket-factory.ts'
import { CLI_TIMEOUT, type CliEnv, freshEnv, helpdesk, lines, withFileDatabase } from './helpers.ts'

describe('helpdesk subjects export', { timeout: CLI_TIMEOUT }, () => {
  let env: CliEnv
  let personId: number

  beforeAll(async () => {
    env = await freshEnv()
    expect((await helpdesk(env, ['migrate'])).code).toBe(0)
    await withFileDatabase(env, async (db) => {
      const person = await buildUser(db, { fullName: 'Журавлёва Инна Олеговна', phone: '+79051234567' })
      const executor = await buildUser(db, { role: 'executor', fullName: 'Колесников Аркадий Борисович' })
      await buildTicket(db, { requesterId: person.id, assigneeId: executor.id, title: 'Не печатает принтер' })
      personId = person.id
    })
  })

  test('writes the ZIP and the PDF beside it, prints both paths, and journals the export', async () => {
    const out = path.join(env.dataDir, 'answers', 'otvet.zip')
    const run = await helpdesk(env, ['subjects', 'export', '--id', String(personId), '--out', out])
    expect(run.code).toBe(0)
    const pdfFile = path.join(env.dataDir, 'answers', 'otvet.pdf')
    expect(lines(run.stdout)).toEqual([out, pdfFile])
    expect(statSync(out).mode & 0o777).toBe(0o600)
    const entries = unzipSync(readFileSync(out))
    const data = JSON.parse(strFromU8(entries['data.json'] ?? new Uint8Array()))
    expect(data.profile).toMatchObject({ id: personId, fullName: 'Журавлёва Инна Олеговна', phone: '+79051234567' })
    expect(data.tickets[0]).toMatchObject({ title: 'Не печатает принтер' })
    const text = pdfText(readFileSync(pdfFile))
    expect(text).toContain('Журавлёва Инна Олеговна')
    expect(text).not.toContain('Колесников')
    await withFileDatabase(env, async (db) => {
      const row = await db
        .selectFrom('audit_log')
        .select(['channel', 'subject_id', 'pdn_related'])
        .where('action', '=', 'subject.export')
        .executeTakeFirst()
      expect(row).toEqual({ channel: 'cli', subject_id: personId, pdn_related: 1 })
    })
  })

  test('an unknown person is one line and a non-zero exit; --id is checked', async () => {
    const missing = await helpdesk(env, [
      'subjects',
      'export',
      '--id',
      '999999',
      '--out',
      path.join(env.dataDir, 'x.zip'),
    ])
    expect(missing.code).not.toBe(0)
    expect(lines(missing.stderr)).toHaveLength(1)
    expect(missing.stderr).toContain('не найден')
    const bad = await helpdesk(env, ['subjects', 'export', '--id', 'abc', '--out', 'x.zip'])
    expect(bad.code).toBe(2)
  })
})
