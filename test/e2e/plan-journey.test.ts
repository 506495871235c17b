import type { Page } from 'playwright-core'
import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { seriousViolations } from '../support/axe.ts'
import { desktop, openPage, runJourneys, screenshot, signInAs } from '../support/browser.ts'
import { buildCategory, buildGroup } from '../support/factories.ts'
import { buildSignInUser, inLanguageOf, LANGUAGES, useJourneyServer } from '../support/journey.ts'

/**
 * «Плановые работы» (issue 14), in Russian and in English: a curator makes «Обход картриджей» on the 1st of every
 * month at 09:00, sees the next five runs before saving, saves, presses «Запустить сейчас», and finds the ticket in
 * the group's queue. axe-core on the form and on the plan's page; screenshots in test-results/screenshots/plans/.
 */

const JOURNEY = 'plans'
const SLOW = 60_000
const GROUP = 'Картриджи и принтеры'
const CATEGORY = 'Расходные материалы'

const logins = { ru: 'planova', en: 'planner' } as const
const titles = { ru: 'Обход картриджей', en: 'Обход картриджей (en)' } as const

async function axeProblems(page: Page, where: string): Promise<string[]> {
  return (await seriousViolations(page)).map((v) => `${where}: ${v.rule} (${v.impact}) at ${v.targets.join(', ')}`)
}

describe('recurring work in chromium', () => {
  const journeyServer = useJourneyServer(seed)

  for (const language of LANGUAGES) {
    const t = inLanguageOf(language)
    test.runIf(runJourneys)(
      `${language}: a curator makes a monthly plan, sees its next runs, runs it now: the ticket is in the group's queue`,
      async () => {
        const server = journeyServer()
        const { page, context, expectClean } = await openPage(server.browser, desktop)
        await signInAs(page, server.base, logins[language])

        await page
          .getByRole('navigation')
          .getByRole('link', { name: t('Плановые работы') })
          .click()
        await page.getByRole('link', { name: t('Новая плановая работа') }).click()
        await page.locator('input[name="title"]').fill(titles[language])
        await page.locator('textarea[name="description"]').fill('Заменить картриджи во всех отделениях ({{месяц}})')
        await page.locator('select[name="category_id"]').selectOption({ label: CATEGORY })
        await page.locator('select[name="group_id"]').selectOption({ label: GROUP })
        await page.getByLabel(t('Раз в месяц'), { exact: true }).check()
        await page.locator('input[name="day"]').fill('1')
        await page.locator('input[name="time"]').fill('09:00')
        // The schedule changed: htmx brings the next five runs before anything is saved.
        const preview = page.locator('#plan-preview')
        await preview.getByText(t('{day}-го числа каждого месяца в {time}', { day: 1, time: '09:00' })).waitFor()
        const runs = await preview.locator('li').allTextContents()
        expect(runs).toHaveLength(5)
        expect(runs.every((run) => /^01\.\d\d\.\d{4} 09:00$/.test(run.trim()))).toBe(true)
        expect(await axeProblems(page, `/plans/new ${language}`)).toEqual([])
        await screenshot(page, JOURNEY, `00-form-${language}`)

        await page.getByRole('button', { name: t('Создать плановую работу') }).click()
        await page.getByText(t('Плановая работа создана')).waitFor()
        await page
          .getByText(runs[0]?.trim() ?? '')
          .first()
          .waitFor()
        expect(await axeProblems(page, `/plans/:id ${language}`)).toEqual([])

        await page.getByRole('button', { name: t('Запустить сейчас') }).click()
        await page.getByText(t('Заявка создана и направлена группе')).waitFor()
        const ticketLink = page.locator('#runs a[href^="/tickets/"]').first()
        await ticketLink.waitFor()
        await screenshot(page, JOURNEY, `01-ran-${language}`)

        await page.getByRole('link', { name: t('Заявки группы «{name}»', { name: GROUP }) }).click()
        await page.getByRole('link', { name: titles[language] }).first().waitFor()
        await screenshot(page, JOURNEY, `02-queue-${language}`)
        expectClean()
        await context.close()
      },
      SLOW,
    )
  }
})

/** A curator for each language, the group and the category of the round. */
async function seed(db: Db): Promise<void> {
  await buildSignInUser(db, logins.ru, { role: 'curator', fullName: 'Планова Анна Сергеевна' })
  const english = await buildSignInUser(db, logins.en, { role: 'curator', fullName: 'Планер Иван' })
  await db.updateTable('users').set({ language: 'en' }).where('id', '=', english.id).execute()
  const group = await buildGroup(db, GROUP)
  await buildCategory(db, { name: CATEGORY, defaultGroupId: group.id })
}
