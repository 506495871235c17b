import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { expect, onTestFinished, test } from 'vitest'
import { createApp } from '#src/app.ts'
import { audit } from '#src/audit/journal.ts'
import type { DatabaseConfig } from '#src/config.ts'
import { openDatabase } from '#src/db/database.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import { closeReadOnlyDb, openReadOnlyDb } from '#src/db/read-only.ts'
import type { Db } from '#src/db/schema.ts'
import { systemActor } from '#src/users/actor.ts'
import { apiUser, testConfig } from '../../test/support/api.ts'
import { testDatabase, testDatabaseUrl, testDialect } from '../../test/support/database.ts'
import { journalOf } from '../../test/support/state.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { getPage, webUser } from '../../test/support/web.ts'

/**
 * The heavy reads go to the app's read handle and their journal rows to the main one. To tell which handle
 * answered, the read handle here opens a second database holding rows the main one has not: what a page
 * shows came from it, and what it journaled landed in the main one.
 */
async function appWithSeparateReads() {
  const { db } = await testDatabase()
  let config: DatabaseConfig
  if (testDialect() === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-read-db-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    config = { kind: 'sqlite', file: path.join(dir, 'other.sqlite') }
  } else {
    config = { kind: 'postgres', url: await testDatabaseUrl() }
  }
  const other = openDatabase(config, { poolSize: 2 })
  if (config.kind === 'sqlite') await migrateToLatest(other)
  await audit(other, systemActor(), { action: 'ticket.auto_close', description: 'Запись только в другой базе' })
  await buildTicket(other, { title: 'Заявка только в другой базе' })
  const readDb = openReadOnlyDb(config, db, { poolSize: 2 })
  onTestFinished(async () => {
    await closeReadOnlyDb(readDb, db)
    await other.destroy()
  })
  const app = createApp({ db, readDb, config: testConfig(), logger: pino({ level: 'silent' }) })
  return { db, other, app }
}

async function journaled(db: Db, action: string): Promise<number> {
  return (await journalOf(db, action)).length
}

test('the journal page and its CSV export read through the read handle; their journal rows go to the main db', async () => {
  const { db, other, app } = await appWithSeparateReads()
  const admin = await webUser(db, { role: 'admin' })

  const page = await getPage(app, '/audit', admin)
  expect(page.status).toBe(200)
  expect(page.text).toContain('Запись только в другой базе')

  const csv = await getPage(app, '/audit/export.csv', admin)
  expect(csv.status).toBe(200)
  expect(csv.text).toContain('Запись только в другой базе')

  expect(await journaled(db, 'audit.read')).toBe(1)
  expect(await journaled(db, 'audit.export')).toBe(1)
  expect(await journaled(other, 'audit.read')).toBe(0)
  expect(await journaled(other, 'audit.export')).toBe(0)
})

test('the API journal reads through the read handle and journals on the main db', async () => {
  const { db, other, app } = await appWithSeparateReads()
  const admin = await apiUser(db, { role: 'admin' })
  const response = await app.request('/api/v1/audit', { headers: admin.headers })
  expect(response.status).toBe(200)
  const { items } = (await response.json()) as { items: Array<{ description: string }> }
  expect(items.map((item) => item.description)).toContain('Запись только в другой базе')
  expect(await journaled(db, 'audit.read')).toBe(1)
  expect(await journaled(other, 'audit.read')).toBe(0)
})

test('the statistics report counts the tickets of the read handle; its reading is journaled on the main db', async () => {
  const { db, other, app } = await appWithSeparateReads()
  const admin = await webUser(db, { role: 'admin' })
  const csv = await getPage(app, '/stats/export.csv?period=month', admin)
  expect(csv.status).toBe(200)
  // The main db has no ticket at all: the one counted is the other database's.
  expect(csv.text).toMatch(/Сводка;Заявок создано;1\r?\n/)
  expect((await getPage(app, '/stats', admin)).status).toBe(200)
  expect(await journaled(db, 'report.export')).toBe(1)
  expect(await journaled(db, 'report.view')).toBe(1)
  expect(await journaled(other, 'report.export')).toBe(0)
})

test('the tickets export reads its pages through the read handle and is journaled on the main db', async () => {
  const { db, other, app } = await appWithSeparateReads()
  const admin = await webUser(db, { role: 'admin' })
  const csv = await getPage(app, '/tickets/export.csv', admin)
  expect(csv.status).toBe(200)
  expect(csv.text).toContain('Заявка только в другой базе')
  expect(await journaled(db, 'ticket.export')).toBe(1)
  expect(await journaled(other, 'ticket.export')).toBe(0)
})

test('a ticket search (API and web) reads through the read handle and is journaled on the main db', async () => {
  const { db, other, app } = await appWithSeparateReads()
  const admin = await apiUser(db, { role: 'admin' })
  const response = await app.request(`/api/v1/tickets?q=${encodeURIComponent('другой базе')}`, {
    headers: admin.headers,
  })
  expect(response.status).toBe(200)
  const found = (await response.json()) as { items: Array<{ title: string }>; total: number }
  // The main db has no ticket at all: the one found is the other database's.
  expect(found.items.map((item) => item.title)).toEqual(['Заявка только в другой базе'])
  expect(found.total).toBe(1)
  const web = await webUser(db, { role: 'admin' })
  const page = await getPage(app, `/tickets?q=${encodeURIComponent('другой базе')}`, web)
  expect(page.status).toBe(200)
  // The words found are marked in the row (issue 13).
  expect(page.text.replace(/<\/?mark>/g, '')).toContain('Заявка только в другой базе')
  expect(await journaled(db, 'ticket.list')).toBe(2)
  expect(await journaled(other, 'ticket.list')).toBe(0)
})
