import type { Page } from 'playwright-core'
import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { seriousViolations } from '../support/axe.ts'
import { desktop, type OpenPage, openPage, phone, runJourneys, screenshot, signInAs } from '../support/browser.ts'
import { buildCategory, buildUser } from '../support/factories.ts'
import { buildSignInUser, useJourneyServer } from '../support/journey.ts'
import { buildTicket } from '../support/ticket-factory.ts'

/**
 * The requester's web (issue 13), in Russian and in English: a nurse with a password signs in and sees «Мои
 * заявки» — her tickets only, no staff filters, no exports; on a resolved ticket she presses «Не решено» and says
 * what is wrong; the executor reads it and resolves again; she presses «Подтверждаю» and rates the work 4 with a
 * comment, which the executor then sees. Every requester page passes axe, at 1366×768 and at 390×844.
 */

const JOURNEY = 'requester-web'

/** What the requester reads and presses, per language of her interface. */
const words = {
  ru: {
    list: 'Мои заявки',
    open: 'Открытые',
    confirm: 'Подтверждаю',
    notSolved: 'Не решено',
    whatIsWrong: 'Если не решено — что не так?',
    inWork: 'В работе',
    closed: 'Закрыта',
    rateTitle: 'Оцените работу',
    four: '4 — хорошо',
    comment: 'Комментарий (необязательно)',
    rate: 'Оценить',
    rated: '4 из 5',
  },
  en: {
    list: 'My tickets',
    open: 'Open',
    confirm: 'I confirm',
    notSolved: 'Not solved',
    whatIsWrong: 'If not solved, what is wrong?',
    inWork: 'In progress',
    closed: 'Closed',
    rateTitle: 'Rate the work',
    four: '4 — good',
    comment: 'Comment (optional)',
    rate: 'Rate',
    rated: '4 of 5',
  },
} as const
type Language = keyof typeof words

const title = (language: Language) => `Не печатает принтер в процедурной (${language})`
const othersTitle = (language: Language) => `Чужая заявка: сломан сканер (${language})`

async function expectAccessible(page: Page, where: string): Promise<void> {
  const found = (await seriousViolations(page)).map(
    (v) => `${where}: ${v.rule} (${v.impact}) at ${v.targets.join(', ')}`,
  )
  expect(found).toEqual([])
}

describe('the requester’s web, in chromium', () => {
  const journeyServer = useJourneyServer(seed)

  for (const language of ['ru', 'en'] as const) {
    test.runIf(runJourneys)(
      `${language}: «Мои заявки», «Не решено» with a reason, staff resolve again, «Подтверждаю» and a rating of 4`,
      { timeout: 120_000 },
      async () => {
        const { base, browser, running } = journeyServer()
        const w = words[language]
        const shot = (page: Page, name: string) => screenshot(page, JOURNEY, `${language}-${name}`)
        const nurse = await openPage(browser, desktop)
        const executor = await openPage(browser, desktop)
        const onPhone = await openPage(browser, phone)
        try {
          // Her list: her own tickets only, by status tabs — no staff filters, exports or ticking.
          await signInAs(nurse.page, base, `nurse-${language}`)
          await nurse.page.goto(`${base}/tickets`)
          await nurse.page.getByRole('heading', { name: w.list, level: 1 }).waitFor()
          expect(await nurse.page.getAttribute('html', 'lang')).toBe(language)
          expect(
            await nurse.page.getByRole('link', { name: new RegExp(`^${w.open} 2`) }).getAttribute('aria-current'),
          ).toBe('page')
          await nurse.page.getByRole('link', { name: title(language) }).waitFor()
          expect(await nurse.page.getByText(othersTitle(language)).count()).toBe(0)
          expect(await nurse.page.locator('form.filters, .exports, input[name="ids"], [name="assignee"]').count()).toBe(
            0,
          )
          await shot(nurse.page, '01-list-desktop')
          await expectAccessible(nurse.page, 'list')

          // The resolved ticket: «Не решено», saying what is still wrong.
          await nurse.page.getByRole('link', { name: title(language) }).click()
          await nurse.page.getByRole('heading', { name: title(language), level: 1 }).waitFor()
          await nurse.page.getByRole('button', { name: w.confirm }).waitFor()
          await shot(nurse.page, '02-resolved-desktop')
          await expectAccessible(nurse.page, 'resolved ticket')
          const ticketUrl = nurse.page.url()
          await nurse.page.getByLabel(w.whatIsWrong).fill('Печатает пустые листы')
          await nurse.page.getByRole('button', { name: w.notSolved, exact: true }).click()
          await nurse.page.locator('.ticket-head .status--in_progress').waitFor()
          expect(await nurse.page.locator('.ticket-head .status--in_progress').textContent()).toBe(w.inWork)
          expect(await nurse.page.getByRole('button', { name: w.confirm }).count()).toBe(0)
          await shot(nurse.page, '03-back-in-work-desktop')

          // The executor reads why and resolves it again.
          await signInAs(executor.page, base, `executor-${language}`)
          await executor.page.goto(ticketUrl)
          await executor.page.locator('.msg--requester').getByText('Печатает пустые листы').waitFor()
          await executor.page.getByLabel('Результат (увидит заявитель)').fill('Заменили барабан, пробная печать чистая')
          await executor.page.getByRole('button', { name: 'Решена', exact: true }).click()
          await executor.page.locator('.ticket-head .status--resolved').waitFor()

          // She confirms, and rates the work 4 with a comment; the rating form is gone once rated.
          await nurse.page.goto(ticketUrl)
          await nurse.page.getByRole('button', { name: w.confirm }).click()
          await nurse.page.locator('.ticket-head .status--closed').waitFor()
          expect(await nurse.page.locator('.ticket-head .status--closed').textContent()).toBe(w.closed)
          await nurse.page.getByRole('heading', { name: w.rateTitle }).waitFor()
          await shot(nurse.page, '04-closed-rate-desktop')
          await expectAccessible(nurse.page, 'closed ticket with the rating form')
          await nurse.page.getByLabel(w.four).check()
          await nurse.page.getByLabel(w.comment).fill('Быстро и вежливо')
          await nurse.page.getByRole('button', { name: w.rate, exact: true }).click()
          await nurse.page.locator('.ticket-head').getByText(w.rated).waitFor()
          expect(await nurse.page.getByRole('heading', { name: w.rateTitle }).count()).toBe(0)
          await shot(nurse.page, '05-rated-desktop')
          await expectAccessible(nurse.page, 'rated ticket')

          const row = await running.db
            .selectFrom('tickets')
            .select(['status', 'rating', 'rating_comment'])
            .where('title', '=', title(language))
            .executeTakeFirstOrThrow()
          expect(row).toEqual({ status: 'closed', rating: 4, rating_comment: 'Быстро и вежливо' })

          // The executor sees the rating on the ticket.
          await executor.page.goto(ticketUrl)
          await executor.page.locator('.ticket-head').getByText('4 из 5').waitFor()
          await executor.page.locator('.ticket-head').getByText('Быстро и вежливо').waitFor()

          // On a phone: the list and the ticket, the same and as accessible.
          await signInAs(onPhone.page, base, `nurse-${language}`)
          await onPhone.page.goto(`${base}/tickets?status=all`)
          await onPhone.page.getByRole('heading', { name: w.list, level: 1 }).waitFor()
          await shot(onPhone.page, '06-list-phone')
          await expectAccessible(onPhone.page, 'list on a phone')
          await onPhone.page.goto(ticketUrl)
          await onPhone.page.locator('.ticket-head').getByText(w.rated).waitFor()
          await shot(onPhone.page, '07-ticket-phone')
          await expectAccessible(onPhone.page, 'ticket on a phone')
          const resolvedOther = await running.db
            .selectFrom('tickets')
            .select('id')
            .where('title', '=', `Нет звука в ординаторской (${language})`)
            .executeTakeFirstOrThrow()
          await onPhone.page.goto(`${base}/tickets/${resolvedOther.id}`)
          await onPhone.page.getByRole('button', { name: w.confirm }).waitFor()
          await shot(onPhone.page, '08-resolved-phone')
          await expectAccessible(onPhone.page, 'resolved ticket on a phone')

          for (const open of [nurse, executor, onPhone] satisfies OpenPage[]) open.expectClean()
        } finally {
          await Promise.all([nurse.context.close(), executor.context.close(), onPhone.context.close()])
        }
      },
    )
  }
})

/** For each language: a nurse with a password and her tickets, an executor, and someone else's ticket. */
async function seed(db: Db): Promise<void> {
  const printers = await buildCategory(db, { name: 'Принтеры и МФУ' })
  for (const language of ['ru', 'en'] as const) {
    const nurse = await buildSignInUser(db, `nurse-${language}`, {
      fullName: language === 'ru' ? 'Медведева Ольга' : 'Medvedeva Olga',
      telegramChatId: null,
    })
    await db.updateTable('users').set({ language }).where('id', '=', nurse.id).execute()
    const executor = await buildSignInUser(db, `executor-${language}`, {
      role: 'executor',
      fullName: `Наладчиков Пётр (${language})`,
    })
    await buildTicket(db, {
      requesterId: nurse.id,
      categoryId: printers.id,
      title: title(language),
      status: 'resolved',
      assigneeId: executor.id,
    })
    await db
      .updateTable('tickets')
      .set({ resolution: 'Почистили ролики' })
      .where('title', '=', title(language))
      .execute()
    await buildTicket(db, {
      requesterId: nurse.id,
      categoryId: printers.id,
      title: `Нет звука в ординаторской (${language})`,
      status: 'resolved',
      assigneeId: executor.id,
    })
    await buildTicket(db, {
      requesterId: nurse.id,
      categoryId: printers.id,
      title: `Старая мышь (${language})`,
      status: 'closed',
    })
    await buildTicket(db, {
      requesterId: (await buildUser(db)).id,
      categoryId: printers.id,
      title: othersTitle(language),
    })
  }
}
