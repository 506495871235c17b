import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import ExcelJS from 'exceljs'
import pino from 'pino'
import { afterAll, describe, expect, test } from 'vitest'
import { createApp } from '#src/app.ts'
import type { Config } from '#src/config.ts'
import type { Db, Job } from '#src/db/schema.ts'
import { startWorker } from '#src/jobs/worker.ts'
import { createLogger } from '#src/logger.ts'
import { MAX_PER_PAGE } from '#src/tickets/ticket-store.ts'
import { testApp, testConfig } from '../../test/support/api.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildGroup, buildUser } from '../../test/support/factories.ts'
import { journalOf } from '../../test/support/state.ts'
import { buildTicket, insertTickets } from '../../test/support/ticket-factory.ts'
import { getPage, signIn, type WebUser, webUser } from '../../test/support/web.ts'
import { exportsDirOf, sweepTicketExports, TICKET_EXPORT_JOB, ticketExportJob } from './ticket-export-job.ts'

const HEADER =
  '№;Заголовок;Статус;Приоритет;Категория;Заявитель;Отделение;Исполнитель;Создана;Срок решения;Просрочена;Результат;Решена;Группа'

const folders: string[] = []
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
})

function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-exports-'))
  folders.push(dir)
  return dir
}

async function download(app: ReturnType<typeof testApp>['app'], url: string, who: WebUser) {
  return app.request(url, { headers: { cookie: who.cookie } })
}

/** The CSV as it came, BOM included (`Response.text()` drops it). */
async function csvText(response: Response): Promise<string> {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(await response.arrayBuffer())
}

async function workbookFrom(response: Response): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(await response.arrayBuffer())
  return workbook
}

/** Runs the app's worker with the export job (as `serve` does) until the export's job is no longer waiting. */
async function runExportJobs(db: Db, config: Config): Promise<Job['status']> {
  const worker = startWorker({
    db,
    config,
    logger: createLogger('silent'),
    channels: [],
    schedules: [],
    handlers: { [TICKET_EXPORT_JOB]: ticketExportJob() },
    pollIntervalMs: 20,
  })
  try {
    for (const deadline = Date.now() + 20_000; ; ) {
      const job = await db.selectFrom('jobs').select('status').where('kind', '=', TICKET_EXPORT_JOB).executeTakeFirst()
      if (job?.status === 'done' || job?.status === 'failed') return job.status
      if (Date.now() > deadline) throw new Error(`the export was not made in time: ${job?.status}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  } finally {
    await worker.stop()
  }
}

async function ticketCount(db: Db): Promise<number> {
  const row = await db
    .selectFrom('tickets')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

describe('the ticket list export', () => {
  test('past 10 000 rows the CSV and the XLSX carry every ticket the list matches, journaled «N из N»', {
    timeout: 120_000,
  }, async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'curator' })
    const requester = await buildUser(db)
    await insertTickets(db, 10_050, requester.id)
    const total = await ticketCount(db)
    expect(total).toBe(10_050)

    const csv = await download(app, '/tickets/export.csv', who)
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-type')).toContain('text/csv')
    const lines = (await csvText(csv)).trimEnd().split('\r\n')
    expect(lines[0]).toBe(`\uFEFF${HEADER}`)
    expect(lines).toHaveLength(total + 1)
    expect(lines[1]).toMatch(/^10050;Массовая заявка 10050;/)
    expect(lines.at(-1)).toMatch(/^1;Массовая заявка 1;/)
    expect(new Set(lines.slice(1).map((line) => line.split(';')[0])).size).toBe(total)

    const xlsx = await download(app, '/tickets/export.xlsx', who)
    expect(xlsx.status).toBe(200)
    expect(xlsx.headers.get('content-disposition')).toMatch(/attachment; filename="tickets-\d{4}-\d{2}-\d{2}\.xlsx"/)
    const sheet = (await workbookFrom(xlsx)).getWorksheet('Заявки')
    expect(sheet?.rowCount).toBe(total + 1)
    expect(sheet?.getCell('A2').value).toBe(10_050)
    expect(sheet?.getCell(`A${total + 1}`).value).toBe(1)
    // 2026-01-01T00:00:00Z and a second per ticket, as wall-clock Moscow time (UTC+3) in a real date cell.
    expect(sheet?.getCell(`I${total + 1}`).value).toEqual(new Date('2026-01-01T03:00:00.000Z'))

    const journal = await journalOf(db, 'ticket.export')
    expect(journal.map((row) => row.description)).toEqual([
      'Выгрузка списка заявок в CSV: 10050 из 10050',
      'Выгрузка списка заявок в XLSX: 10050 из 10050',
    ])
    expect(journal.map((row) => JSON.parse(row.details ?? '{}'))).toEqual([
      { count: 10_050, total: 10_050, total_capped: false, format: 'csv' },
      { count: 10_050, total: 10_050, total_capped: false, format: 'xlsx' },
    ])
    expect(journal.every((row) => row.actor_id === who.user.id && row.pdn_related === 1)).toBe(true)
  })

  test('the result, the resolved date and the group are columns of both formats', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const group = await buildGroup(db, 'Сетевики')
    const network = await buildCategory(db, { name: 'Сеть', defaultGroupId: group.id })
    const resolved = await buildTicket(db, {
      title: 'Нет сети в ординаторской',
      categoryId: network.id,
      status: 'resolved',
      createdAt: '2026-03-05T06:00:00.000Z',
      resolvedAt: '2026-03-05T08:00:00.000Z',
    })
    const open = await buildTicket(db, { title: 'Без группы', categoryId: null, createdAt: '2026-03-06T06:00:00.000Z' })

    const csv = await (
      await download(app, '/tickets/export.csv?status=new&status=resolved&sort=created_at', who)
    ).text()
    const rows = csv
      .trim()
      .split('\r\n')
      .slice(1)
      .map((line) => line.split(';'))
    expect(rows.map((cells) => Number(cells[0]))).toEqual([resolved.id, open.id])
    // The factory's resolution text; 08:00 UTC is 11:00 in Moscow, as the pages show it.
    expect(rows[0]?.slice(11)).toEqual(['Решено в тесте', '05.03.2026 11:00', 'Сетевики'])
    expect(rows[1]?.slice(11)).toEqual(['', '', ''])

    const sheet = (
      await workbookFrom(await download(app, '/tickets/export.xlsx?status=new&status=resolved&sort=created_at', who))
    ).getWorksheet('Заявки')
    expect(sheet?.getRow(1).values).toEqual([undefined, ...HEADER.split(';')])
    expect(sheet?.getCell('L2').value).toBe('Решено в тесте')
    expect(sheet?.getCell('M2').value).toEqual(new Date('2026-03-05T11:00:00.000Z'))
    expect(sheet?.getCell('M2').numFmt).toBe('dd.mm.yyyy hh:mm')
    expect(sheet?.getCell('N2').value).toBe('Сетевики')
    expect(sheet?.getCell('L3').value).toBeNull()
    expect(sheet?.getCell('M3').value).toBeNull()
    expect(sheet?.getCell('N3').value).toBeNull()
  })

  test('a download cut short stops reading pages: the pages are read as the file is taken', {
    timeout: 120_000,
  }, async () => {
    const { db } = await testDatabase()
    // The read handle counts the pages it is asked for (the store's deferred join: one `in (ids)` query a page).
    let pages = 0
    const reads = db.withPlugin({
      transformQuery: (args) => {
        if (args.node.kind === 'SelectQueryNode' && JSON.stringify(args.node).includes('"requester"')) pages++
        return args.node
      },
      transformResult: async (args) => args.result,
    })
    const app = createApp({ db, readDb: reads, config: testConfig(), logger: pino({ level: 'silent' }) })
    const who = await webUser(db, { role: 'curator' })
    await insertTickets(db, 10_050, (await buildUser(db)).id)
    const allPages = Math.ceil(10_050 / MAX_PER_PAGE)

    for (const format of ['csv', 'xlsx'] as const) {
      pages = 0
      const response = await download(app, `/tickets/export.${format}`, who)
      const reader = response.body?.getReader()
      expect((await reader?.read())?.done).toBe(false)
      await reader?.cancel()
      // Whatever was under way settles; nothing more is read after it.
      await new Promise((resolve) => setTimeout(resolve, 200))
      const read = pages
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(pages, format).toBe(read)
      expect(read, format).toBeGreaterThan(0)
      expect(read, format).toBeLessThan(allPages / 2)
    }
    pages = 0
    expect((await csvText(await download(app, '/tickets/export.csv', who))).trimEnd().split('\r\n')).toHaveLength(
      10_051,
    )
    expect(pages).toBe(allPages)
  })

  test('a read failing half-way cuts the download short, and the log says why', async () => {
    const { db } = await testDatabase()
    let pages = 0
    const reads = db.withPlugin({
      transformQuery: (args) => {
        if (args.node.kind === 'SelectQueryNode' && JSON.stringify(args.node).includes('"requester"') && ++pages === 3)
          throw new Error('the disk went away')
        return args.node
      },
      transformResult: async (args) => args.result,
    })
    const logs: Array<Record<string, unknown>> = []
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) })
    const app = createApp({ db, readDb: reads, config: testConfig(), logger })
    const who = await webUser(db, { role: 'curator' })
    await insertTickets(db, 1001, (await buildUser(db)).id)
    for (const format of ['csv', 'xlsx'] as const) {
      pages = 0
      const response = await download(app, `/tickets/export.${format}`, who)
      expect(response.status).toBe(200)
      await expect(response.arrayBuffer()).rejects.toThrow()
    }
    expect(logs.filter((line) => line.msg === 'export cut short')).toMatchObject([
      { err: { message: 'the disk went away' }, path: '/tickets/export.csv' },
      { err: { message: 'the disk went away' }, path: '/tickets/export.xlsx' },
    ])
  })

  test('the list’s export links open rather than save: a big export answers with a page', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    await buildTicket(db)
    const page = await getPage(app, '/tickets', who)
    expect(page.text).toMatch(/href="\/tickets\/export\.csv[^"]*"/)
    expect(page.text).not.toMatch(/href="\/tickets\/export\.(csv|xlsx)[^"]*"[^>]*download/)
  })

  test('staff export what their list shows: without a status, the open tickets; `status=all`, every one', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role: 'executor' })
    const open = await buildTicket(db, { title: 'Открытая' })
    const closed = await buildTicket(db, { title: 'Закрытая', status: 'closed' })
    const numbers = async (url: string) =>
      (await csvText(await download(app, url, who)))
        .split('\r\n')
        .slice(1, -1)
        .map((line) => Number(line.split(';')[0]))
    expect(await numbers('/tickets/export.csv')).toEqual([open.id])
    expect((await numbers('/tickets/export.csv?status=all')).sort()).toEqual([open.id, closed.id].sort())
  })
})

describe('an export past the limit', () => {
  test('is made in the background: a page that waits, then the file for its owner alone, for a day', {
    timeout: 60_000,
  }, async () => {
    const { db } = await testDatabase()
    const dir = dataDir()
    const config = testConfig({ dataDir: dir, exportStreamLimit: 3 })
    const { app } = testApp(db, config)
    const owner = await webUser(db, { role: 'curator' })
    const stranger = await webUser(db, { role: 'admin' })
    for (const n of [1, 2, 3, 4, 5]) await buildTicket(db, { title: `Фоновая ${n}`, status: 'new' })
    await buildTicket(db, { title: 'Закрытая', status: 'closed' })

    const asked = await download(app, '/tickets/export.csv?status=new&cursor=junk', owner)
    expect(asked.status).toBe(303)
    const pageUrl = asked.headers.get('location') ?? ''
    expect(pageUrl).toMatch(/^\/tickets\/exports\/[0-9a-f]{32}$/)
    expect(await journalOf(db, 'ticket.export')).toMatchObject([
      {
        actor_id: owner.user.id,
        pdn_related: 1,
        description: 'Выгрузка списка заявок в CSV: 5 из 5 (в фоне)',
        details: JSON.stringify({ count: 5, total: 5, total_capped: false, format: 'csv' }),
      },
    ])

    // Asked again while it is made (a second click): the same export, journaled once.
    expect((await download(app, '/tickets/export.csv?status=new', owner)).headers.get('location')).toBe(pageUrl)
    expect(await journalOf(db, 'ticket.export')).toHaveLength(1)

    const waiting = await getPage(app, pageUrl, owner)
    expect(waiting.status).toBe(200)
    expect(waiting.text).toContain('Выгрузка готовится…')
    expect(waiting.text).toContain('href="/tickets?status=new"')
    expect(waiting.headers.get('refresh')).toBe('3')
    expect(waiting.text).not.toContain(`${pageUrl}/file`)
    // Not ready yet: the file's address leads back to the page.
    expect((await getPage(app, `${pageUrl}/file`, owner)).location).toBe(pageUrl)

    expect(await runExportJobs(db, config)).toBe('done')
    // The page the browser reloads now offers the file.
    const ready = await getPage(app, pageUrl, owner)
    expect(ready.status).toBe(200)
    expect(ready.headers.get('refresh')).toBeNull()
    expect(ready.text).toContain(`href="${pageUrl}/file"`)
    expect(ready.text).toContain('Скачать')
    const files = readdirSync(exportsDirOf(dir))
    expect(files).toEqual([`${pageUrl.split('/').at(-1)}.csv`])

    // Someone else, even an admin, finds nothing there; the attempts are journaled.
    expect((await getPage(app, pageUrl, stranger)).status).toBe(404)
    expect((await getPage(app, `${pageUrl}/file`, stranger)).status).toBe(404)
    expect(await journalOf(db, 'ticket.export_download', 'denied')).toMatchObject([
      { actor_id: stranger.user.id, pdn_related: 1 },
      { actor_id: stranger.user.id, pdn_related: 1 },
    ])
    expect((await getPage(app, '/tickets/exports/0123456789abcdef0123456789abcdef', owner)).status).toBe(404)

    const file = await download(app, `${pageUrl}/file`, owner)
    expect(file.status).toBe(200)
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="tickets-\d{4}-\d{2}-\d{2}\.csv"/)
    const lines = (await csvText(file)).trimEnd().split('\r\n')
    expect(lines[0]).toBe(`\uFEFF${HEADER}`)
    expect(lines.slice(1).map((line) => line.split(';')[1])).toEqual([
      'Фоновая 5',
      'Фоновая 4',
      'Фоновая 3',
      'Фоновая 2',
      'Фоновая 1',
    ])
    expect(await journalOf(db, 'ticket.export_download')).toMatchObject([
      { actor_id: owner.user.id, pdn_related: 1, description: 'Скачана выгрузка списка заявок в CSV: 5 строк' },
    ])

    // A day later the file is no longer offered, and the sweep takes it.
    setTestClock(Date.now() + 25 * 60 * 60_000)
    const nextDay = await signIn(db, owner.user)
    const gone = await getPage(app, pageUrl, nextDay)
    expect(gone.status).toBe(410)
    expect(gone.text).toContain('Выгрузка удалена')
    expect((await getPage(app, `${pageUrl}/file`, nextDay)).location).toBe(pageUrl)
    expect(await sweepTicketExports(dir)).toBe(1)
    expect(readdirSync(exportsDirOf(dir))).toEqual([])
  })

  test('an XLSX made in the background reads back whole, in its owner’s language', {
    timeout: 60_000,
  }, async () => {
    const { db } = await testDatabase()
    const dir = dataDir()
    const config = testConfig({ dataDir: dir, exportStreamLimit: 1 })
    const { app } = testApp(db, config)
    const owner = await webUser(db, { role: 'executor' })
    await db.updateTable('users').set({ language: 'en' }).where('id', '=', owner.user.id).execute()
    await buildTicket(db, { title: 'Первая', createdAt: '2026-03-05T08:00:00.000Z' })
    await buildTicket(db, { title: 'Вторая', createdAt: '2026-03-06T08:00:00.000Z' })
    const pageUrl = (await download(app, '/tickets/export.xlsx', owner)).headers.get('location') ?? ''
    expect(await runExportJobs(db, config)).toBe('done')
    const ready = await getPage(app, pageUrl, owner)
    expect(ready.text).toContain('The export is ready')
    const file = await download(app, `${pageUrl}/file`, owner)
    expect(file.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    const sheet = (await workbookFrom(file)).getWorksheet('Tickets')
    expect(sheet?.rowCount).toBe(3)
    expect(sheet?.getCell('A1').value).toBe('No.')
    expect(sheet?.getCell('B2').value).toBe('Вторая')
    expect(sheet?.getCell('C2').value).toBe('New')
    expect(sheet?.getCell('I3').value).toEqual(new Date('2026-03-05T11:00:00.000Z'))
  })

  test('a job whose owner is no longer active makes nothing, and the page says it failed', async () => {
    const { db } = await testDatabase()
    const dir = dataDir()
    const config = testConfig({ dataDir: dir, exportStreamLimit: 0 })
    const { app } = testApp(db, config)
    const owner = await webUser(db, { role: 'executor' })
    await buildTicket(db)
    const pageUrl = (await download(app, '/tickets/export.csv', owner)).headers.get('location') ?? ''
    expect(pageUrl).toMatch(/^\/tickets\/exports\//)
    await db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', owner.user.id).execute()
    // A permanent refusal: the worker does not try it again.
    expect(await runExportJobs(db, config)).toBe('failed')
    await db.updateTable('users').set({ status: 'active' }).where('id', '=', owner.user.id).execute()
    const failed = await getPage(app, pageUrl, owner)
    expect(failed.text).toContain('Выгрузка не удалась')
    expect(readdirSync(dir)).not.toContain('exports')
  })
})
