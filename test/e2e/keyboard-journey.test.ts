import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { hashPassword } from '#src/users/passwords.ts'
import type { Language } from '#src/web/i18n.ts'
import { desktop, JOURNEY_PASSWORD, openPage, phone, runJourneys, screenshot, signInAs } from '../support/browser.ts'
import { buildCategory, buildConsent, buildGroup, buildUser } from '../support/factories.ts'
import { inLanguageOf, LANGUAGES, useJourneyServer } from '../support/journey.ts'
import { buildTicket } from '../support/ticket-factory.ts'

/**
 * Triage by keyboard alone (issue 13): an executor goes down the list with j, opens a ticket with Enter, takes it
 * with a, leaves an internal note with n and Ctrl+Enter, and comes back for the next one, ten times; `?` lists
 * the keys; a key typed into a field is only a letter there.
 */

const COUNT = 10

describe.each(LANGUAGES)('the keys of the list and the ticket, in chromium (%s)', (language) => {
  const journeyServer = useJourneyServer((db) => seed(db, language))
  const JOURNEY = `keyboard-${language}`
  const l = inLanguageOf(language)

  test.runIf(runJourneys)(
    `an executor triages ${COUNT} new tickets without the mouse`,
    async () => {
      const server = journeyServer()
      const { page, expectClean } = await openPage(server.browser, desktop)
      await signInAs(page, server.base, 'klavishin')
      const list = `${server.base}/tickets?assignee=none`

      await page.goto(list)
      await page.waitForLoadState('load')
      // A letter typed in the search field stays a letter there.
      await page.keyboard.press('/')
      await page.keyboard.type('jk')
      expect(await page.locator('[data-search]').inputValue()).toBe('jk')
      expect(await page.locator('tr.is-current').count()).toBe(0)
      // Tab leaves the field: the keys are the page's again.
      await page.keyboard.press('Tab')

      // `?` shows the keys; Escape closes the dialog.
      await page.keyboard.press('?')
      const help = page.getByRole('dialog', { name: l('Клавиши') })
      await help.waitFor()
      expect(await help.textContent()).toContain(l('взять в работу'))
      await screenshot(page, JOURNEY, '01-keys')
      await page.keyboard.press('Escape')
      await help.waitFor({ state: 'hidden' })

      const titles = await page.locator('table.tickets tbody a.ticket-link').allTextContents()
      expect(titles).toHaveLength(COUNT)
      for (const title of titles) {
        await page.goto(list)
        await page.waitForLoadState('load')
        // What is taken leaves the unassigned list: the next one is always first.
        await page.keyboard.press('j')
        expect(await page.locator('tr.is-current a.ticket-link').textContent()).toBe(title)
        await page.keyboard.press('Enter')
        await page.getByRole('heading', { name: title }).waitFor()
        // The page's script is deferred: keys are its once the page has loaded (a person's first key is later).
        await page.waitForLoadState('load')
        await page.keyboard.press('a')
        await page.locator('.ticket-head .status--in_progress').waitFor()
        await page.waitForLoadState('load')
        await page.keyboard.press('n')
        expect(await page.locator('#kind-internal').isChecked()).toBe(true)
        await page.keyboard.type('Проверено с клавиатуры')
        await page.keyboard.press('Control+Enter')
        await page.locator('.msg--internal', { hasText: 'Проверено с клавиатуры' }).waitFor()
      }
      await screenshot(page, JOURNEY, '02-last-ticket')

      const rows = await server.running.db
        .selectFrom('tickets')
        .innerJoin('users', 'users.id', 'tickets.assignee_id')
        .select(['tickets.id', 'tickets.status'])
        .where('users.login', '=', 'klavishin')
        .execute()
      expect(rows).toHaveLength(COUNT)
      expect(rows.every((row) => row.status === 'in_progress')).toBe(true)
      const notes = await server.running.db
        .selectFrom('ticket_messages')
        .select('ticket_id')
        .where('kind', '=', 'internal')
        .where('body', '=', 'Проверено с клавиатуры')
        .execute()
      expect(new Set(notes.map((n) => n.ticket_id)).size).toBe(COUNT)
      expectClean()

      // On a phone the keys' list fits the screen.
      const small = await openPage(server.browser, phone)
      await signInAs(small.page, server.base, 'klavishin')
      await small.page.goto(`${server.base}/tickets`)
      await small.page.waitForLoadState('load')
      await small.page.keyboard.press('?')
      const smallHelp = small.page.getByRole('dialog', { name: l('Клавиши') })
      await smallHelp.waitFor()
      const box = await smallHelp.boundingBox()
      expect(box !== null && box.x >= 0 && box.x + box.width <= phone.width).toBe(true)
      await screenshot(small.page, JOURNEY, '03-keys-phone')
      small.expectClean()
    },
    90_000,
  )
})

/** An executor of the desktop group (speaking this language) and ten new tickets waiting in it. */
async function seed(db: Db, language: Language): Promise<void> {
  const passwordHash = await hashPassword(JOURNEY_PASSWORD)
  const executor = await buildUser(db, {
    role: 'executor',
    fullName: 'Клавишин Сидоров',
    login: 'klavishin',
    passwordHash,
  })
  await db.updateTable('users').set({ language }).where('id', '=', executor.id).execute()
  await buildConsent(db, executor.id)
  const desk = await buildGroup(db, 'Рабочие места', [executor.id])
  const category = await buildCategory(db, { name: 'Компьютеры', defaultGroupId: desk.id })
  const requester = await buildUser(db, { fullName: 'Медсестра Терапии' })
  for (let i = 1; i <= COUNT; i++) {
    await buildTicket(db, {
      title: `Не включается компьютер № ${i}`,
      requesterId: requester.id,
      categoryId: category.id,
      createdAt: new Date(Date.now() - i * 60_000).toISOString(),
    })
  }
}
