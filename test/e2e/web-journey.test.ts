import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { desktop, openPage, phone, runJourneys, screenshot, signInAs } from '../support/browser.ts'
import { buildCategory, buildDepartment, buildUser } from '../support/factories.ts'
import { buildSignInUser, useJourneyServer } from '../support/journey.ts'
import { buildTicket } from '../support/ticket-factory.ts'

/**
 * The executor's working day and the requester's view of it, in Debian's chromium against the real server
 * (test/support/browser.ts). Screenshots: test-results/screenshots/web-journey/.
 */

const JOURNEY = 'web-journey'

describe('web journeys in chromium', () => {
  const journeyServer = useJourneyServer()

  test.runIf(runJourneys)(
    'an executor takes, notes, answers and resolves a ticket; its requester sees only their ticket with the answer',
    async () => {
      const server = journeyServer()
      const { base, browser } = server
      const people = await seed(server.running.db)

      // The executor's working day: the list, a filter, the ticket, take, note, reply, resolve.
      const executor = await openPage(browser, desktop)
      await executor.page.goto(`${base}/login`)
      await screenshot(executor.page, JOURNEY, '00-login')
      await signInAs(executor.page, base, 'sidorov')
      await expect.poll(() => executor.page.url()).toBe(`${base}/tickets`)
      await executor.page.getByRole('heading', { name: 'Заявки' }).waitFor()
      await screenshot(executor.page, JOURNEY, '01-list-executor')
      // `/` jumps to the search box.
      await executor.page.keyboard.press('/')
      expect(await executor.page.evaluate('document.activeElement && document.activeElement.id')).toBe('top-search')

      // The list opens on the open tickets, its filters folded: unfolded, narrowed to the new ones.
      await executor.page.locator('summary.filters__summary').click()
      await executor.page.getByLabel('В работе', { exact: true }).uncheck()
      await executor.page.getByLabel('Ожидает ответа', { exact: true }).uncheck()
      const statuses = () => new URL(executor.page.url()).searchParams.getAll('status').filter((s) => s !== 'all')
      await expect.poll(statuses).toEqual(['new'])
      await executor.page.locator('#ticket-results').getByText('Не печатает принтер в ординаторской').waitFor()
      expect(await executor.page.locator('#ticket-results').getByText('Заменить мышь').count()).toBe(0)
      await screenshot(executor.page, JOURNEY, '02-list-filtered')

      await executor.page.getByRole('link', { name: 'Не печатает принтер в ординаторской' }).click()
      await executor.page.getByRole('heading', { name: 'Не печатает принтер в ординаторской' }).waitFor()
      await screenshot(executor.page, JOURNEY, '03-ticket-new')

      await executor.page.getByRole('button', { name: 'Взять в работу' }).click()
      await executor.page.locator('.ticket-head .status--in_progress').waitFor()

      const reply = executor.page.locator('form[data-reply]')
      await reply.getByLabel('Внутренняя заметка').check()
      await reply.locator('textarea[name=body]').fill('Картридж на складе, проверить остаток')
      await screenshot(executor.page, JOURNEY, '04-ticket-internal-note-box')
      await reply.getByRole('button', { name: 'Сохранить заметку' }).click()
      await executor.page.locator('.msg--internal').getByText('Картридж на складе').waitFor()

      await reply.getByLabel('Ответ заявителю').check()
      await reply.locator('textarea[name=body]').fill('Уже идём, будем через 10 минут')
      // Ctrl+Enter sends the reply.
      await reply.locator('textarea[name=body]').press('Control+Enter')
      await executor.page.locator('.msg--staff').getByText('Уже идём').waitFor()

      await executor.page.locator('textarea[name=resolution]').fill('Заменили картридж, печать проверена')
      await executor.page.getByRole('button', { name: 'Решена' }).click()
      await executor.page.locator('.ticket-head .status--resolved').waitFor()
      await screenshot(executor.page, JOURNEY, '05-ticket-resolved')
      executor.expectClean()

      // The requester sees their own ticket only, with the answer and the result — never the note.
      const requester = await openPage(browser, desktop)
      await signInAs(requester.page, base, 'ivanova')
      await requester.page.getByRole('heading', { name: 'Заявки' }).waitFor()
      expect(await requester.page.getByText('Не печатает принтер в ординаторской').count()).toBe(1)
      expect(await requester.page.getByText('Заменить мышь').count()).toBe(0)
      await screenshot(requester.page, JOURNEY, '06-list-requester')
      await requester.page.getByRole('link', { name: 'Не печатает принтер в ординаторской' }).click()
      await requester.page.getByText('Уже идём, будем через 10 минут').waitFor()
      await requester.page.getByText('Заменили картридж, печать проверена').waitFor()
      expect(await requester.page.getByText('Картридж на складе').count()).toBe(0)
      await screenshot(requester.page, JOURNEY, '07-ticket-requester')
      await requester.page.getByRole('link', { name: 'Новая заявка' }).first().click()
      await requester.page.getByRole('heading', { name: 'Новая заявка' }).waitFor()
      await screenshot(requester.page, JOURNEY, '09-new-ticket-requester')
      requester.expectClean()

      // A foreign ticket by its address: not found.
      const foreign = await requester.page.goto(`${base}/tickets/${people.foreignTicketId}`)
      expect(foreign?.status()).toBe(404)

      // On a phone the list is blocks, not a wide table.
      const onPhone = await openPage(browser, phone)
      await signInAs(onPhone.page, base, 'sidorov')
      await onPhone.page.getByRole('heading', { name: 'Заявки' }).waitFor()
      await screenshot(onPhone.page, JOURNEY, '08-list-phone')
      onPhone.expectClean()
      await Promise.all([executor.context.close(), requester.context.close(), onPhone.context.close()])
    },
    120_000,
  )
})

/** A small hospital: departments, categories, the two people of the journey, and a list worth looking at. */
async function seed(db: Db): Promise<{ foreignTicketId: number }> {
  const surgery = await buildDepartment(db, 'Хирургическое отделение № 1')
  const cardio = await buildDepartment(db, 'Кардиология')
  const reception = await buildDepartment(db, 'Приёмное отделение')
  const hardware = await buildCategory(db, { name: 'Оборудование' })
  const printers = await buildCategory(db, { name: 'Принтеры и МФУ', parentId: hardware.id, defaultPriority: 'high' })
  const software = await buildCategory(db, { name: 'Программы' })
  const mis = await buildCategory(db, { name: 'МИС', parentId: software.id })
  const network = await buildCategory(db, { name: 'Сеть и интернет' })
  const ivanova = await buildSignInUser(db, 'ivanova', {
    fullName: 'Иванова Мария Петровна',
    departmentId: surgery.id,
    phone: '+7 (4712) 55-12-34',
  })
  const sidorov = await buildSignInUser(db, 'sidorov', { role: 'executor', fullName: 'Сидоров Алексей' })
  const petrov = await buildUser(db, { role: 'executor', fullName: 'Петров Игорь' })
  const kuznetsova = await buildUser(db, { fullName: 'Кузнецова Ольга Викторовна', departmentId: cardio.id })
  const orlov = await buildUser(db, { fullName: 'Орлов Сергей Николаевич', departmentId: reception.id })
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString()

  await buildTicket(db, {
    requesterId: kuznetsova.id,
    title: 'Заменить мышь',
    categoryId: hardware.id,
    priority: 'low',
    status: 'in_progress',
    assigneeId: petrov.id,
    createdAt: hoursAgo(30),
  })
  await buildTicket(db, {
    requesterId: orlov.id,
    title: 'Не открывается МИС на посту',
    categoryId: mis.id,
    priority: 'critical',
    createdAt: hoursAgo(3),
    resolutionDueAt: hoursAgo(1),
  })
  await buildTicket(db, {
    requesterId: kuznetsova.id,
    title: 'Нет интернета в ординаторской',
    categoryId: network.id,
    status: 'waiting',
    assigneeId: sidorov.id,
    createdAt: hoursAgo(50),
  })
  await buildTicket(db, {
    requesterId: orlov.id,
    title: 'Установить сканер документов',
    categoryId: hardware.id,
    status: 'resolved',
    assigneeId: petrov.id,
    createdAt: hoursAgo(80),
  })
  const foreign = await buildTicket(db, {
    requesterId: orlov.id,
    title: 'Сбросить пароль к почте',
    categoryId: software.id,
    status: 'closed',
    createdAt: hoursAgo(120),
  })
  await buildTicket(db, {
    requesterId: ivanova.id,
    title: 'Не печатает принтер в ординаторской',
    description: 'HP LaserJet в 214 кабинете пишет «замятие бумаги», хотя бумаги внутри нет.',
    categoryId: printers.id,
    priority: 'high',
    createdAt: hoursAgo(0.2),
  })
  return { foreignTicketId: foreign.id }
}
