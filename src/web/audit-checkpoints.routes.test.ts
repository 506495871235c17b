import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, expect, test } from 'vitest'
import { writeCheckpoint } from '#src/audit/checkpoints.ts'
import { AUDIT_HEAD_KEY, audit } from '#src/audit/journal.ts'
import { systemActor } from '#src/users/actor.ts'
import { testApp, testConfig } from '../../test/support/api.ts'
import { testDatabase, testDialect } from '../../test/support/database.ts'
import { postForm, webUser } from '../../test/support/web.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-web-checkpoints-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('the integrity check on the audit page holds the journal against the checkpoint file and says which', async () => {
  const { db } = await testDatabase()
  const file = path.join(dir, 'audit-checkpoints.log')
  const { app } = testApp(db, testConfig({ auditCheckpointFile: file }))
  const who = await webUser(db, { role: 'admin' })
  const before = await postForm(app, '/audit/verify', who, {}, { headers: { 'hx-request': 'true' } })
  expect(before.text).toContain(`Файла контрольных точек ${file} нет: сверена только цепочка хешей.`)

  for (let i = 1; i <= 4; i++) await audit(db, systemActor(), { action: 'test.entry', description: `Запись ${i}` })
  const head = await writeCheckpoint(db, file, 'daily')
  // The tail cut and the head moved back: the chain alone would call this journal intact.
  if (testDialect() === 'postgres') await sql`alter table audit_log disable trigger all`.execute(db)
  else await sql`drop trigger audit_log_no_delete`.execute(db)
  await db
    .deleteFrom('audit_log')
    .where('id', '>=', head.id - 1)
    .execute()
  const last = await db
    .selectFrom('audit_log')
    .select(['id', 'hash'])
    .where('id', '=', head.id - 2)
    .executeTakeFirstOrThrow()
  await db
    .updateTable('settings')
    .set({ value: JSON.stringify({ id: last.id, hash: last.hash }) })
    .where('key', '=', AUDIT_HEAD_KEY)
    .execute()

  const after = await postForm(app, '/audit/verify', who, {}, { headers: { 'hx-request': 'true' } })
  expect(after.status).toBe(200)
  expect(after.text).toContain('Журнал нарушен')
  expect(after.text).toContain(`журнал обрезан: записей № ${head.id - 1}–${head.id} нет`)
  expect(after.text).toContain(`Сверено с контрольными точками вне базы: 1 (файл ${file}).`)
})
