import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Config } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import { createLogger } from '#src/logger.ts'
import { type Running, serve } from '#src/main.ts'
import { hashPassword } from '#src/users/passwords.ts'
import { buildCategory, buildDepartment, buildUser } from '../support/factories.ts'
import { buildTicket } from '../support/ticket-factory.ts'

/**
 * Browser journeys (TESTING.md): Debian's chromium, driven by playwright-core, against the real server
 * on 127.0.0.1 with a fresh data folder. Any console error or CSP violation fails the journey.
 * Screenshots go to test-results/screenshots/.
 */

const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
// In CI a missing browser fails the journey (TESTING.md); elsewhere it is skipped with a reason.
const runJourneys = hasChromium || process.env.CI === 'true'
const SCREENSHOTS = path.join(import.meta.dirname, '../../test-results/screenshots')
const PASSWORD = 'пароль-для-теста-2026'

if (!hasChromium && process.env.CI !== 'true') {
  process.stderr.write(`web journeys skipped: ${CHROMIUM} is absent (apt-get install -y chromium)\n`)
}

describe('web journeys in chromium', () => {
  let running: Running | undefined
  let browser: Browser | undefined
  let dataDir = ''

  beforeAll(async () => {
    if (!runJourneys) return
    if (!hasChromium) throw new Error(`${CHROMIUM} is required in CI: apt-get install -y chromium`)
    dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-e2e-'))
    mkdirSync(SCREENSHOTS, { recursive: true })
    const config: Config = Object.freeze({
      dataDir,
      database: { kind: 'sqlite', file: path.join(dataDir, 'helpdesk.sqlite') },
      host: '127.0.0.1',
      port: 0,
      baseUrl: 'http://127.0.0.1',
      tzDisplay: 'Europe/Moscow',
      logLevel: 'silent',
      telegram: { enabled: false },
      auditKey: 'e2e-audit-key-0123456789abcdef0123456789abcdef',
      secretKey: 'e2e-secret-key-0123456789abcdef0123456789abcdef',
      workerEnabled: false,
    } satisfies Config)
    running = await serve(config, createLogger('silent'), { handleSignals: false, shutdownGraceMs: 0 })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        '--disable-quic',
      ],
    })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await running?.stop()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  test.runIf(runJourneys)(
    'an executor takes, notes, answers and resolves a ticket; its requester sees only their ticket with the answer',
    async () => {
      if (!running || !browser) throw new Error('server or browser did not start')
      const base = running.url
      const people = await seed(running.db)

      // The executor's working day: the list, a filter, the ticket, take, note, reply, resolve.
      const executor = await open(browser, { width: 1366, height: 768 })
      await executor.page.goto(`${base}/login`)
      await shot(executor.page, '00-login')
      await login(executor.page, base, 'sidorov')
      await expect.poll(() => executor.page.url()).toBe(`${base}/tickets`)
      await executor.page.getByRole('heading', { name: 'Заявки' }).waitFor()
      await shot(executor.page, '01-list-executor')
      // `/` jumps to the search box.
      await executor.page.keyboard.press('/')
      expect(await executor.page.evaluate('document.activeElement && document.activeElement.id')).toBe('top-search')

      await executor.page.getByLabel('Новая', { exact: true }).check()
      await expect.poll(() => executor.page.url()).toContain('status=new')
      await executor.page.locator('#ticket-results').getByText('Не печатает принтер в ординаторской').waitFor()
      expect(await executor.page.locator('#ticket-results').getByText('Заменить мышь').count()).toBe(0)
      await shot(executor.page, '02-list-filtered')

      await executor.page.getByRole('link', { name: 'Не печатает принтер в ординаторской' }).click()
      await executor.page.getByRole('heading', { name: 'Не печатает принтер в ординаторской' }).waitFor()
      await shot(executor.page, '03-ticket-new')

      await executor.page.getByRole('button', { name: 'Взять в работу' }).click()
      await executor.page.locator('.ticket-head .status--in_progress').waitFor()

      const reply = executor.page.locator('form[data-reply]')
      await reply.getByLabel('Внутренняя заметка').check()
      await reply.locator('textarea[name=body]').fill('Картридж на складе, проверить остаток')
      await shot(executor.page, '04-ticket-internal-note-box')
      await reply.getByRole('button', { name: 'Сохранить заметку' }).click()
      await executor.page.locator('.msg--internal').getByText('Картридж на складе').waitFor()

      await reply.getByLabel('Ответ заявителю').check()
      await reply.locator('textarea[name=body]').fill('Уже идём, будем через 10 минут')
      // Ctrl+Enter sends the reply.
      await reply.locator('textarea[name=body]').press('Control+Enter')
      await executor.page.locator('.msg--staff').getByText('Уже идём').waitFor()

      await executor.page.locator('textarea[name=resolution]').fill('Заменили картридж, печать проверена')
      await executor.page.getByRole('button', { name: 'Решена' }).click()
      await executor.page.locator('.ticket-head .status--resolved').waitFor()
      await shot(executor.page, '05-ticket-resolved')
      executor.expectClean()

      // The requester sees their own ticket only, with the answer and the result — never the note.
      const requester = await open(browser, { width: 1366, height: 768 })
      await login(requester.page, base, 'ivanova')
      await requester.page.getByRole('heading', { name: 'Заявки' }).waitFor()
      expect(await requester.page.getByText('Не печатает принтер в ординаторской').count()).toBe(1)
      expect(await requester.page.getByText('Заменить мышь').count()).toBe(0)
      await shot(requester.page, '06-list-requester')
      await requester.page.getByRole('link', { name: 'Не печатает принтер в ординаторской' }).click()
      await requester.page.getByText('Уже идём, будем через 10 минут').waitFor()
      await requester.page.getByText('Заменили картридж, печать проверена').waitFor()
      expect(await requester.page.getByText('Картридж на складе').count()).toBe(0)
      await shot(requester.page, '07-ticket-requester')
      await requester.page.getByRole('link', { name: 'Новая заявка' }).first().click()
      await requester.page.getByRole('heading', { name: 'Новая заявка' }).waitFor()
      await shot(requester.page, '09-new-ticket-requester')
      requester.expectClean()

      // A foreign ticket by its address: not found.
      const foreign = await requester.page.goto(`${base}/tickets/${people.foreignTicketId}`)
      expect(foreign?.status()).toBe(404)

      // On a phone the list is blocks, not a wide table.
      const phone = await open(browser, { width: 390, height: 844 })
      await login(phone.page, base, 'sidorov')
      await phone.page.getByRole('heading', { name: 'Заявки' }).waitFor()
      await shot(phone.page, '08-list-phone')
      phone.expectClean()
      await Promise.all([executor.context.close(), requester.context.close(), phone.context.close()])
    },
    120_000,
  )
})

interface OpenPage {
  context: BrowserContext
  page: Page
  /** Fails on any console error, page error or CSP violation seen so far. */
  expectClean(): void
}

async function open(browser: Browser, viewport: { width: number; height: number }): Promise<OpenPage> {
  const context = await browser.newContext({ viewport, locale: 'ru-RU', timezoneId: 'Europe/Moscow' })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) {
      problems.push(`console: ${message.text()}`)
    }
  })
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
  return { context, page, expectClean: () => expect(problems).toEqual([]) }
}

async function login(page: Page, base: string, login: string): Promise<void> {
  await page.goto(`${base}/login`)
  await page.getByLabel('Логин').fill(login)
  await page.getByLabel('Пароль').fill(PASSWORD)
  await page.getByRole('button', { name: 'Войти' }).click()
  await page.waitForURL(`${base}/tickets`)
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true })
}

/** A small hospital: departments, categories, the two people of the journey, and a list worth looking at. */
async function seed(db: Db): Promise<{ foreignTicketId: number }> {
  const passwordHash = await hashPassword(PASSWORD)
  const surgery = await buildDepartment(db, 'Хирургическое отделение № 1')
  const cardio = await buildDepartment(db, 'Кардиология')
  const reception = await buildDepartment(db, 'Приёмное отделение')
  const hardware = await buildCategory(db, { name: 'Оборудование' })
  const printers = await buildCategory(db, { name: 'Принтеры и МФУ', parentId: hardware.id, defaultPriority: 'high' })
  const software = await buildCategory(db, { name: 'Программы' })
  const mis = await buildCategory(db, { name: 'МИС', parentId: software.id })
  const network = await buildCategory(db, { name: 'Сеть и интернет' })
  const ivanova = await buildUser(db, {
    fullName: 'Иванова Мария Петровна',
    login: 'ivanova',
    passwordHash,
    departmentId: surgery.id,
    phone: '+7 (4712) 55-12-34',
  })
  const sidorov = await buildUser(db, { role: 'executor', fullName: 'Сидоров Алексей', login: 'sidorov', passwordHash })
  const petrov = await buildUser(db, { role: 'executor', fullName: 'Петров Игорь' })
  const kuznetsova = await buildUser(db, { fullName: 'Кузнецова Ольга Викторовна', departmentId: cardio.id })
  const orlov = await buildUser(db, { fullName: 'Орлов Сергей Николаевич', departmentId: reception.id })
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString()

  await buildTicket(db, {
    requesterId: kuznetsova.id,
    title: 'Заменить мышь',
    categoryId: hardware.id,
    priority: 'low',
    status: 'in_progress',
    assigneeId: petrov.id,
    createdAt: hoursAgo(30),
  })
  await buildTicket(db, {
    requesterId: orlov.id,
    title: 'Не открывается МИС на посту',
    categoryId: mis.id,
    priority: 'critical',
    createdAt: hoursAgo(3),
    resolutionDueAt: hoursAgo(1),
  })
  await buildTicket(db, {
    requesterId: kuznetsova.id,
    title: 'Нет интернета в ординаторской',
    categoryId: network.id,
    status: 'waiting',
    assigneeId: sidorov.id,
    createdAt: hoursAgo(50),
  })
  await buildTicket(db, {
    requesterId: orlov.id,
    title: 'Установить сканер документов',
    categoryId: hardware.id,
    status: 'resolved',
    assigneeId: petrov.id,
    createdAt: hoursAgo(80),
  })
  const foreign = await buildTicket(db, {
    requesterId: orlov.id,
    title: 'Сбросить пароль к почте',
    categoryId: software.id,
    status: 'closed',
    createdAt: hoursAgo(120),
  })
  await buildTicket(db, {
    requesterId: ivanova.id,
    title: 'Не печатает принтер в ординаторской',
    description: 'HP LaserJet в 214 кабинете пишет «замятие бумаги», хотя бумаги внутри нет.',
    categoryId: printers.id,
    priority: 'high',
    createdAt: hoursAgo(0.2),
  })
  return { foreignTicketId: foreign.id }
}
