import type { Page } from 'playwright-core'
import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { assignTicket } from '#src/tickets/assign-ticket.ts'
import { changeStatus } from '#src/tickets/change-status.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { actorFromUser } from '#src/users/actor.ts'
import type { Language } from '#src/web/i18n.ts'
import { inLanguage, t } from '#src/web/i18n.ts'
import { seriousViolations } from '../support/axe.ts'
import { desktop, openPage, phone, runJourneys, screenshot, signInAs } from '../support/browser.ts'
import { buildCategory, buildUser } from '../support/factories.ts'
import { buildSignInUser, useJourneyServer } from '../support/journey.ts'
import { buildTicket } from '../support/ticket-factory.ts'

/**
 * The ticket list updates itself (issue 13), in both languages: B has /tickets open, scrolled down, one row
 * ticked. A ticket is filed (through the use case, as the bot or the API would), one on the page is assigned and
 * one is resolved: the new row appears at the top marked «новая», the assigned one is replaced and marked
 * «обновлена», the resolved one stays where it was marked «изменена, не по фильтру» — and the ticked box, the
 * scroll position (the row B looked at stays put on the screen) and j/k all still work. No reload.
 */

const ON_PAGE = 40

describe.each(['ru', 'en'] as const)('the live ticket list in %s, in chromium', (language) => {
  const journeyServer = useJourneyServer((db) => seed(db, language))
  const journey = `live-list-${language}`
  const l = (text: string, params?: Record<string, string | number>) => inLanguage(language, () => t(text, params))

  test.runIf(runJourneys)(
    'new and changed rows come in marked; the ticked box and the scroll stay',
    async () => {
      const { base, browser, running } = journeyServer()
      const db = running.db
      const { page, expectClean } = await openPage(browser, desktop)
      await signInAs(page, base, 'spiskova')
      await page.goto(`${base}/tickets`)
      await page.evaluate('window.__stayed = true')
      const ids = await rowIds(page)
      expect(ids).toHaveLength(ON_PAGE)

      // Scrolled down the list, one row ticked; the row in view is the one to watch.
      const ticked = ids[12] ?? 0
      const watched = ids[20] ?? 0
      const assigned = ids[22] ?? 0
      const resolved = ids[25] ?? 0
      await page.locator(`#ticket-row-${watched}`).scrollIntoViewIfNeeded()
      await page.evaluate('window.scrollBy(0, 200)')
      await page.locator(`#ticket-row-${ticked} input[name="ids"]`).check()
      const before = await top(page, watched)

      const { requester, curator, executor } = await people(db)
      const fresh = await createTicket(db, actorFromUser(requester, 'api'), {
        title: 'Сгорел блок питания',
        description: 'Сгорел блок питания в регистратуре',
        categoryId: (await db.selectFrom('categories').select('id').executeTakeFirstOrThrow()).id,
      })
      await assignTicket(db, actorFromUser(curator, 'api'), { ticketId: assigned, assigneeId: executor.id })
      await changeStatus(db, actorFromUser(curator, 'api'), {
        ticketId: resolved,
        status: 'resolved',
        resolution: 'Заменили',
      })

      const mark = (id: number) => page.locator(`#ticket-row-${id} .title-cell`)
      await page.locator(`#ticket-row-${fresh.id} .title-cell[data-mark]`).waitFor()
      await page.locator(`#ticket-row-${resolved} .title-cell[data-mark]`).waitFor()
      await page.locator(`#ticket-row-${assigned} .title-cell[data-mark]`).waitFor()
      expect(await mark(fresh.id).getAttribute('data-mark')).toBe(l('новая'))
      expect(await mark(assigned).getAttribute('data-mark')).toBe(l('обновлена'))
      expect(await mark(resolved).getAttribute('data-mark')).toBe(l('изменена, не по фильтру'))
      expect(await page.locator(`#ticket-row-${assigned} .person-cell--assignee`).textContent()).toBe(
        'Исполнителев Пётр',
      )
      // New on top, where the list's order puts it; nothing else moved or went.
      expect((await rowIds(page)).slice(0, 2)).toEqual([fresh.id, ids[0]])
      expect(await rowIds(page)).toHaveLength(ON_PAGE + 1)

      // What B had is still there: no reload, the box ticked, the row looked at where it was on the screen.
      expect(await page.evaluate('window.__stayed === true')).toBe(true)
      expect(await page.locator(`#ticket-row-${ticked} input[name="ids"]`).isChecked()).toBe(true)
      expect(Math.abs((await top(page, watched)) - before)).toBeLessThanOrEqual(2)
      expect(await page.locator('[data-live-list]').textContent()).toBe(l('Список заявок обновлён'))
      await screenshot(page, journey, '01-marked')

      // The keys still walk the list, the new row included.
      await page.evaluate('window.scrollTo(0, 0)')
      await page.evaluate('document.activeElement.blur()')
      await page.keyboard.press('j')
      expect(await page.evaluate('document.activeElement.closest("tr").id')).toBe(`ticket-row-${fresh.id}`)
      expect(await seriousViolations(page)).toEqual([])

      // On a phone: the same marks.
      const small = await openPage(browser, phone)
      await signInAs(small.page, base, 'spiskova')
      await small.page.goto(`${base}/tickets`)
      await small.page.locator('.tickets--list').waitFor()
      // The list's stream is open once it has told the page where it starts.
      await small.page.waitForTimeout(1_000)
      const second = await createTicket(db, actorFromUser(requester, 'api'), {
        title: 'Не включается монитор',
        description: 'Не включается монитор на посту',
        categoryId: (await db.selectFrom('categories').select('id').executeTakeFirstOrThrow()).id,
      })
      await small.page.locator(`#ticket-row-${second.id} .title-cell[data-mark]`).waitFor()
      expect(await seriousViolations(small.page)).toEqual([])
      await screenshot(small.page, journey, '02-marked-phone')

      expectClean()
      small.expectClean()
      await small.context.close()
    },
    180_000,
  )
})

async function rowIds(page: Page): Promise<number[]> {
  const ids = await page.locator('table.tickets--list tbody tr').evaluateAll((rows) => rows.map((row) => row.id))
  return ids.map((id) => Number(id.replace('ticket-row-', '')))
}

/** Where a row is on the screen now (its top, in CSS pixels from the viewport's). */
async function top(page: Page, id: number): Promise<number> {
  const box = await page.locator(`#ticket-row-${id}`).boundingBox()
  if (!box) throw new Error(`row ${id} is not on the page`)
  return box.y
}

async function people(db: Db) {
  const byLogin = (login: string) =>
    db.selectFrom('users').selectAll().where('login', '=', login).executeTakeFirstOrThrow()
  return {
    requester: await byLogin('zayavitel'),
    curator: await byLogin('spiskova'),
    executor: await byLogin('ispolnitel'),
  }
}

/** A curator speaking `language`, an executor, a requester, and the open tickets of one page. */
async function seed(db: Db, language: Language): Promise<void> {
  const curator = await buildSignInUser(db, 'spiskova', { role: 'curator', fullName: 'Спискова Анна' })
  await db.updateTable('users').set({ language }).where('id', '=', curator.id).execute()
  await buildUser(db, { role: 'executor', fullName: 'Исполнителев Пётр', login: 'ispolnitel' })
  const requester = await buildUser(db, { fullName: 'Заявителева Ольга', login: 'zayavitel' })
  const category = await buildCategory(db, { name: 'Оргтехника' })
  const start = Date.parse('2026-01-10T08:00:00.000Z')
  for (let i = 0; i < ON_PAGE; i++) {
    await buildTicket(db, {
      title: `Заявка для списка № ${i + 1}`,
      categoryId: category.id,
      requesterId: requester.id,
      status: 'in_progress',
      createdAt: new Date(start + i * 60_000).toISOString(),
    })
  }
}
