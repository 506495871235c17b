import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { hashPassword } from '#src/users/passwords.ts'
import { desktop, JOURNEY_PASSWORD, openPage, runJourneys, screenshot, signInAs } from '../support/browser.ts'
import { buildCategory, buildConsent, buildUser } from '../support/factories.ts'
import { useJourneyServer } from '../support/journey.ts'
import { buildTicket } from '../support/ticket-factory.ts'

/**
 * An action over many tickets from the list (issue 13): a curator ticks the page's fifty, picks «Назначить»
 * and a colleague, and the result page says all fifty were done; the bar shows only once something is ticked.
 */

const JOURNEY = 'bulk'

describe('the list’s action over many tickets, in chromium', () => {
  const journeyServer = useJourneyServer(seed)

  test.runIf(runJourneys)('a curator assigns fifty tickets at once', async () => {
    const server = journeyServer()
    const { page, expectClean } = await openPage(server.browser, desktop)
    await signInAs(page, server.base, 'massova')
    await page.goto(`${server.base}/tickets?assignee=none`)
    const bar = page.getByRole('form', { name: 'Действие над выбранными' })
    expect(await bar.isVisible()).toBe(false)

    await page.getByRole('checkbox', { name: 'Выбрать все на странице' }).check()
    await bar.waitFor()
    expect(await page.locator('input[name="ids"]:checked').count()).toBe(50)
    await bar.getByRole('combobox', { name: 'Действие' }).selectOption('assign')
    await bar.getByRole('combobox', { name: 'Кому назначить' }).selectOption({ label: 'Назначенцев Олег' })
    await screenshot(page, JOURNEY, '01-bar')
    await bar.getByRole('button', { name: 'Применить' }).click()

    await page.getByText('Выполнено: 50 заявок').waitFor()
    await screenshot(page, JOURNEY, '02-done')
    const assigned = await server.running.db
      .selectFrom('tickets')
      .innerJoin('users', 'users.id', 'tickets.assignee_id')
      .select('tickets.id')
      .where('users.full_name', '=', 'Назначенцев Олег')
      .execute()
    expect(assigned).toHaveLength(50)
    // Back to the list: the five left are the unassigned ones.
    await page.getByRole('link', { name: 'Вернуться к списку' }).click()
    expect(await page.locator('table.tickets tbody tr').count()).toBe(5)
    expectClean()
  })
})

/** A curator, an executor, and fifty-five new tickets nobody holds. */
async function seed(db: Db): Promise<void> {
  const curator = await buildUser(db, {
    role: 'curator',
    fullName: 'Массова Анна',
    login: 'massova',
    passwordHash: await hashPassword(JOURNEY_PASSWORD),
  })
  await buildConsent(db, curator.id)
  await buildUser(db, { role: 'executor', fullName: 'Назначенцев Олег' })
  const category = await buildCategory(db, { name: 'Принтеры' })
  for (let i = 1; i <= 55; i++) {
    await buildTicket(db, { title: `Не печатает принтер № ${i}`, categoryId: category.id })
  }
}
