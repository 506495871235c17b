import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { addMessage } from '#src/tickets/add-message.ts'
import { actorFromUser } from '#src/users/actor.ts'
import type { Language } from '#src/web/i18n.ts'
import { inLanguage, t } from '#src/web/i18n.ts'
import { seriousViolations } from '../support/axe.ts'
import { desktop, openPage, phone, runJourneys, screenshot, signInAs } from '../support/browser.ts'
import { buildCategory, buildUser } from '../support/factories.ts'
import { buildSignInUser, useJourneyServer } from '../support/journey.ts'
import { buildTicket } from '../support/ticket-factory.ts'

/**
 * Linking and merging on the ticket page (issue 13), in both languages: a curator marks a ticket as a duplicate of
 * the same nurse's earlier one (confirmed in the browser's dialog), finds its text and messages on the ticket that
 * stays marked «из заявки № N», adds a child ticket there; the page passes axe on a desk and on a phone. An admin
 * then undoes the merge from the journal, and the duplicate is open again.
 */

const TITLES = {
  survivor: 'Не печатает принтер в ординаторской',
  duplicate: 'Принтер так и не печатает',
  child: 'Заменить картридж в ординаторской',
} as const

describe.each(['ru', 'en'] as const)('linking and merging tickets in %s, in chromium', (language) => {
  const journeyServer = useJourneyServer((db) => seed(db, language))
  const journey = `merge-${language}`
  const l = (text: string, params?: Record<string, string | number>) => inLanguage(language, () => t(text, params))

  test.runIf(runJourneys)(
    'a duplicate merged, its conversation on the other ticket, a child linked; the merge undone from the journal',
    async () => {
      const { base, browser, running } = journeyServer()
      const db = running.db
      const ids = await ticketIds(db)
      const { page, expectClean } = await openPage(browser, desktop)
      await signInAs(page, base, 'svyazova')

      // 1. The duplicate's page: «Связанные заявки», and the merge folded away behind a confirmation.
      await page.goto(`${base}/tickets/${ids.duplicate}`)
      const links = page.locator('#ticket-links')
      await links.getByRole('heading', { name: l('Связанные заявки') }).waitFor()
      expect(await links.textContent()).toContain(l('Связей нет.'))
      await links.getByText(l('Это дубликат другой заявки…')).click()
      await links.getByLabel(l('Дубликат заявки №')).fill(String(ids.survivor))
      await page.evaluate('window.scrollTo(0, 0)')
      await screenshot(page, journey, '01-duplicate-of')
      page.once('dialog', (dialog) => void dialog.accept())
      await links.getByRole('button', { name: l('Объединить') }).click()
      await links.getByText(l('Заявка объединена с заявкой')).waitFor()
      expect(page.url()).toBe(`${base}/tickets/${ids.duplicate}`)
      expect(await page.locator('#ticket-timeline').textContent()).toContain(
        l('объединил(а) с заявкой № {id}: эта заявка — дубликат', { id: ids.survivor }),
      )

      // 2. The ticket that stays: the duplicate's text and message, marked; the undo offered for a day.
      await links
        .getByRole('link', { name: `№ ${ids.survivor}` })
        .first()
        .click()
      await page.waitForURL(`${base}/tickets/${ids.survivor}`)
      const timeline = page.locator('#ticket-timeline')
      await timeline
        .getByText(l('из заявки № {id}', { id: ids.duplicate }))
        .first()
        .waitFor()
      expect(await timeline.textContent()).toContain('Кабинет 214, картридж меняли на прошлой неделе')
      expect(await timeline.locator('.badge', { hasText: l('из заявки № {id}', { id: ids.duplicate }) }).count()).toBe(
        2,
      )
      await links.getByRole('button', { name: l('Отменить объединение') }).waitFor()

      // 3. A child ticket linked from here.
      await links.getByLabel(l('Связать с заявкой №')).fill(String(ids.child))
      await links.getByLabel(l('Вид связи')).selectOption('child')
      await links.getByRole('button', { name: l('Связать'), exact: true }).click()
      await timeline.getByText(l('добавил(а) дочернюю заявку № {id}', { id: ids.child })).waitFor()
      expect(await links.textContent()).toContain(TITLES.child)
      await screenshot(page, journey, '02-survivor-linked')
      expect(await seriousViolations(page)).toEqual([])

      // 4. On a phone, the same page.
      const small = await openPage(browser, phone)
      await signInAs(small.page, base, 'svyazova')
      await small.page.goto(`${base}/tickets/${ids.survivor}`)
      await small.page
        .locator('#ticket-links')
        .getByRole('heading', { name: l('Связанные заявки') })
        .waitFor()
      await screenshot(small.page, journey, '03-survivor-phone')
      expect(await seriousViolations(small.page)).toEqual([])

      // 5. The admin undoes the merge from the journal.
      const admin = await openPage(browser, desktop)
      await signInAs(admin.page, base, 'zhurnalova')
      await admin.page.goto(`${base}/audit?action=ticket.merge`)
      const undo = admin.page.getByRole('button', { name: l('Отменить объединение') })
      await undo.waitFor()
      await screenshot(admin.page, journey, '04-journal-undo')
      expect(await seriousViolations(admin.page)).toEqual([])
      await undo.click()
      await admin.page.waitForURL(`${base}/audit`)
      expect(await status(db, ids.duplicate)).toEqual({ status: 'new', merged_into_id: null })
      await admin.page.goto(`${base}/tickets/${ids.survivor}`)
      await admin.page
        .locator('#ticket-links')
        .getByRole('heading', { name: l('Связанные заявки') })
        .waitFor()
      expect(await admin.page.locator('#ticket-timeline').textContent()).not.toContain(
        l('из заявки № {id}', { id: ids.duplicate }),
      )
      await screenshot(admin.page, journey, '05-undone')
      const phoneUndone = await openPage(browser, phone)
      await signInAs(phoneUndone.page, base, 'zhurnalova')
      await phoneUndone.page.goto(`${base}/audit?action=ticket.unmerge`)
      await phoneUndone.page.getByText('ticket.unmerge').first().waitFor()
      await screenshot(phoneUndone.page, journey, '06-journal-phone')

      expectClean()
      small.expectClean()
      admin.expectClean()
      phoneUndone.expectClean()
      await Promise.all([small.context.close(), admin.context.close(), phoneUndone.context.close()])
    },
    180_000,
  )
})

async function ticketIds(db: Db): Promise<Record<keyof typeof TITLES, number>> {
  const byTitle = async (title: string) =>
    (await db.selectFrom('tickets').select('id').where('title', '=', title).executeTakeFirstOrThrow()).id
  return {
    survivor: await byTitle(TITLES.survivor),
    duplicate: await byTitle(TITLES.duplicate),
    child: await byTitle(TITLES.child),
  }
}

async function status(db: Db, id: number) {
  return db.selectFrom('tickets').select(['status', 'merged_into_id']).where('id', '=', id).executeTakeFirstOrThrow()
}

/** A curator and an admin speaking `language`, a nurse with two tickets about one printer, and a third ticket. */
async function seed(db: Db, language: Language): Promise<void> {
  const curator = await buildSignInUser(db, 'svyazova', { role: 'curator', fullName: 'Связова Анна' })
  const admin = await buildSignInUser(db, 'zhurnalova', { role: 'admin', fullName: 'Журналова Вера' })
  await db.updateTable('users').set({ language }).where('id', 'in', [curator.id, admin.id]).execute()
  const nurse = await buildUser(db, { fullName: 'Заявителева Ольга' })
  const category = await buildCategory(db, { name: 'Оргтехника' })
  await buildTicket(db, { title: TITLES.survivor, requesterId: nurse.id, categoryId: category.id })
  const duplicate = await buildTicket(db, { title: TITLES.duplicate, requesterId: nurse.id, categoryId: category.id })
  await addMessage(db, actorFromUser(nurse, 'bot'), {
    ticketId: duplicate.id,
    body: 'Кабинет 214, картридж меняли на прошлой неделе',
    internal: false,
  })
  await buildTicket(db, { title: TITLES.child, categoryId: category.id })
}
