import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { hashPassword } from '#src/users/passwords.ts'
import { inLanguage, type Language, t, tn } from '#src/web/i18n.ts'
import { desktop, JOURNEY_PASSWORD, openPage, phone, runJourneys, screenshot, signInAs } from '../support/browser.ts'
import { buildCategory, buildConsent, buildUser } from '../support/factories.ts'
import { inLanguageOf, LANGUAGES, useJourneyServer } from '../support/journey.ts'
import { buildTicket } from '../support/ticket-factory.ts'

/**
 * An action over many tickets from the list (issue 13): a curator ticks the page's fifty, picks «Назначить»
 * and a colleague, and the result page says all fifty were done; the bar shows only once something is ticked.
 */

describe.each(LANGUAGES)('the list’s action over many tickets, in chromium (%s)', (language) => {
  const journeyServer = useJourneyServer((db) => seed(db, language))
  const JOURNEY = `bulk-${language}`
  const l = inLanguageOf(language)

  test.runIf(runJourneys)(
    'a curator assigns fifty tickets at once',
    async () => {
      const server = journeyServer()
      const { page, expectClean } = await openPage(server.browser, desktop)
      await signInAs(page, server.base, 'massova')
      await page.goto(`${server.base}/tickets?assignee=none`)
      const bar = page.getByRole('form', { name: l('Действие над выбранными') })
      expect(await bar.isVisible()).toBe(false)

      await page.getByRole('checkbox', { name: l('Выбрать все на странице') }).check()
      await bar.waitFor()
      expect(await page.locator('input[name="ids"]:checked').count()).toBe(50)
      await bar.getByRole('combobox', { name: l('Действие'), exact: true }).selectOption('assign')
      await bar.getByRole('combobox', { name: l('Кому назначить') }).selectOption({ label: 'Назначенцев Олег' })
      await screenshot(page, JOURNEY, '01-bar')
      await bar.getByRole('button', { name: l('Применить') }).click()

      const done = inLanguage(language, () =>
        t('Выполнено: {n}', { n: tn(50, ['заявка', 'заявки', 'заявок'], ['ticket', 'tickets']) }),
      )
      await page.getByText(done).waitFor()
      await screenshot(page, JOURNEY, '02-done')
      const assigned = await server.running.db
        .selectFrom('tickets')
        .innerJoin('users', 'users.id', 'tickets.assignee_id')
        .select('tickets.id')
        .where('users.full_name', '=', 'Назначенцев Олег')
        .execute()
      expect(assigned).toHaveLength(50)
      // Back to the list: the five left are the unassigned ones.
      await page.getByRole('link', { name: l('Вернуться к списку') }).click()
      // Counted once the list has loaded: right after the click the result page may still be the one shown.
      await page.waitForURL((url) => url.pathname === '/tickets')
      expect(await page.locator('table.tickets tbody tr').count()).toBe(5)
      expectClean()

      // On a phone the list is cards, without ticking: the bar never covers the screen there.
      const small = await openPage(server.browser, phone)
      await signInAs(small.page, server.base, 'massova')
      await small.page.goto(`${server.base}/tickets?assignee=none`)
      await small.page.locator('a.ticket-link').first().waitFor()
      expect(await small.page.locator('input[name="ids"]:visible').count()).toBe(0)
      expect(await small.page.getByRole('form', { name: l('Действие над выбранными') }).isVisible()).toBe(false)
      await screenshot(small.page, JOURNEY, '03-list-phone')
      small.expectClean()
    },
    60_000,
  )
})

/** A curator (speaking this language), an executor, and fifty-five new tickets nobody holds. */
async function seed(db: Db, language: Language): Promise<void> {
  const curator = await buildUser(db, {
    role: 'curator',
    fullName: 'Массова Анна',
    login: 'massova',
    passwordHash: await hashPassword(JOURNEY_PASSWORD),
  })
  await db.updateTable('users').set({ language }).where('id', '=', curator.id).execute()
  await buildConsent(db, curator.id)
  await buildUser(db, { role: 'executor', fullName: 'Назначенцев Олег' })
  const category = await buildCategory(db, { name: 'Принтеры' })
  for (let i = 1; i <= 55; i++) {
    await buildTicket(db, { title: `Не печатает принтер № ${i}`, categoryId: category.id })
  }
}
