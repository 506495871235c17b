import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Hono } from 'hono'
import { afterAll, describe, expect, test } from 'vitest'
import type { AppEnv } from '#src/api/env.ts'
import type { Db } from '#src/db/schema.ts'
import { testApp, testConfig } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildDepartment, buildGroup, buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { getPage, inlineProblems, postForm, type WebUser, webUser } from '../../test/support/web.ts'

/**
 * The qualities every page shares (issue 4, "Qualities"): strict security headers on every HTML page and
 * every asset, no inline script, style or handler in any page, and pages that stay light.
 */

const folders: string[] = []
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)

/** Typical data: departments, a group, categories, people (one pending), tickets with a conversation and a file. */
async function hospital(db: Db, app: Hono<AppEnv>, admin: WebUser) {
  const department = await buildDepartment(db)
  const executor = await buildUser(db, { role: 'executor', departmentId: department.id })
  const group = await buildGroup(db, undefined, [executor.id, admin.user.id])
  const category = await buildCategory(db)
  await buildUser(db, { status: 'pending', departmentId: department.id })
  const requester = await buildUser(db, { departmentId: department.id })
  const ticket = await buildTicket(db, { requesterId: requester.id, categoryId: category.id, priority: 'high' })
  for (let i = 0; i < 12; i++) await buildTicket(db, { requesterId: requester.id, categoryId: category.id })
  await postForm(app, `/tickets/${ticket.id}/take`, admin)
  await postForm(app, `/tickets/${ticket.id}/messages`, admin, { body: 'Уже идём', kind: 'external' })
  await postForm(app, `/tickets/${ticket.id}/messages`, admin, { body: 'Проверить картридж', kind: 'internal' })
  const form = new FormData()
  form.set('_csrf', admin.csrf)
  form.set('body', 'Фото экрана')
  form.append('files', new File([PNG], 'screen.png', { type: 'image/png' }))
  await app.request(`/tickets/${ticket.id}/messages`, { method: 'POST', body: form, headers: { cookie: admin.cookie } })
  const file = await db.selectFrom('attachments').select('id').where('ticket_id', '=', ticket.id).executeTakeFirst()
  return { department, executor, group, category, requester, ticket, fileId: file?.id }
}

/** The security headers a response must carry (COMPLIANCE.md §5), as problems found. */
function headerProblems(headers: Headers): string[] {
  const problems: string[] = []
  const csp = headers.get('content-security-policy') ?? ''
  const directive = (name: string) => new RegExp(`(?:^|;)\\s*${name}\\s+([^;]*)`).exec(csp)?.[1]?.trim()
  if (directive('default-src') !== "'self'") problems.push('default-src')
  if (directive('script-src') !== "'self'") problems.push('script-src')
  if (directive('style-src') !== "'self'") problems.push('style-src')
  if (directive('frame-ancestors') !== "'none'") problems.push('frame-ancestors')
  if (directive('object-src') !== "'none'") problems.push('object-src')
  if (/unsafe-(?:inline|eval)/.test(csp)) problems.push('unsafe- source in CSP')
  if (!headers.get('referrer-policy')) problems.push('Referrer-Policy')
  if (headers.get('x-content-type-options') !== 'nosniff') problems.push('X-Content-Type-Options')
  if (!/camera=\(\)/.test(headers.get('permissions-policy') ?? '')) problems.push('Permissions-Policy')
  return problems
}

describe('every page and asset', () => {
  test('carries the security headers, and no HTML has an inline script, style or handler', async () => {
    const { db } = await testDatabase()
    const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-quality-'))
    folders.push(dataDir)
    const { app } = testApp(db, testConfig({ dataDir }))
    const admin = await webUser(db, { role: 'admin' })
    const data = await hospital(db, app, admin)
    expect(data.fileId).toBeDefined()

    // Every GET route of web.tsx's mounts, as an admin sees them (404s included: they are pages too).
    const pages: Array<[path: string, status: number]> = [
      ['/', 200],
      ['/tickets', 200],
      ['/tickets?view=overdue&sort=priority', 200],
      ['/tickets/new', 200],
      [`/tickets/${data.ticket.id}`, 200],
      [`/tickets/${data.ticket.id}/live`, 200],
      [`/tickets/${data.ticket.id}/files/${data.fileId}`, 200],
      ['/tickets/export.csv', 200],
      ['/tickets/export.xlsx', 200],
      ['/tickets/999999', 404],
      ['/people?q=%D0%A2%D0%B5%D1%81%D1%82', 200],
      ['/stats', 200],
      ['/stats?period=quarter', 200],
      ['/stats/export.csv', 200],
      ['/stats/export.xlsx', 200],
      ['/users', 200],
      ['/users/import', 200],
      [`/users/${data.requester.id}`, 200],
      ['/audit', 200],
      ['/audit/export.csv', 200],
      ['/profile', 200],
      ['/registrations', 200],
      ['/categories', 200],
      ['/categories/new', 200],
      [`/categories/${data.category.id}/edit`, 200],
      ['/departments', 200],
      ['/groups', 200],
      ['/groups/new', 200],
      [`/groups/${data.group.id}/edit`, 200],
      ['/no-such-page', 404],
    ]
    for (const [url, status] of pages) {
      const page = await getPage(app, url, admin)
      expect(page.status, url).toBe(status)
      expect(headerProblems(page.headers), url).toEqual([])
      // Nothing behind the login stays in a shared PC's cache for anyone but this person, briefly.
      expect(page.headers.get('cache-control') ?? '', url).toMatch(/no-store|private/)
      if ((page.headers.get('content-type') ?? '').includes('text/html')) {
        expect(inlineProblems(page.text), url).toEqual([])
      }
    }

    // Pages before the sign-in, and our assets.
    for (const url of ['/login', '/login/telegram/not-a-token', '/password/set/not-a-token', '/no-such-page']) {
      const page = await getPage(app, url)
      expect(headerProblems(page.headers), url).toEqual([])
      expect(inlineProblems(page.text), url).toEqual([])
    }
    const login = await getPage(app, '/login')
    const assets = [...login.text.matchAll(/(?:src|href)="(\/static\/[^"]+)"/g)].map((m) => m[1] ?? '')
    expect(assets.length).toBeGreaterThanOrEqual(4)
    for (const url of [...assets, '/static/nothing.js']) {
      expect(headerProblems((await app.request(url)).headers), url).toEqual([])
    }
  })
})

describe('the new pages stay light', () => {
  test('dashboard, statistics, users and audit journal weigh under 60 KB of HTML with typical data', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const departments = [await buildDepartment(db), await buildDepartment(db), await buildDepartment(db)]
    const executors = []
    for (let i = 0; i < 8; i++) executors.push(await buildUser(db, { role: 'executor' }))
    await buildGroup(db, undefined, [admin.user.id, ...executors.map((e) => e.id)])
    const categories = []
    for (let i = 0; i < 10; i++) categories.push(await buildCategory(db))
    // A full page of people (the users list shows 50 a page).
    const people = []
    for (let i = 0; i < 60; i++) {
      people.push(await buildUser(db, { departmentId: departments[i % departments.length]?.id ?? null }))
    }
    for (let i = 0; i < 60; i++) {
      const ticket = await buildTicket(db, {
        title: `Не работает принтер в кабинете ${i}`,
        requesterId: people[i % people.length]?.id ?? admin.user.id,
        categoryId: categories[i % categories.length]?.id ?? null,
        priority: i % 7 === 0 ? 'critical' : 'normal',
        createdAt: new Date(Date.now() - i * 3_600_000 * 5).toISOString(),
      })
      if (i % 3 === 0) await postForm(app, `/tickets/${ticket.id}/take`, admin)
    }
    // The journal has more than a page of entries by now (takes, reads of the pages below).
    for (const url of ['/users', '/tickets', '/users', '/tickets']) await getPage(app, url, admin)

    for (const url of ['/', '/stats', '/stats?period=quarter', '/users', '/audit']) {
      const page = await getPage(app, url, admin)
      expect(page.status, url).toBe(200)
      expect(Buffer.byteLength(page.text), url).toBeLessThan(60_000)
    }
    // The pages are not trivially light: the data is on them.
    expect((await getPage(app, '/users', admin)).text).toContain(people[0]?.full_name ?? '—')
  })
})
