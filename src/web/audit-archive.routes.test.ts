import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { archiveJournal } from '#src/audit/archive.ts'
import { audit } from '#src/audit/journal.ts'
import { systemActor } from '#src/users/actor.ts'
import { testApp, testConfig } from '../../test/support/api.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor } from '../../test/support/factories.ts'
import { getPage, inlineProblems, postForm, webUser } from '../../test/support/web.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-web-archive-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('«К уничтожению» names the journal rows past their retention and the archives made; the check counts them', async () => {
  const { db } = await testDatabase()
  const { app } = testApp(db, testConfig({ dataDir: dir }))
  setTestClock('2021-05-04T09:00:00.000Z')
  for (let i = 1; i <= 4; i++) await audit(db, systemActor(), { action: 'test.entry', description: `Запись ${i}` })
  setTestClock('2026-03-01T10:00:00.000Z')
  const who = await webUser(db, { role: 'admin' })

  const due = await getPage(app, '/pdn/destruction', who)
  expect(due.status).toBe(200)
  expect(due.text).toContain('data-archive-due="4"')
  expect(due.text).toContain('Записей журнала старше срока хранения (1095 дн.): 4, самая ранняя — 04.05.2021.')
  expect(due.text).toContain('<code>helpdesk audit archive --yes</code>')
  expect(inlineProblems(due.text)).toEqual([])

  const { actor } = await buildActor(db, { role: 'admin' }, 'cli')
  const made = await archiveJournal(db, db, actor, { dir: path.join(dir, 'audit-archive') })
  expect(made?.archive.count).toBe(4)

  const after = await getPage(app, '/pdn/destruction', who)
  expect(after.text).toContain('Записей журнала старше срока хранения (1095 дн.) нет.')
  expect(after.text).toContain('data-archive="audit-archive-000000001-000000004.jsonl.gz"')
  expect(after.text).toContain('№ 1–4')

  const check = await postForm(app, '/audit/verify', who, {}, { headers: { 'hx-request': 'true' } })
  expect(check.status).toBe(200)
  expect(check.text).toContain('Цепочка цела')
  expect(check.text).toContain('В архивах журнала: 4; файлов сверено 1 из 1.')
})
