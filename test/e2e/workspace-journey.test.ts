import { readFileSync } from 'node:fs'
import { sql } from 'kysely'
import type { Download, Page } from 'playwright-core'
import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { localDay } from '#src/format/zone-days.ts'
import type { Language } from '#src/web/i18n.ts'
import { desktop, openPage, phone, runJourneys, screenshot, signInAs } from '../support/browser.ts'
import { buildCategory, buildDepartment, buildUser } from '../support/factories.ts'
import { buildSignInUser, inLanguageOf, LANGUAGES, useJourneyServer } from '../support/journey.ts'
import { buildTicket } from '../support/ticket-factory.ts'

/**
 * The executor's list as the issue 13 found it wrong, in both languages: a ticket filed at 01:51 by Moscow time
 * is under its Moscow day in the «Создана» filter; a surname finds the tickets its person filed, the words marked,
 * the best matches first on request; a list of 100 000 tickets exports whole, prepared in the background.
 */

/**
 * The rows exported: a hundred thousand once (in Russian); in English the same background path at a
 * smaller list (its limit lowered), for the pages' words, not for the volume again.
 */
const EXPORTED: Record<Language, number> = { ru: 100_000, en: 1_500 }
const STREAM_LIMIT: Record<Language, number | undefined> = { ru: undefined, en: 1_000 }
const TZ = 'Europe/Moscow'

describe.each(LANGUAGES)('the workspace list in %s, in chromium', (language) => {
  const journeyServer = useJourneyServer((db) => seed(db, language), {
    workerEnabled: true,
    exportStreamLimit: STREAM_LIMIT[language],
  })
  const journey = `workspace-${language}`
  const l = inLanguageOf(language)

  test.runIf(runJourneys)(
    'a night ticket under its own day; a surname found, marked, the best first',
    async () => {
      const { base, browser, running } = journeyServer()
      const { page, expectClean } = await openPage(browser, desktop)
      await signInAs(page, base, 'poiskova')

      // Filed at 01:51 Moscow time two days ago: 22:51 UTC the day before. The filter counts Moscow days.
      const night = await nightTicket(running.db)
      await page.goto(`${base}/tickets?status=all&from=${night.day}&to=${night.day}`)
      await page.getByRole('heading', { name: l('Заявки'), level: 1 }).waitFor()
      const rows = page.locator('table.tickets tbody tr')
      expect(await rows.locator('a.ticket-link').allTextContents()).toEqual(['Ночью упала сеть в реанимации'])
      expect(await rows.first().locator('time').getAttribute('title')).toContain('01:51')
      await page.goto(`${base}/tickets?status=all&from=${night.dayBefore}&to=${night.dayBefore}`)
      expect(await rows.locator('a.ticket-link').allTextContents()).not.toContain('Ночью упала сеть в реанимации')
      await screenshot(page, journey, '01-night-day')

      // The surname, in another form, typed into the search: her three tickets, her name marked.
      await page.goto(`${base}/tickets?status=all`)
      await page.locator('[data-search]').fill('Емельяновой')
      await page.locator('[data-search]').press('Enter')
      await page.waitForURL(/q=/)
      await page.getByText(l('Найдено: {n}', { n: language === 'en' ? '3 tickets' : '3 заявки' })).waitFor()
      expect(await page.locator('td.person-cell mark').first().textContent()).toBe('Емельянова')

      // Two words: the ticket of hers about a cartridge; the word marked in the title.
      await page.locator('[data-search]').fill('картридж Емельянова')
      await page.locator('[data-search]').press('Enter')
      await page.waitForURL(/q=%D0%BA%D0%B0%D1%80%D1%82%D1%80%D0%B8%D0%B4%D0%B6/)
      await page.locator('a.ticket-link', { hasText: 'Картридж закончился' }).waitFor()
      expect(await rows.count()).toBe(1)
      expect(await page.locator('a.ticket-link mark').textContent()).toBe('Картридж')

      // «картридж» alone: by number the newest first, then the best matches first (the word in the title).
      await page.locator('[data-search]').fill('картридж')
      await page.locator('[data-search]').press('Enter')
      await page.waitForURL((url) => url.searchParams.get('q') === 'картридж')
      const titles = () => rows.locator('a.ticket-link').allTextContents()
      await page.locator('a.ticket-link', { hasText: 'Заменить тонер' }).waitFor()
      expect((await titles())[0]).toBe('Заменить тонер')
      await page.getByRole('link', { name: l('Сначала самые подходящие') }).click()
      await page.waitForURL(/sort=relevance/)
      await page.getByRole('link', { name: l('Сначала новые') }).waitFor()
      expect((await titles())[0]).toMatch(/^Картридж/)
      expect(await page.locator('.title-cell .sub mark').first().textContent()).toMatch(/^картридж/i)
      await screenshot(page, journey, '02-search-relevance')

      const small = await openPage(browser, phone)
      await signInAs(small.page, base, 'poiskova')
      await small.page.goto(page.url())
      await small.page.locator('a.ticket-link', { hasText: 'Картридж' }).first().waitFor()
      await screenshot(small.page, journey, '03-search-phone')
      small.expectClean()
      expectClean()
    },
    60_000,
  )

  test.runIf(runJourneys)(
    `a list of ${EXPORTED[language]} tickets exports whole, prepared in the background`,
    async () => {
      const { base, browser, running } = journeyServer()
      const total = Number(
        (
          await running.db
            .selectFrom('tickets')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      )
      expect(total).toBeGreaterThan(EXPORTED[language])
      const { page, expectClean } = await openPage(browser, desktop)
      await signInAs(page, base, 'poiskova')
      await page.goto(`${base}/tickets?status=all`)
      await page.getByText(l('Найдено: более {n} заявок', { n: '1 000' })).waitFor()

      // Past the limit (50 000 rows by default) the file is written by the worker: a page waits for it, then offers it.
      await page.getByRole('link', { name: l('Выгрузить CSV') }).click()
      await page.getByRole('heading', { name: l('Выгрузка готовится…') }).waitFor()
      await screenshot(page, journey, '04-export-waiting')
      await page.getByRole('heading', { name: l('Выгрузка готова') }).waitFor({ timeout: 90_000 })
      await screenshot(page, journey, '05-export-ready')
      const file = await download(page, l('Скачать'))
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n')
      expect(lines).toHaveLength(total + 1)
      expect(lines[0]).toMatch(/^\ufeff№;Заголовок;/)
      expectClean()
    },
    180_000,
  )
})

async function download(page: Page, link: string): Promise<string> {
  const [file]: [Download, unknown] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: link }).click(),
  ])
  const saved = await file.path()
  if (!saved) throw new Error('the download was not saved')
  return saved
}

/** A ticket filed at 01:51 Moscow time two days ago, and the Moscow days it is and is not under. */
async function nightTicket(db: Db): Promise<{ day: string; dayBefore: string }> {
  const row = await db
    .selectFrom('tickets')
    .select('created_at')
    .where('title', '=', 'Ночью упала сеть в реанимации')
    .executeTakeFirstOrThrow()
  const day = localDay(row.created_at, TZ)
  return { day, dayBefore: localDay(new Date(Date.parse(row.created_at) - 86_400_000).toISOString(), TZ) }
}

/**
 * 01:51 Moscow time (UTC+3) two days ago, as a UTC instant: 22:51 on the day before. Two days, not one: the other
 * tickets are filed up to 50 minutes ago, which is yesterday's Moscow day in the first hour after its midnight.
 */
function twoDaysAgoAt0151(): string {
  const day = localDay(new Date(Date.now() - 2 * 86_400_000).toISOString(), TZ)
  return new Date(`${day}T01:51:00+03:00`).toISOString()
}

/** A curator who searches; Емельянова's tickets; a night ticket; and a hundred thousand more to export. */
async function seed(db: Db, language: Language): Promise<void> {
  const curator = await buildSignInUser(db, 'poiskova', { role: 'curator', fullName: 'Поискова Вера' })
  await db.updateTable('users').set({ language }).where('id', '=', curator.id).execute()
  const therapy = await buildDepartment(db, 'Терапия')
  const filer = await buildUser(db, { fullName: 'Емельянова Алла Петровна', departmentId: therapy.id })
  const other = await buildUser(db, { fullName: 'Бухгалтер Иванова' })
  const category = await buildCategory(db, { name: 'Печать' })
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString()
  const file = (requesterId: number, title: string, description: string, minutesAgo: number) =>
    buildTicket(db, { requesterId, categoryId: category.id, title, description, createdAt: at(minutesAgo) })
  // The word in the title, older; in the description only, newer: the two orders differ.
  await file(filer.id, 'Картридж закончился', 'Нужен новый картридж в 214', 50)
  await file(filer.id, 'Не печатает принтер', 'Замятие бумаги', 40)
  await file(filer.id, 'Монитор мерцает', 'С утра', 30)
  await file(other.id, 'Заменить тонер', 'В бухгалтерии кончился картридж', 20)
  await buildTicket(db, {
    requesterId: other.id,
    categoryId: category.id,
    title: 'Ночью упала сеть в реанимации',
    description: 'Нет связи с МИС',
    createdAt: twoDaysAgoAt0151(),
  })
  const filler = await buildTicket(db, {
    requesterId: other.id,
    categoryId: category.id,
    title: 'Плановая проверка',
    description: 'Всё работает',
    status: 'closed',
    createdAt: at(60 * 24 * 30),
  })
  await copies(db, filler.id, EXPORTED[language])
}

/** `count` copies of a ticket, in one statement (the export reads the tickets table alone). */
async function copies(db: Db, ticketId: number, count: number): Promise<void> {
  const columns = (await sql<{ name: string }>`select name from pragma_table_info('tickets')`.execute(db)).rows
    .map((c) => c.name)
    .filter((name) => name !== 'id')
  const list = sql.join(columns.map((c) => sql.ref(c)))
  await sql`insert into tickets (${list})
    with recursive n(i) as (select 1 union all select i + 1 from n where i < ${count})
    select ${list} from tickets, n where tickets.id = ${ticketId}`.execute(db)
}
