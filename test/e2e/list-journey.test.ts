import { readFileSync } from 'node:fs'
import ExcelJS from 'exceljs'
import type { Page } from 'playwright-core'
import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { localDay } from '#src/format/zone-days.ts'
import { hashPassword } from '#src/users/passwords.ts'
import { desktop, JOURNEY_PASSWORD, openPage, phone, runJourneys, screenshot, signInAs } from '../support/browser.ts'
import { buildCategory, buildConsent, buildDepartment, buildGroup, buildUser } from '../support/factories.ts'
import { useJourneyServer } from '../support/journey.ts'
import { buildTicket } from '../support/ticket-factory.ts'

/**
 * The list, its filters and exports, the dashboard and the statistics (issue 4, pages 2, 8, 11): an
 * executor's home page shows their tickets; filters (status, priority, «не назначена», created from/to
 * in date fields) stay in the URL; the link reproduces the view for a colleague;
 * CSV and XLSX downloads hold exactly the filtered tickets; the report draws its charts.
 */

const JOURNEY = 'list'
const TZ = 'Europe/Moscow'
const TARGET = 'Не открывается МИС в реанимации'

describe('the ticket list, the dashboard and the statistics in chromium', () => {
  const journeyServer = useJourneyServer(seed)

  test.runIf(runJourneys)(
    'an executor filters the list, shares the link with a curator, both export it; the curator reads the report',
    async () => {
      const server = journeyServer()
      const { base, browser } = server
      const executor = await openPage(browser, desktop)
      const page = executor.page
      await signInAs(page, base, 'sidorov')

      // The home page: my tickets, and the unassigned ones of my group.
      await page.goto(`${base}/`)
      await page.getByRole('heading', { name: 'Главная', level: 1 }).waitFor()
      const mine = page.locator('section', { has: page.getByRole('heading', { name: /Мои открытые заявки/ }) })
      await mine.getByRole('link', { name: 'Сеть упала в приёмном' }).waitFor()
      const unassigned = page.locator('section', {
        has: page.getByRole('heading', { name: /Не назначенные в моих группах/ }),
      })
      expect(await unassigned.getByRole('link', { name: TARGET }).count()).toBe(1)
      expect(await mine.getByRole('link', { name: TARGET }).count()).toBe(0)
      await screenshot(page, JOURNEY, '01-dashboard-executor')

      // The list, narrowed step by step; each change lands in the address bar.
      await page.getByRole('navigation', { name: 'Разделы' }).getByRole('link', { name: 'Заявки' }).click()
      await page.getByRole('heading', { name: 'Заявки', level: 1 }).waitFor()
      // An executor's list opens on the open tickets («Все открытые»), its filters folded; narrowed to «Новая».
      expect(await page.getByRole('link', { name: /Все открытые/ }).getAttribute('aria-current')).toBe('page')
      await page.locator('summary.filters__summary').click()
      expect(await page.getByRole('checkbox', { name: 'В работе' }).isChecked()).toBe(true)
      await page.getByRole('checkbox', { name: 'В работе' }).uncheck()
      const statuses = (url: URL) =>
        url.searchParams
          .getAll('status')
          .filter((s) => s !== 'all')
          .join()
      await page.waitForURL((url) => statuses(url) === 'new,waiting')
      await page.getByRole('checkbox', { name: 'Ожидает ответа' }).uncheck()
      await page.waitForURL((url) => statuses(url) === 'new')
      await page.locator('form.filters').getByLabel('Приоритет').selectOption('critical')
      await page.waitForURL(/priority=critical/)
      await page.getByLabel('Исполнитель').selectOption('none')
      await page.waitForURL(/assignee=none/)

      // The created-from/to dates, in a Russian browser context (navigator.language ru-RU).
      expect(await page.evaluate('navigator.language')).toBe('ru-RU')
      const from = dayBefore(5)
      const to = dayBefore(0)
      await setDate(page, 'Создана с', from)
      await page.waitForURL(new RegExp(`from=${from}`))
      await setDate(page, 'Создана по', to)
      await page.waitForURL(new RegExp(`to=${to}`))
      expect(await page.getByLabel('Создана с').inputValue()).toBe(from)
      await page.getByText('Найдено: 1 заявка').waitFor()
      const rows = page.locator('table.tickets tbody tr')
      expect(await rows.count()).toBe(1)
      await rows.getByRole('link', { name: TARGET }).waitFor()
      await screenshot(page, JOURNEY, '02-list-filtered')

      // The CSV and XLSX downloads carry exactly the filtered list.
      const csv = await download(page, 'Выгрузить CSV')
      expect(csv.name).toMatch(/^tickets-\d{4}-\d{2}-\d{2}\.csv$/)
      const csvText = readFileSync(csv.path, 'utf8')
      expect(csvText.startsWith('\uFEFF№;Заголовок;Статус')).toBe(true)
      expect(csvText).toContain(TARGET)
      expect(csvText.trim().split('\r\n')).toHaveLength(2)
      const xlsx = await download(page, 'Выгрузить XLSX')
      expect(xlsx.name).toMatch(/\.xlsx$/)
      const workbook = new ExcelJS.Workbook()
      await workbook.xlsx.readFile(xlsx.path)
      const sheet = workbook.getWorksheet('Заявки')
      expect(sheet?.rowCount).toBe(2)
      expect(sheet?.getCell('B2').value).toBe(TARGET)
      expect(sheet?.getCell('D2').value).toBe('Критический')
      executor.expectClean()

      // The link shared with a curator reproduces the view, filters filled in.
      const shared = page.url()
      const curator = await openPage(browser, desktop)
      await signInAs(curator.page, base, 'kurator')
      await curator.page.goto(shared)
      await curator.page.getByText('Найдено: 1 заявка').waitFor()
      await curator.page.locator('table.tickets').getByRole('link', { name: TARGET }).waitFor()
      // Folded (the curator never opened it), the panel says how many filters are set.
      await curator.page.getByText('Фильтры: 5').click()
      expect(await curator.page.getByRole('checkbox', { name: 'Новая' }).isChecked()).toBe(true)
      expect(await curator.page.locator('form.filters').getByLabel('Приоритет').inputValue()).toBe('critical')
      expect(await curator.page.getByLabel('Исполнитель').inputValue()).toBe('none')
      expect(await curator.page.getByLabel('Создана по').inputValue()).toBe(to)
      await screenshot(curator.page, JOURNEY, '03-list-shared-link')

      // The report: charts drawn on the server, tables beside them, a period chosen in the form.
      await curator.page.getByRole('navigation', { name: 'Разделы' }).getByRole('link', { name: 'Статистика' }).click()
      await curator.page.getByRole('heading', { name: 'Статистика', level: 1 }).waitFor()
      await curator.page.getByRole('img', { name: /Динамика: создано и решено/ }).waitFor()
      await curator.page.getByRole('img', { name: /По исполнителям/ }).waitFor()
      expect(await curator.page.locator('svg.chart').count()).toBe(5)
      const box = await curator.page.locator('svg.chart--columns').boundingBox()
      expect(box?.height ?? 0).toBeGreaterThan(100)
      await screenshot(curator.page, JOURNEY, '04-stats-month')
      await curator.page.getByRole('link', { name: 'Этот квартал' }).click()
      await curator.page.waitForURL(/period=quarter/)
      await curator.page.getByRole('img', { name: /По отделениям/ }).waitFor()
      await screenshot(curator.page, JOURNEY, '05-stats-quarter')
      // A period of one's own: the last ten days, by week.
      await setDate(curator.page, 'С', dayBefore(10))
      await setDate(curator.page, 'По', to)
      await curator.page.getByRole('combobox', { name: /Шаг динамики/ }).selectOption('week')
      await curator.page.getByRole('button', { name: 'Показать' }).click()
      await curator.page.waitForURL(new RegExp(`period=custom&from=${dayBefore(10)}&to=${to}&by=week`))
      await curator.page.getByText(`Заявки, созданные с ${russian(dayBefore(10))} по ${russian(to)}`).waitFor()
      await screenshot(curator.page, JOURNEY, '06-stats-custom')
      const report = await download(curator.page, 'Выгрузить XLSX')
      const reportBook = new ExcelJS.Workbook()
      await reportBook.xlsx.readFile(report.path)
      expect(reportBook.worksheets.map((w) => w.name)).toContain('По исполнителям')
      curator.expectClean()

      // On a phone the dashboard's blocks stack in one column.
      const onPhone = await openPage(browser, phone)
      await signInAs(onPhone.page, base, 'sidorov')
      await onPhone.page.goto(`${base}/`)
      await onPhone.page.getByRole('heading', { name: /Мои открытые заявки/ }).waitFor()
      await screenshot(onPhone.page, JOURNEY, '07-dashboard-phone')
      onPhone.expectClean()
      await Promise.all([executor.context.close(), curator.context.close(), onPhone.context.close()])
    },
    120_000,
  )
})

/** The local (Moscow) date some days ago, `YYYY-MM-DD`. */
function dayBefore(days: number): string {
  return localDay(Date.now() - days * 86_400_000, TZ)
}

/**
 * Sets a date field and leaves it. The field's value is ISO (`2026-11-21`) whatever the display: Debian's
 * chromium without chromium-l10n shows «ММ/ДД/ГГГГ» even for a ru-RU page, so keystrokes would depend on
 * the installed packages; fill() sets the value as a person's choice in the picker does, and fires change.
 */
async function setDate(page: Page, label: string, isoDay: string) {
  const field = page.getByLabel(label, { exact: true })
  await field.fill(isoDay)
  await field.press('Tab')
}

function russian(isoDay: string): string {
  return isoDay.split('-').reverse().join('.')
}

async function download(page: Page, link: string): Promise<{ name: string; path: string }> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: link }).click()])
  return { name: file.suggestedFilename(), path: await file.path() }
}

/** An executor in the network group, a curator, and tickets the filters tell apart. */
async function seed(db: Db): Promise<void> {
  const passwordHash = await hashPassword(JOURNEY_PASSWORD)
  const icu = await buildDepartment(db, 'Реанимация')
  const reception = await buildDepartment(db, 'Приёмное отделение')
  const sidorov = await buildUser(db, { role: 'executor', fullName: 'Сидоров Алексей', login: 'sidorov', passwordHash })
  const petrov = await buildUser(db, { role: 'executor', fullName: 'Петров Игорь' })
  const kurator = await buildUser(db, { role: 'curator', fullName: 'Кураторова Елена', login: 'kurator', passwordHash })
  for (const person of [sidorov, kurator]) await buildConsent(db, person.id)
  const network = await buildGroup(db, 'Сети', [sidorov.id])
  const mis = await buildCategory(db, { name: 'МИС', defaultGroupId: network.id })
  const lan = await buildCategory(db, { name: 'Сеть и интернет', defaultGroupId: network.id })
  const nurse = await buildUser(db, { fullName: 'Медсестра Реанимации', departmentId: icu.id })
  const doctor = await buildUser(db, { fullName: 'Врач Приёмного', departmentId: reception.id })
  const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString()

  await buildTicket(db, {
    title: 'Сеть упала в приёмном',
    requesterId: doctor.id,
    categoryId: lan.id,
    priority: 'high',
    status: 'in_progress',
    assigneeId: sidorov.id,
    createdAt: ago(2),
  })
  await buildTicket(db, {
    title: TARGET,
    requesterId: nurse.id,
    categoryId: mis.id,
    priority: 'critical',
    createdAt: ago(3),
  })
  await buildTicket(db, {
    title: 'Старая критичная без исполнителя',
    requesterId: nurse.id,
    categoryId: mis.id,
    priority: 'critical',
    createdAt: ago(20),
  })
  await buildTicket(db, {
    title: 'Обычная без исполнителя',
    requesterId: doctor.id,
    categoryId: lan.id,
    createdAt: ago(3),
  })
  await buildTicket(db, {
    title: 'Критичная в работе',
    requesterId: doctor.id,
    categoryId: mis.id,
    priority: 'critical',
    status: 'in_progress',
    assigneeId: petrov.id,
    createdAt: ago(3),
  })
  await buildTicket(db, {
    title: 'Решённая на прошлой неделе',
    requesterId: nurse.id,
    categoryId: lan.id,
    status: 'resolved',
    assigneeId: sidorov.id,
    createdAt: ago(8),
    resolvedAt: ago(7),
  })
}
