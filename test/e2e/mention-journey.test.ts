import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import type { Language } from '#src/web/i18n.ts'
import { inLanguage, t } from '#src/web/i18n.ts'
import { seriousViolations } from '../support/axe.ts'
import {
  desktop,
  type JourneyServer,
  openPage,
  phone,
  runJourneys,
  screenshot,
  signInAs,
  startJourneyServer,
} from '../support/browser.ts'
import { buildCategory } from '../support/factories.ts'
import { type FakeTelegram, startFakeTelegram } from '../support/fake-telegram.ts'
import { buildSignInUser } from '../support/journey.ts'
import { buildTicket } from '../support/ticket-factory.ts'

/**
 * A mention reaching a colleague (issue 13), in both languages: executor A writes the internal note «@Петров
 * посмотри» on a ticket; executor B, with another page open, sees the bell's number rise without reloading (the
 * stream), opens /notifications and the ticket from there; and the Telegram notice «Вас упомянули в заявке № N»
 * reaches B's chat on the fake Bot API server, sent by the real worker through the outbox.
 */

/** B's Telegram chat. */
const PETROV_CHAT = 7_001_001

describe.each(['ru', 'en'] as const)('a mention in %s, in chromium', (language) => {
  const journey = `mention-${language}`
  const l = (text: string, params?: Record<string, string | number>) => inLanguage(language, () => t(text, params))
  let fake: FakeTelegram | undefined
  let server: JourneyServer | undefined
  let ticketId = 0

  beforeAll(async () => {
    if (!runJourneys) return
    fake = await startFakeTelegram()
    server = await startJourneyServer({
      telegram: {
        enabled: true,
        token: fake.token,
        mode: 'polling',
        webhookSecret: undefined,
        apiRoot: fake.apiRoot,
        proxy: undefined,
      },
      workerEnabled: true,
    })
    ticketId = await seed(server.running.db, language)
  }, 60_000)

  afterAll(async () => {
    await server?.stop()
    await fake?.close()
  })

  test.runIf(runJourneys)(
    'A’s note «@Петров посмотри» rings B’s bell live and reaches B in Telegram',
    async () => {
      if (!server || !fake) throw new Error('the journey server did not start')
      const { base, browser } = server
      const a = await openPage(browser, desktop)
      const b = await openPage(browser, desktop)
      await signInAs(a.page, base, 'sidorov')
      await signInAs(b.page, base, 'petrov')

      // B works in the list; the bell says nothing unread.
      await b.page.goto(`${base}/tickets`)
      const bell = b.page.locator('[data-bell]')
      expect(await bell.getAttribute('title')).toBe(l('Уведомления: непрочитанных {n}', { n: 0 }))
      expect(await bell.locator('.bell__count').isHidden()).toBe(true)
      // Remembered by the page itself: gone if it were reloaded.
      await b.page.evaluate('window.__stayed = true')
      const axeHeader = await seriousViolations(b.page)
      expect(axeHeader).toEqual([])

      // A writes the internal note on the ticket page.
      await a.page.goto(`${base}/tickets/${ticketId}`)
      await a.page.locator('#kind-internal').check()
      await a.page.locator('textarea[name="body"]').fill('@Петров посмотри, пожалуйста')
      await a.page.getByRole('button', { name: l('Сохранить заметку') }).click()
      await a.page.waitForURL(`${base}/tickets/${ticketId}`)
      await a.page.getByText('@Петров посмотри, пожалуйста').waitFor()

      // B's bell rises without a reload: the stream brings it.
      await b.page.locator('[data-bell] .bell__count', { hasText: '1' }).waitFor({ timeout: 10_000 })
      expect(await b.page.evaluate('window.__stayed === true')).toBe(true)
      expect(await b.page.locator('[data-bell]').getAttribute('title')).toBe(
        l('Уведомления: непрочитанных {n}', { n: 1 }),
      )
      await screenshot(b.page, journey, '01-bell-rose')

      // B opens the notifications from the bell.
      await b.page.locator('[data-bell]').click()
      await b.page.waitForURL(`${base}/notifications`)
      await b.page.getByText(l('Вас упомянули во внутренней заметке')).waitFor()
      await b.page.getByText('Сидоров Пётр').first().waitFor()
      expect(await seriousViolations(b.page)).toEqual([])
      await screenshot(b.page, journey, '02-notifications')

      // On a phone too.
      const small = await openPage(browser, phone)
      await signInAs(small.page, base, 'petrov')
      await small.page.goto(`${base}/notifications`)
      await small.page.getByText(l('Вас упомянули во внутренней заметке')).waitFor()
      expect(await seriousViolations(small.page)).toEqual([])
      await screenshot(small.page, journey, '03-notifications-phone')

      // The item leads to the ticket; opened, it is read, and the bell says so.
      await b.page.getByRole('link', { name: new RegExp(l('Заявка № {id}', { id: ticketId })) }).click()
      await b.page.waitForURL(`${base}/tickets/${ticketId}`)
      expect(await b.page.locator('[data-bell] .bell__count').isHidden()).toBe(true)
      await screenshot(b.page, journey, '04-ticket-read')

      // And Telegram: the worker sent the notice through the outbox.
      const [notice] = await fake.waitForBotMessages(PETROV_CHAT, 1, 15_000)
      expect(notice?.text).toContain(`Вас упомянули в заявке № ${ticketId}.`)
      expect(notice?.text).toContain('@Петров посмотри, пожалуйста')
      // The note itself went nowhere: it is not marked as delivered (only a message to the requester is).
      const note = await server.running.db
        .selectFrom('ticket_messages')
        .select('delivery_status')
        .where('ticket_id', '=', ticketId)
        .executeTakeFirstOrThrow()
      expect(note.delivery_status).toBeNull()

      for (const open of [a, b, small]) open.expectClean()
      for (const open of [a, b, small]) await open.context.close()
    },
    180_000,
  )
})

/** Two executors (B linked to Telegram) speaking `language`, and a ticket in work. Returns the ticket's number. */
async function seed(db: Db, language: Language): Promise<number> {
  const sidorov = await buildSignInUser(db, 'sidorov', { role: 'executor', fullName: 'Сидоров Пётр' })
  const petrov = await buildSignInUser(db, 'petrov', {
    role: 'executor',
    fullName: 'Петров Иван',
    telegramChatId: String(PETROV_CHAT),
  })
  await db.updateTable('users').set({ language }).where('id', 'in', [sidorov.id, petrov.id]).execute()
  const category = await buildCategory(db, { name: 'Сеть' })
  const ticket = await buildTicket(db, {
    title: 'Нет сети в ординаторской',
    categoryId: category.id,
    status: 'in_progress',
    assigneeId: sidorov.id,
  })
  return ticket.id
}
