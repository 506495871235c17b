import type { Page } from 'playwright-core'
import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { seriousViolations } from '../support/axe.ts'
import { desktop, openPage, phone, runJourneys, screenshot, signInAs } from '../support/browser.ts'
import { buildCategory, buildUser } from '../support/factories.ts'
import { buildSignInUser, useJourneyServer } from '../support/journey.ts'
import { buildTicket } from '../support/ticket-factory.ts'

/**
 * Saved views (issue 13): an executor filters the list by a category and saves it as «Принтеры»; the view is in
 * the list's navigation, after the four ready ones, with its count, and opens the same list again. A curator
 * saves a shared view of the critical tickets, which the executor then sees beside their own — and a colleague
 * with the English interface too. The list and the page of views pass axe, at 1366×768 and at 390×844.
 */

const JOURNEY = 'saved-views'

async function expectAccessible(page: Page, where: string): Promise<void> {
  const found = (await seriousViolations(page)).map(
    (v) => `${where}: ${v.rule} (${v.impact}) at ${v.targets.join(', ')}`,
  )
  expect(found).toEqual([])
}

/** The list's navigation of views (the four ready ones, then the saved ones). */
const viewsNav = (page: Page) => page.getByRole('navigation', { name: /Готовые представления|Ready views/ })

describe('saved views of the list, in chromium', () => {
  const journeyServer = useJourneyServer(seed)

  test.runIf(runJourneys)(
    'an executor saves a filter as a view and opens it from the navigation; a curator shares one they then see',
    { timeout: 120_000 },
    async () => {
      const { base, browser, running } = journeyServer()
      const executor = await openPage(browser, desktop)
      const curator = await openPage(browser, desktop)
      const english = await openPage(browser, phone)
      try {
        const page = executor.page
        await signInAs(page, base, 'filtrov')
        await page.goto(`${base}/tickets`)
        await page.getByRole('heading', { name: 'Заявки', level: 1 }).waitFor()

        // Filter by the category: the list follows without a reload, the address too.
        await page.locator('summary.filters__summary').click()
        await page.locator('form.filters select[name="category"]').selectOption({ label: 'Принтеры' })
        await page.waitForURL(/category=/)
        await page.locator('table.tickets tbody tr').first().waitFor()
        expect(await page.locator('table.tickets tbody tr').count()).toBe(3)

        // «Сохранить вид…»: a name, and the list as it is becomes a view.
        await viewsNav(page).getByText('Сохранить вид…').click()
        const save = page.getByRole('form', { name: 'Сохранить вид списка' })
        expect(await save.getByLabel('Общий: видят все сотрудники ИТ').count()).toBe(0)
        await save.getByLabel('Название вида').fill('Принтеры')
        await screenshot(page, JOURNEY, '01-save-form')
        await save.getByRole('button', { name: 'Сохранить' }).click()
        const saved = viewsNav(page).getByRole('link', { name: 'Принтеры 3' })
        await saved.waitFor()
        expect(await saved.getAttribute('aria-current')).toBe('page')
        await screenshot(page, JOURNEY, '02-view-in-navigation')
        await expectAccessible(page, 'the list with a saved view')

        // From any list, the view opens its tickets again.
        await viewsNav(page)
          .getByRole('link', { name: /^Все открытые/ })
          .click()
        await page.waitForURL((url) => !url.search.includes('category='))
        expect(await page.locator('table.tickets tbody tr').count()).toBe(5)
        await viewsNav(page).getByRole('link', { name: 'Принтеры 3' }).click()
        await page.waitForURL(/category=/)
        expect(await page.locator('table.tickets tbody tr').count()).toBe(3)

        // A curator saves the critical tickets as a view for everyone.
        await signInAs(curator.page, base, 'kuratorova')
        await curator.page.goto(`${base}/tickets?priority=critical`)
        await viewsNav(curator.page).getByText('Сохранить вид…').click()
        const shared = curator.page.getByRole('form', { name: 'Сохранить вид списка' })
        await shared.getByLabel('Название вида').fill('Критические')
        await shared.getByLabel('Общий: видят все сотрудники ИТ').check()
        await shared.getByRole('button', { name: 'Сохранить' }).click()
        await viewsNav(curator.page).getByRole('link', { name: 'Критические 2' }).waitFor()

        // The executor sees it beside their own, with its count, and on the page of views (not to change).
        await page.goto(`${base}/tickets`)
        await viewsNav(page).getByRole('link', { name: 'Критические 2' }).click()
        await page.waitForURL(/priority=critical/)
        expect(await page.locator('table.tickets tbody tr').count()).toBe(2)
        await screenshot(page, JOURNEY, '03-shared-view-executor')
        await viewsNav(page).getByRole('link', { name: 'Виды…' }).click()
        await page.getByRole('heading', { name: 'Виды списка', level: 1 }).waitFor()
        const sharedSection = page.getByRole('region', { name: 'Общие виды' })
        await sharedSection.getByRole('link', { name: 'Критические' }).waitFor()
        expect(await sharedSection.getByRole('button', { name: 'Переименовать' }).count()).toBe(0)
        await page.getByRole('region', { name: 'Мои виды' }).getByRole('link', { name: 'Принтеры' }).waitFor()
        await screenshot(page, JOURNEY, '04-views-page')
        await expectAccessible(page, 'the page of views')

        // The executor renames their own view there.
        const own = page.getByRole('region', { name: 'Мои виды' })
        await own.getByLabel('Новое название: Принтеры').fill('Принтеры и МФУ')
        await own.getByRole('button', { name: 'Переименовать' }).click()
        await page.getByText('Изменения сохранены').waitFor()
        const names = await running.db.selectFrom('saved_views').select(['name', 'shared']).orderBy('id').execute()
        expect(names).toEqual([
          { name: 'Принтеры и МФУ', shared: 0 },
          { name: 'Критические', shared: 1 },
        ])

        // A colleague with the English interface, on a phone: the shared view, not the executor's own.
        await signInAs(english.page, base, 'colleague')
        await english.page.goto(`${base}/tickets`)
        await viewsNav(english.page).getByRole('link', { name: 'Критические 2' }).waitFor()
        expect(
          await viewsNav(english.page)
            .getByRole('link', { name: /Принтеры/ })
            .count(),
        ).toBe(0)
        await screenshot(english.page, JOURNEY, '05-phone-english-list')
        await expectAccessible(english.page, 'the list on a phone, in English')
        await english.page.goto(`${base}/tickets/views`)
        await english.page.getByRole('heading', { name: 'List views', level: 1 }).waitFor()
        await screenshot(english.page, JOURNEY, '06-phone-english-views')
        await expectAccessible(english.page, 'the page of views on a phone, in English')

        for (const open of [executor, curator, english]) open.expectClean()
      } finally {
        await Promise.all([executor.context.close(), curator.context.close(), english.context.close()])
      }
    },
  )
})

/** An executor, a curator, an English-speaking executor; five open tickets, three of them printers, two critical. */
async function seed(db: Db): Promise<void> {
  await buildSignInUser(db, 'filtrov', { role: 'executor', fullName: 'Фильтров Илья' })
  await buildSignInUser(db, 'kuratorova', { role: 'curator', fullName: 'Кураторова Анна' })
  const colleague = await buildSignInUser(db, 'colleague', { role: 'executor', fullName: 'Colleague John' })
  await db.updateTable('users').set({ language: 'en' }).where('id', '=', colleague.id).execute()
  const printers = await buildCategory(db, { name: 'Принтеры' })
  const network = await buildCategory(db, { name: 'Сеть' })
  const nurse = await buildUser(db, { fullName: 'Медсестрова Мария' })
  const ticket = (title: string, categoryId: number, priority: 'normal' | 'critical' = 'normal') =>
    buildTicket(db, { requesterId: nurse.id, categoryId, title, priority })
  await ticket('Замятие бумаги в приёмном', printers.id)
  await ticket('Не печатает в реанимации', printers.id, 'critical')
  await ticket('Картридж закончился', printers.id)
  await ticket('Нет сети в операционной', network.id, 'critical')
  await ticket('Медленный Wi-Fi', network.id)
  await buildTicket(db, { requesterId: nurse.id, categoryId: printers.id, title: 'Старая, закрыта', status: 'closed' })
}
