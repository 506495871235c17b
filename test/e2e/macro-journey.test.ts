import type { Page } from 'playwright-core'
import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { createMacro } from '#src/macros/create-macro.ts'
import { systemActor } from '#src/users/actor.ts'
import { seriousViolations } from '../support/axe.ts'
import { desktop, openPage, phone, runJourneys, screenshot, signInAs } from '../support/browser.ts'
import { buildCategory, buildUser } from '../support/factories.ts'
import { buildSignInUser, useJourneyServer } from '../support/journey.ts'
import { buildTicket } from '../support/ticket-factory.ts'

/**
 * Canned responses (issue 13), in Russian and in English: an executor makes a personal macro on «Шаблоны ответов»
 * that greets the requester by name and puts the ticket to «Ожидает ответа»; on a ticket they type `::`, filter,
 * pick it with the keyboard, see the text with the requester's name filled in and what else it does, send it, and
 * find the reply on the timeline and the status changed. axe-core on /macros and on the ticket with the list open;
 * screenshots at 1366×768 and 390×844 in test-results/screenshots/macros/.
 */

const JOURNEY = 'macros'
const SLOW = 120_000

/** What each language's pages say, where the journey reads or presses it. */
const texts = {
  ru: {
    login: 'shablonova',
    title: 'Уточнить модель',
    query: 'уточ',
    create: 'Создать шаблон',
    created: 'Шаблон создан',
    newMacro: 'Новый шаблон',
    list: 'Шаблоны ответов',
    also: 'также: статус → Ожидает ответа',
    waiting: 'Ожидает ответа',
  },
  en: {
    login: 'templeton',
    title: 'Printer model',
    query: 'print',
    create: 'Create the response',
    created: 'Response created',
    newMacro: 'New response',
    list: 'Canned responses',
    also: 'also: status → Waiting for reply',
    waiting: 'Waiting for reply',
  },
} as const
type Language = keyof typeof texts

const BODY = 'Здравствуйте, {{заявитель.имя}}! Уточните, пожалуйста, модель принтера по заявке № {{заявка.номер}}.'

/** Serious or critical axe violations of the page, one line each. */
async function axeProblems(page: Page, where: string): Promise<string[]> {
  return (await seriousViolations(page)).map((v) => `${where}: ${v.rule} (${v.impact}) at ${v.targets.join(', ')}`)
}

/** The ids of the journey's tickets, by language: one for the desk, one for the phone. */
const tickets: Record<Language, { desk: number; phone: number }> = {
  ru: { desk: 0, phone: 0 },
  en: { desk: 0, phone: 0 },
}

describe('canned responses in chromium', () => {
  const journeyServer = useJourneyServer(seed)

  for (const language of ['ru', 'en'] as const) {
    const say = texts[language]

    test.runIf(runJourneys)(
      `${language}: make a macro, pick it with :: on a ticket, send it: the reply is there, the status changed`,
      async () => {
        const server = journeyServer()
        const { page, context, expectClean } = await openPage(server.browser, desktop)
        await signInAs(page, server.base, say.login)

        // «Шаблоны ответов» from the navigation, then a new personal macro.
        await page.getByRole('navigation').getByRole('link', { name: say.list }).click()
        await page.getByRole('link', { name: say.newMacro }).click()
        await page.locator('input[name="title"]').fill(say.title)
        await page.locator('textarea[name="body"]').fill(BODY)
        await page.locator('select[name="set_status"]').selectOption('waiting')
        await screenshot(page, JOURNEY, `00-form-desktop-${language}`)
        expect(await axeProblems(page, `/macros/new ${language}`)).toEqual([])
        await page.getByRole('button', { name: say.create }).click()
        await page.getByText(say.created).waitFor()
        await page.getByText(say.also).first().waitFor()
        expect(await axeProblems(page, `/macros ${language}`)).toEqual([])
        await screenshot(page, JOURNEY, `01-list-desktop-${language}`)

        // The ticket: `::` and a few letters open the filtered list; ↓ ↑ and Enter pick the macro.
        const ticketId = tickets[language].desk
        await page.goto(`${server.base}/tickets/${ticketId}`)
        const reply = page.locator('[data-reply] textarea[name="body"]')
        await reply.click()
        await reply.pressSequentially(`::${say.query}`)
        const list = page.getByRole('listbox', { name: say.list })
        await list.waitFor()
        // The letters typed after `::` leave one macro of the two (the other is everyone's).
        expect(
          await page.evaluate(`document.querySelectorAll('#macro-list [role="option"]:not([hidden])').length`),
        ).toBe(1)
        await expect.poll(() => list.getByRole('option', { selected: true }).textContent()).toContain(say.title)
        expect(await axeProblems(page, `ticket with the list open ${language}`)).toEqual([])
        await screenshot(page, JOURNEY, `02-picker-desktop-${language}`)
        await reply.press('ArrowDown')
        await reply.press('ArrowUp')
        await reply.press('Enter')
        await list.waitFor({ state: 'hidden' })

        const text = `Здравствуйте, Мария Петровна! Уточните, пожалуйста, модель принтера по заявке № ${ticketId}.`
        expect(await reply.inputValue()).toBe(text)
        await page.locator('#macro-also').getByText(say.also).waitFor()
        await screenshot(page, JOURNEY, `03-inserted-desktop-${language}`)

        // Sent: the reply on the timeline, the ticket waiting for the requester.
        await page.locator('[data-reply] button[type="submit"]').click()
        await page.waitForURL(`${server.base}/tickets/${ticketId}`)
        await page.locator('#ticket-timeline').getByText(text).waitFor()
        await page.locator('.status--waiting').first().waitFor()
        expect(await page.locator('.status--waiting').first().textContent()).toBe(say.waiting)
        const stored = await server.running.db
          .selectFrom('tickets')
          .select('status')
          .where('id', '=', ticketId)
          .executeTakeFirstOrThrow()
        expect(stored.status).toBe('waiting')
        await screenshot(page, JOURNEY, `04-sent-desktop-${language}`)
        expectClean()
        await context.close()

        // A phone: the list of macros, and the picker on another ticket.
        const pocket = await openPage(server.browser, phone)
        await signInAs(pocket.page, server.base, say.login)
        await pocket.page.goto(`${server.base}/macros`)
        await pocket.page.getByText(say.title).first().waitFor()
        await screenshot(pocket.page, JOURNEY, `05-list-phone-${language}`)
        await pocket.page.goto(`${server.base}/tickets/${tickets[language].phone}`)
        const small = pocket.page.locator('[data-reply] textarea[name="body"]')
        await small.click()
        await small.pressSequentially('::')
        await pocket.page.getByRole('listbox', { name: say.list }).waitFor()
        expect(await axeProblems(pocket.page, `ticket on a phone ${language}`)).toEqual([])
        await screenshot(pocket.page, JOURNEY, `06-picker-phone-${language}`)
        await small.press('Escape')
        await pocket.page.getByRole('listbox', { name: say.list }).waitFor({ state: 'hidden' })
        // The «Шаблон» list does the same without typing.
        await pocket.page.locator('select[name="macro"]').selectOption({ label: say.title })
        expect(await small.inputValue()).toContain('Здравствуйте, Мария Петровна!')
        pocket.expectClean()
        await pocket.context.close()
      },
      SLOW,
    )
  }
})

/** Two executors (one reading English), a macro for everyone, a requester with a patronymic, two tickets for each. */
async function seed(db: Db): Promise<void> {
  await buildSignInUser(db, texts.ru.login, { role: 'executor', fullName: 'Шаблонова Ольга Игоревна' })
  const english = await buildSignInUser(db, texts.en.login, { role: 'executor', fullName: 'Темплтон Иван' })
  await db.updateTable('users').set({ language: 'en' }).where('id', '=', english.id).execute()
  const requester = await buildUser(db, { fullName: 'Иванова Мария Петровна' })
  await createMacro(db, systemActor('cli'), {
    title: 'Заявка принята в работу',
    body: 'Здравствуйте, {{заявитель.имя}}! Заявка № {{заявка.номер}} принята в работу.',
    scope: 'global',
  })
  const category = await buildCategory(db, { name: 'Принтеры' })
  for (const language of ['ru', 'en'] as const) {
    for (const where of ['desk', 'phone'] as const) {
      const ticket = await buildTicket(db, {
        title: `Не печатает принтер (${language}, ${where})`,
        requesterId: requester.id,
        categoryId: category.id,
        status: 'in_progress',
      })
      tickets[language][where] = ticket.id
    }
  }
}
