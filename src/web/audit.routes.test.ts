import { Hono } from 'hono'
import { sql } from 'kysely'
import pino from 'pino'
import { describe, expect, test } from 'vitest'
import type { AppEnv } from '#src/api/env.ts'
import { audit } from '#src/audit/journal.ts'
import { journalCsv } from '#src/audit/journal-csv.ts'
import { readJournal } from '#src/audit/read-journal.ts'
import type { Db } from '#src/db/schema.ts'
import { actorFromUser, systemActor } from '#src/users/actor.ts'
import { testApp, testConfig } from '../../test/support/api.ts'
import { testDatabase, testDialect } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { journalOf } from '../../test/support/state.ts'
import { getPage, inlineProblems, postForm, webUser } from '../../test/support/web.ts'
import { auditRoutes } from './audit.routes.tsx'

/** A small journal: a deactivation (ПДн) by an admin, a login, and a system job. */
async function seedJournal(db: Db) {
  const admin = await buildUser(db, { role: 'admin', fullName: 'Админов Андрей' })
  const subject = await buildUser(db, { fullName: 'Иванова Мария' })
  const actor = actorFromUser(admin, 'web', '10.0.0.7')
  await audit(db, actor, {
    action: 'user.deactivate',
    objectType: 'user',
    objectId: subject.id,
    subjectId: subject.id,
    pdn: true,
    description: `Отключена учётная запись пользователя № ${subject.id}`,
  })
  await audit(db, actor, { action: 'auth.login', description: 'Вход в веб-интерфейс' })
  await audit(db, systemActor(), { action: 'ticket.auto_close', description: 'Автоматически закрыта заявка № 7' })
  return { admin, subject }
}

describe('the audit journal page', () => {
  test('an admin sees the newest entries with names resolved; the reading itself is journaled', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'admin' })
    const { subject } = await seedJournal(db)
    const page = await getPage(app, '/audit', who)
    expect(page.status).toBe(200)
    expect(inlineProblems(page.text)).toEqual([])
    for (const text of [
      'user.deactivate',
      'auth.login',
      'ticket.auto_close',
      'Админов Андрей',
      'Иванова Мария',
      '10.0.0.7',
    ]) {
      expect(page.text).toContain(text)
    }
    expect(page.text.indexOf('ticket.auto_close')).toBeLessThan(page.text.indexOf('auth.login'))
    expect(page.text).toContain(`№ ${subject.id}`)
    // No chain check on a plain view: it reads the whole journal.
    expect(page.text).not.toContain('Цепочка цела')
    expect(await journalOf(db, 'audit.read')).toMatchObject([{ actor_id: who.user.id, pdn_related: 1, channel: 'web' }])
  })

  test('filters as in the CLI: ПДн only, text, action code or prefix, actor, period', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'admin' })
    const { admin } = await seedJournal(db)
    const rows = (text: string) => [...text.matchAll(/<code>([a-z_.]+)<\/code>/g)].map((m) => m[1])

    expect(rows((await getPage(app, '/audit?pdn=1&action=user.deactivate', who)).text)).toEqual(['user.deactivate'])
    expect(rows((await getPage(app, '/audit?action=auth.', who)).text)).toEqual(['auth.login'])
    expect(rows((await getPage(app, '/audit?q=автоматически', who)).text)).toEqual(['ticket.auto_close'])
    expect(rows((await getPage(app, '/audit?actor=system', who)).text)).toEqual(['ticket.auto_close'])
    const byActor = rows((await getPage(app, `/audit?actor=${admin.id}`, who)).text)
    expect(byActor).toEqual(['auth.login', 'user.deactivate'])
    expect(rows((await getPage(app, '/audit?from=2000-01-01&to=2000-01-31', who)).text)).toEqual([])
    const period = rows((await getPage(app, '/audit?from=2000-01-01&to=2100-12-31&action=user.', who)).text)
    expect(period).toEqual(['user.deactivate'])

    const filtered = await journalOf(db, 'audit.read')
    expect(JSON.parse(filtered[0]?.details ?? '{}')).toMatchObject({ pdnOnly: true, action: 'user.deactivate' })

    const bad = await getPage(app, '/audit?from=2026-02-30&action=DROP TABLE', who)
    expect(bad.status).toBe(422)
    expect(bad.text).toContain('Неверная дата')
    expect(bad.text).toContain('Код действия')
  })

  test('the journal pages by 50 newest first', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'admin' })
    for (let i = 1; i <= 60; i++) await audit(db, systemActor(), { action: 'test.tick', description: `Отметка ${i}` })
    const first = await getPage(app, '/audit?action=test.tick', who)
    expect(first.text).toContain('Отметка 60<')
    expect(first.text).not.toContain('Отметка 10<')
    expect(first.text).toContain('href="/audit?action=test.tick&amp;page=2"')
    const second = await getPage(app, '/audit?action=test.tick&page=2', who)
    expect(second.text).toContain('Отметка 10<')
    expect(second.text).not.toContain('Отметка 11<')
    expect(second.text).not.toContain('rel="next"')
  })

  test('the CSV export carries the filtered rows with a BOM and semicolons, and is journaled as an export', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'admin' })
    await seedJournal(db)
    await audit(db, systemActor(), { action: 'test.formula', pdn: true, description: '=HYPERLINK("x")' })
    const csv = await getPage(app, '/audit/export.csv?pdn=1', who)
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-type')).toContain('text/csv')
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="audit-\d{4}-\d{2}-\d{2}-pdn\.csv"/)
    // Response.text() drops the BOM; read the bytes.
    const raw = await app.request('/audit/export.csv?pdn=1', { headers: { cookie: who.cookie } })
    expect(new Uint8Array(await raw.arrayBuffer()).slice(0, 3)).toEqual(new Uint8Array([0xef, 0xbb, 0xbf]))
    const lines = csv.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n')
    expect(lines[0]).toMatch(/^№;Время \(UTC\);/)
    expect(lines.some((l) => l.includes(';user.deactivate;'))).toBe(true)
    expect(lines.some((l) => l.includes(';auth.login;'))).toBe(false)
    expect(lines.some((l) => l.includes(`;"'=HYPERLINK(""x"")";`))).toBe(true)
    // Two downloads, two entries: each says how many rows left the system.
    const exports = await journalOf(db, 'audit.export')
    expect(exports).toHaveLength(2)
    expect(exports[0]).toMatchObject({
      actor_id: who.user.id,
      pdn_related: 1,
      description: 'Выгрузка журнала аудита, записей: 2',
    })
  })

  test('the export read in pages is byte for byte the single-read CSV, and journaled once with its count', async () => {
    const { db } = await testDatabase()
    const who = await webUser(db, { role: 'admin' })
    await seedJournal(db)
    for (let i = 1; i <= 9; i++) {
      await audit(db, systemActor(), {
        action: 'test.tick',
        pdn: true,
        description: i === 5 ? '=1+2; "x"\nдалее' : `Отметка ${i}`,
      })
    }
    // The routes with tiny pages, behind the same session check; the app mounts them with the default size.
    const app = new Hono<AppEnv>()
    app.use(async (c, next) => {
      c.set('deps', { db, config: testConfig(), logger: pino({ level: 'silent' }) })
      await next()
    })
    app.route('/audit', auditRoutes({ exportPageSize: 2 }))
    const response = await app.request('/audit/export.csv?pdn=1', { headers: { cookie: who.cookie } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="audit-\d{4}-\d{2}-\d{2}-pdn\.csv"$/,
    )
    expect(response.headers.get('cache-control')).toBe('no-store')
    const body = new Uint8Array(await response.arrayBuffer())
    const [exported] = await journalOf(db, 'audit.export')
    const single = (await readJournal(db, actorFromUser(who.user, 'web', null), { pdnOnly: true })).filter(
      (e) => e.id < Number(exported?.id),
    )
    expect(single.length).toBeGreaterThanOrEqual(10)
    expect(Buffer.from(body).equals(Buffer.from(journalCsv(single, 'Europe/Moscow'), 'utf8'))).toBe(true)
    expect(exported?.description).toBe(`Выгрузка журнала аудита, записей: ${single.length}`)
  })

  test('the integrity check runs on demand, says the chain is intact, and names the first bad row', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'admin' })
    await seedJournal(db)
    const intact = await postForm(app, '/audit/verify', who, {}, { headers: { 'hx-request': 'true' } })
    expect(intact.status).toBe(200)
    expect(intact.text).not.toContain('<html')
    expect(intact.text).toMatch(/Цепочка цела: \d+ запис/)
    expect(await journalOf(db, 'audit.verify')).toHaveLength(1)

    // Someone edits row 2 behind the application's back (the triggers are bypassed for the test).
    await tamper(db, 2)
    const broken = await postForm(app, '/audit/verify', who)
    expect(broken.status).toBe(200)
    expect(broken.text).toContain('<html')
    expect(broken.text).toContain('Журнал нарушен')
    expect(broken.text).toContain('запись № 2 изменена')
    expect(await journalOf(db, 'audit.verify', 'error')).toHaveLength(1)
  })
})

/** Changes one row's description, switching off the append-only triggers for the moment. */
async function tamper(db: Db, id: number): Promise<void> {
  if (testDialect() === 'postgres') {
    await sql`alter table audit_log disable trigger all`.execute(db)
    await sql`update audit_log set description = 'подменено' where id = ${id}`.execute(db)
    await sql`alter table audit_log enable trigger all`.execute(db)
    return
  }
  const triggers = await sql<{ name: string; sql: string }>`
    select name, sql from sqlite_master where type = 'trigger' and tbl_name = 'audit_log'`.execute(db)
  for (const t of triggers.rows) await sql.raw(`drop trigger ${t.name}`).execute(db)
  await sql`update audit_log set description = 'подменено' where id = ${id}`.execute(db)
  for (const t of triggers.rows) await sql.raw(t.sql).execute(db)
}

describe('who may open the journal', () => {
  test.each(['requester', 'executor', 'curator'] as const)(
    'a %s finds no journal and the attempt is journaled',
    async (role) => {
      const { db } = await testDatabase()
      const { app } = testApp(db)
      const who = await webUser(db, { role })
      await seedJournal(db)
      expect((await getPage(app, '/audit', who)).status).toBe(404)
      expect((await getPage(app, '/audit/export.csv', who)).status).toBe(404)
      expect((await postForm(app, '/audit/verify', who)).status).toBe(404)
      expect(await journalOf(db, 'audit.read')).toEqual([])
      expect(await journalOf(db, 'audit.verify')).toEqual([])
      expect((await journalOf(db, 'audit.read', 'denied')).length).toBe(3)
    },
  )

  test.each(['pending', 'rejected', 'deactivated'] as const)('a %s admin is sent to the login page', async (status) => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'admin' })
    await db.updateTable('users').set({ status }).where('id', '=', who.user.id).execute()
    const page = await getPage(app, '/audit', who)
    expect(page.status).toBe(303)
    expect(page.location).toMatch(/^\/login\?next=%2Faudit/)
    expect((await postForm(app, '/audit/verify', who)).status).toBe(401)
  })

  test('the check without the CSRF token is refused and not run', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'admin' })
    expect((await postForm(app, '/audit/verify', who, {}, { csrf: null })).status).toBe(403)
    expect(await journalOf(db, 'audit.verify')).toEqual([])
  })
})
