import { crc32, deflateSync } from 'node:zlib'
import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { liveFeed } from '#src/web/live-updates.ts'
import { desktop, openPage, phone, runJourneys, screenshot, signInAs } from '../support/browser.ts'
import { buildCategory, buildDepartment } from '../support/factories.ts'
import { buildSignInUser, useJourneyServer } from '../support/journey.ts'

/**
 * A requester files a ticket on the web with a photo and follows it live while IT works on it: the same
 * ticket open in three browsers (requester, executor, curator), changes arriving without a reload.
 * Screenshots: test-results/screenshots/ticket-journey/.
 */

const JOURNEY = 'ticket-journey'
/** «Within a second» plus a slow shared CI machine; a page that needs a reload never gets there. */
const LIVE_MS = 8_000

describe('a ticket with a photo, followed live', () => {
  const journeyServer = useJourneyServer()

  test.runIf(runJourneys)(
    'the requester files with a photo; the executor answers and changes the status; every open page follows',
    async () => {
      const server = journeyServer()
      const { base, browser } = server
      const db = server.running.db
      await seed(db)

      // The requester files the ticket from a phone, with a photo of the screen.
      const requester = await openPage(browser, phone)
      await signInAs(requester.page, base, 'ivanova')
      await requester.page.goto(`${base}/tickets/new`)
      await requester.page.getByLabel('Кратко, что случилось').fill('Принтер пишет «замятие бумаги»')
      await requester.page
        .getByLabel('Подробности')
        .fill('HP в 214 кабинете, бумаги внутри нет. Фото экрана приложено.')
      await requester.page.getByLabel('Категория').selectOption({ label: 'Принтеры и МФУ' })
      await requester.page
        .getByLabel('Файлы (фото, документы) — до 20 МБ каждый')
        .setInputFiles({ name: 'экран принтера.png', mimeType: 'image/png', buffer: samplePng(96, 64) })
      await screenshot(requester.page, JOURNEY, '01-new-ticket-with-photo')
      await requester.page.getByRole('button', { name: 'Отправить заявку' }).click()
      await requester.page.getByRole('heading', { name: 'Принтер пишет «замятие бумаги»' }).waitFor()
      const ticketUrl = requester.page.url()
      expect(ticketUrl).toMatch(/\/tickets\/\d+$/)
      const preview = requester.page.locator('.ticket-head img.attachment-thumb')
      await preview.waitFor()
      // The preview really loaded (our origin, allowed by the CSP), it is not a broken image.
      await expect
        .poll(() =>
          requester.page.evaluate(
            "(() => { const img = document.querySelector('.ticket-head img.attachment-thumb'); return img && img.complete ? img.naturalWidth : 0 })()",
          ),
        )
        .toBe(96)
      expect(await preview.getAttribute('alt')).toBe('экран принтера.png')
      await screenshot(requester.page, JOURNEY, '02-ticket-filed-requester')

      // The executor and a curator open the same ticket on their desks.
      const executor = await openPage(browser, desktop)
      await signInAs(executor.page, base, 'sidorov')
      await executor.page.goto(ticketUrl)
      await executor.page.locator('.ticket-head img.attachment-thumb').waitFor()
      const curator = await openPage(browser, desktop)
      await signInAs(curator.page, base, 'kurator')
      await curator.page.goto(ticketUrl)
      await curator.page.getByRole('heading', { name: 'Принтер пишет «замятие бумаги»' }).waitFor()

      // Marks that vanish on a reload; and the requester starts typing a reply that must survive the updates.
      for (const viewer of [requester, curator]) await viewer.page.evaluate('window.__sameDocument = true')
      const draft = requester.page.locator('form[data-reply] textarea[name=body]')
      await draft.fill('Жду, я на месте')

      // The executor takes it, notes something for IT, answers and asks the requester to wait.
      await executor.page.getByRole('button', { name: 'Взять в работу' }).click()
      await executor.page.locator('.ticket-head .status--in_progress').waitFor()
      await requester.page.locator('.ticket-head .status--in_progress').waitFor({ timeout: LIVE_MS })
      await curator.page.locator('.ticket-head .status--in_progress').waitFor({ timeout: LIVE_MS })

      const reply = executor.page.locator('form[data-reply]')
      await reply.getByLabel('Внутренняя заметка').check()
      await reply.locator('textarea[name=body]').fill('Похоже на датчик бумаги, взять запасной')
      await reply.getByRole('button', { name: 'Сохранить заметку' }).click()
      await executor.page.locator('.msg--internal').getByText('датчик бумаги').waitFor()
      await curator.page.locator('.msg--internal').getByText('датчик бумаги').waitFor({ timeout: LIVE_MS })

      await reply.getByLabel('Ответ заявителю').check()
      await reply.locator('textarea[name=body]').fill('Подойду через 15 минут, не выключайте принтер')
      await reply.getByRole('button', { name: 'Отправить заявителю' }).click()
      await executor.page.locator('.msg--staff').getByText('Подойду через 15 минут').waitFor()
      await executor.page.getByRole('button', { name: 'Ждать ответа заявителя' }).click()
      await executor.page.locator('.ticket-head .status--waiting').waitFor()
      await screenshot(executor.page, JOURNEY, '03-executor-answered')

      // Both other pages show the answer and the new status without a reload.
      for (const viewer of [requester, curator]) {
        await viewer.page.getByText('Подойду через 15 минут, не выключайте принтер').waitFor({ timeout: LIVE_MS })
        await viewer.page.locator('.ticket-head .status--waiting').waitFor({ timeout: LIVE_MS })
        expect(await viewer.page.evaluate('window.__sameDocument === true')).toBe(true)
      }
      expect(await requester.page.getByText('датчик бумаги').count()).toBe(0)
      expect(await draft.inputValue()).toBe('Жду, я на месте')
      await screenshot(requester.page, JOURNEY, '04-requester-live-answer')
      await screenshot(curator.page, JOURNEY, '05-curator-live')

      // The requester sends the reply they typed; the executor's page shows it live, the ticket is back in work.
      await requester.page.getByRole('button', { name: 'Отправить', exact: true }).click()
      await requester.page.locator('.msg--requester').getByText('Жду, я на месте').waitFor()
      await executor.page.getByText('Жду, я на месте').waitFor({ timeout: LIVE_MS })
      await executor.page.locator('.ticket-head .status--in_progress').waitFor({ timeout: LIVE_MS })
      await screenshot(executor.page, JOURNEY, '06-executor-live-reply')

      requester.expectClean()
      executor.expectClean()
      curator.expectClean()
      await Promise.all([requester.context.close(), executor.context.close(), curator.context.close()])
      // Closed pages end their streams on the server: nobody is left watching.
      await expect.poll(() => liveFeed(db).watchers).toBe(0)
    },
    120_000,
  )

  test.runIf(runJourneys)(
    'an executor files a ticket for a caller found by name; Enter in the search does not send the form',
    async () => {
      const server = journeyServer()
      const { base, browser } = server
      const executor = await openPage(browser, desktop)
      await signInAs(executor.page, base, 'sidorov')
      await executor.page.goto(`${base}/tickets/new`)
      await executor.page.getByLabel('Подробности').fill('Звонок: не включается монитор на посту')
      await executor.page.getByLabel('Категория').selectOption({ label: 'Оборудование — другое' })
      const search = executor.page.getByLabel('Найти по ФИО или телефону')
      await search.fill('Иванова')
      const caller = executor.page.locator('#requester option:checked')
      await expect.poll(() => caller.textContent()).toContain('Иванова Мария Петровна')
      await search.press('Enter')
      await screenshot(executor.page, JOURNEY, '07-on-behalf-search')
      expect(new URL(executor.page.url()).pathname).toBe('/tickets/new')

      // A double click (issue 13: it filed two tickets): the button waits, the server sends the form once.
      await executor.page.getByRole('button', { name: 'Отправить заявку' }).dblclick()
      await executor.page.waitForURL(/\/tickets\/\d+$/)
      const facts = executor.page.locator('.ticket-head .facts')
      await facts.getByText('Иванова Мария Петровна').waitFor()
      expect(await facts.getByText('Сидоров Алексей').count()).toBe(0)
      // One ticket: the Enter in the search sent nothing, the second click nothing either.
      const filed = await server.running.db
        .selectFrom('tickets')
        .select('id')
        .where('description', '=', 'Звонок: не включается монитор на посту')
        .execute()
      expect(filed).toHaveLength(1)
      await screenshot(executor.page, JOURNEY, '08-on-behalf-filed')
      executor.expectClean()
      await executor.context.close()
    },
    60_000,
  )
})

async function seed(db: Db): Promise<void> {
  const surgery = await buildDepartment(db, 'Хирургическое отделение № 1')
  const hardware = await buildCategory(db, { name: 'Оборудование' })
  await buildCategory(db, { name: 'Принтеры и МФУ', parentId: hardware.id })
  await buildSignInUser(db, 'ivanova', { fullName: 'Иванова Мария Петровна', departmentId: surgery.id })
  await buildSignInUser(db, 'sidorov', { role: 'executor', fullName: 'Сидоров Алексей' })
  await buildSignInUser(db, 'kurator', { role: 'curator', fullName: 'Кузнецова Ольга' })
}

/** A small PNG (a blue screen with a grey band), so that the preview has something to show. */
function samplePng(width: number, height: number): Buffer {
  const rows: number[] = []
  for (let y = 0; y < height; y++) {
    rows.push(0)
    for (let x = 0; x < width; x++) {
      const band = y > height / 3 && y < (2 * height) / 3
      rows.push(...(band ? [200, 200, 200] : [29, 95, 191]))
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const length = Buffer.alloc(4)
    length.writeUInt32BE(data.length)
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([length, body, crc])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}
