import { readFileSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { describe, expect, test } from 'vitest'
import { setSetting } from '#src/settings/settings.ts'
import { systemActor } from '#src/users/actor.ts'
import { openPage, runJourneys, screenshot, signInAs } from '../support/browser.ts'
import { buildDepartment } from '../support/factories.ts'
import { buildSignInUser, useJourneyServer } from '../support/journey.ts'
import { pdfText } from '../support/pdf.ts'
import { buildTicket } from '../support/ticket-factory.ts'

/**
 * Issue 10: an admin registers a person's access request, forms the answer (PDF and ZIP) and records it,
 * then registers the person's destruction request, approves the destruction with the commission and opens
 * the act — which names «Субъект № N» and nobody's ФИО. Screenshots: test-results/screenshots/pdn-journey/.
 */

const JOURNEY = 'pdn-journey'
const PERSON = 'Журавлёва Ангелина Тимофеевна'

async function downloaded(page: Page, click: () => Promise<void>): Promise<Buffer> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()])
  return readFileSync((await download.path()) ?? '')
}

describe('a person’s request, its answer and the destruction with the act, in chromium', () => {
  let personId = 0
  const server = useJourneyServer(async (db) => {
    await buildSignInUser(db, 'admin', { role: 'admin', fullName: 'Администратор Системы' })
    const department = await buildDepartment(db, 'Травматология')
    const person = await buildSignInUser(db, 'zhuravleva', {
      fullName: PERSON,
      phone: '+7 (915) 555-01-77',
      departmentId: department.id,
    })
    personId = person.id
    await buildTicket(db, { requesterId: person.id, title: 'Не включается монитор в ординаторской' })
    await setSetting(db, systemActor(), 'pdn.commission', [
      { name: 'Соколов П. А.', position: 'Заместитель главного врача' },
      { name: 'Мельникова О. В.', position: 'Начальник ИТ-отдела' },
    ])
  })

  test.runIf(runJourneys)('register → answer → approve the destruction → open the act', async () => {
    const { base, browser } = server()
    const { page, context, expectClean } = await openPage(browser)
    await signInAs(page, base, 'admin')

    // «ПДн → Запросы субъектов»: an access request by letter.
    await page.goto(`${base}/pdn`)
    await page.getByRole('link', { name: 'Запросы субъектов' }).first().click()
    await page.waitForURL(`${base}/pdn/requests`)
    await page.getByLabel('Вид запроса').selectOption('access')
    await page.getByLabel('Субъект (чьи данные)').selectOption(String(personId))
    await page
      .getByLabel('Текст запроса или комментарий')
      .fill('Письмо: прошу сообщить, какие мои данные обрабатываются')
    await page.getByRole('button', { name: 'Зарегистрировать' }).click()
    await page.waitForURL((url) => /^\/pdn\/requests\/\d+$/.test(url.pathname))
    await screenshot(page, JOURNEY, '01-request-registered')

    // «Сформировать ответ»: the person's PDF names them and their ticket, and no one else.
    await page.getByRole('button', { name: 'Сформировать ответ' }).click()
    const answerLink = page.getByRole('link', { name: /\.pdf$/ }).first()
    await answerLink.waitFor()
    const answer = pdfText(await downloaded(page, () => answerLink.click()))
    expect(answer).toContain(PERSON)
    expect(answer).toContain('Не включается монитор в ординаторской')
    expect(answer).not.toContain('Администратор Системы')
    await page.getByLabel('Состояние').selectOption('answered')
    await page.getByLabel('Текст ответа (или мотивированного отказа)').fill('Ответ с перечнем данных вручён лично')
    await page.getByRole('button', { name: 'Сохранить' }).click()
    await page.getByText('Ответ с перечнем данных вручён лично').waitFor()
    await screenshot(page, JOURNEY, '02-request-answered')

    // A destruction request: the person appears under «К уничтожению».
    await page.goto(`${base}/pdn/requests`)
    await page.getByLabel('Вид запроса').selectOption('destruction')
    await page.getByLabel('Субъект (чьи данные)').selectOption(String(personId))
    await page.getByRole('button', { name: 'Зарегистрировать' }).click()
    await page.waitForURL((url) => /^\/pdn\/requests\/\d+$/.test(url.pathname))
    await page.getByRole('link', { name: 'Уничтожение — в разделе «К уничтожению»' }).click()
    await page.waitForURL(`${base}/pdn/destruction`)
    await page.getByRole('link', { name: 'Утвердить уничтожение…' }).click()
    await page.waitForURL(`${base}/pdn/destruction/${personId}`)
    await page.getByLabel('Соколов П. А.').check()
    await page.getByLabel('Мельникова О. В.').check()
    await page.getByLabel('Причина уничтожения').fill('Требование субъекта об уничтожении персональных данных')
    await screenshot(page, JOURNEY, '03-approve-destruction')
    await page.getByRole('button', { name: 'Уничтожить данные и составить акт' }).click()
    await page.waitForURL((url) => url.pathname === '/pdn/acts')
    await screenshot(page, JOURNEY, '04-acts')

    // The act: «Субъект № N», the commission, the reason — and not the person's name.
    const act = pdfText(await downloaded(page, () => page.getByRole('link', { name: 'Акт (PDF)' }).first().click()))
    expect(act).toContain(`Субъект № ${personId}`)
    expect(act).toContain('Соколов П. А.')
    expect(act).toContain('Требование субъекта об уничтожении персональных данных')
    expect(act).not.toContain('Журавлёва')

    // The person's page now shows only the pseudonym.
    await page.goto(`${base}/users/${personId}`)
    await page.getByText(`Субъект № ${personId}`).first().waitFor()
    expect(await page.content()).not.toContain('Журавлёва')
    expectClean()
    await context.close()
  })
})
