import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { openPage, phone, runJourneys, screenshot, signInAs } from '../support/browser.ts'
import { buildDepartment, buildUser } from '../support/factories.ts'
import { buildSignInUser, useJourneyServer } from '../support/journey.ts'

const JOURNEY = 'admin'

/**
 * The admin's day (PRODUCT.md §5, COMPLIANCE.md §4–5): find a person, deactivate them — their open session
 * stops working at once — find the deactivation in the audit journal, check the journal's integrity,
 * and switch their own interface to English.
 */
describe('the admin journey in chromium', () => {
  const journeyServer = useJourneyServer()

  test.runIf(runJourneys)(
    'an admin deactivates a signed-in executor, sees it in the journal, checks the chain and switches to English',
    async () => {
      const server = journeyServer()
      const { base } = server
      await seed(server.running.db)

      // The executor is at work in another browser.
      const executor = await openPage(server.browser)
      await signInAs(executor.page, base, 'petrova')
      await executor.page.getByRole('heading', { name: 'Заявки' }).waitFor()

      const admin = await openPage(server.browser)
      // «Отключить» asks to confirm (app.js): the admin agrees.
      admin.page.on('dialog', (dialog) => void dialog.accept())
      await signInAs(admin.page, base, 'admin')
      await admin.page.getByRole('navigation', { name: 'Разделы' }).getByRole('link', { name: 'Пользователи' }).click()
      await admin.page.getByRole('heading', { name: 'Пользователи' }).waitFor()
      await screenshot(admin.page, JOURNEY, '01-users')

      await admin.page.getByLabel('Поиск', { exact: true }).fill('Петрова')
      await admin.page.getByLabel('Поиск', { exact: true }).press('Enter')
      await expect.poll(() => admin.page.url()).toContain('q=')
      await expect.poll(() => admin.page.locator('#user-results tbody tr').count()).toBe(1)
      await screenshot(admin.page, JOURNEY, '02-users-found')
      await admin.page.getByRole('link', { name: 'Петрова Анна Сергеевна' }).click()
      await admin.page.getByRole('heading', { name: 'Петрова Анна Сергеевна' }).waitFor()
      await admin.page.getByText('Активные сеансы').waitFor()
      expect(await admin.page.locator('.sessions tbody tr').count()).toBe(1)
      await screenshot(admin.page, JOURNEY, '03-user-page')

      await admin.page.getByRole('button', { name: 'Отключить' }).click()
      await admin.page.getByText('Учётная запись отключена, её сеансы завершены').waitFor()
      await admin.page.getByText('Активных сеансов нет.').waitFor()
      await screenshot(admin.page, JOURNEY, '04-user-deactivated')

      // The executor's next click lands on the login page.
      await executor.page.getByRole('link', { name: 'Новая заявка' }).first().click()
      await executor.page.waitForURL((url) => url.pathname === '/login')
      await screenshot(executor.page, JOURNEY, '05-executor-thrown-out')

      // The journal: ПДн only, the deactivation action.
      await admin.page.getByRole('link', { name: 'Журнал аудита' }).click()
      await admin.page.getByRole('heading', { name: 'Журнал аудита' }).waitFor()
      await admin.page.getByLabel('Только ПДн').check()
      await expect.poll(() => admin.page.url()).toContain('pdn=1')
      await admin.page.getByLabel('Действие').fill('user.deactivate')
      await admin.page.getByLabel('Действие').press('Enter')
      await expect.poll(() => admin.page.url()).toContain('action=user.deactivate')
      const rows = admin.page.locator('#audit-results tbody tr')
      await expect.poll(() => rows.count()).toBe(1)
      expect(await rows.first().textContent()).toContain('Петрова Анна Сергеевна')
      await screenshot(admin.page, JOURNEY, '06-audit-filtered')

      await admin.page.getByRole('button', { name: 'Проверить целостность' }).click()
      await admin.page.getByText(/Цепочка цела: \d+ запис/).waitFor()
      await screenshot(admin.page, JOURNEY, '07-audit-verified')

      // English for the admin: the next page, navigation included.
      await admin.page.getByRole('link', { name: 'Профиль' }).first().click()
      await admin.page.getByRole('heading', { name: 'Профиль' }).waitFor()
      await admin.page.getByLabel('English').check()
      await admin.page.getByRole('button', { name: 'Сменить язык' }).click()
      await admin.page.getByRole('heading', { name: 'Profile' }).waitFor()
      const nav = admin.page.getByRole('navigation', { name: 'Sections' })
      for (const label of ['Tickets', 'Users', 'Audit journal', 'Profile']) {
        await nav.getByRole('link', { name: label }).waitFor()
      }
      expect(await admin.page.getAttribute('html', 'lang')).toBe('en')
      await screenshot(admin.page, JOURNEY, '08-profile-english')

      // On a phone the same pages stack up: lists become blocks, forms one column.
      const pocket = await openPage(server.browser, phone)
      await signInAs(pocket.page, base, 'admin')
      await pocket.page.goto(`${base}/users`)
      await pocket.page.getByRole('heading', { name: 'Users' }).waitFor()
      await screenshot(pocket.page, JOURNEY, '09-users-phone')
      await pocket.page.goto(`${base}/audit?pdn=1`)
      await pocket.page.getByRole('heading', { name: 'Audit journal' }).waitFor()
      await screenshot(pocket.page, JOURNEY, '10-audit-phone')

      admin.expectClean()
      executor.expectClean()
      pocket.expectClean()
      await Promise.all([admin.context.close(), executor.context.close(), pocket.context.close()])
    },
    120_000,
  )
})

async function seed(db: Db): Promise<void> {
  const it = await buildDepartment(db, 'ИТ-отдел')
  const cardio = await buildDepartment(db, 'Кардиология')
  await buildSignInUser(db, 'admin', {
    role: 'admin',
    fullName: 'Администратов Илья',
    departmentId: it.id,
  })
  await buildSignInUser(db, 'petrova', {
    role: 'executor',
    fullName: 'Петрова Анна Сергеевна',
    departmentId: it.id,
  })
  for (const name of ['Иванова Мария', 'Сидоров Олег', 'Кузнецова Ольга']) {
    await buildUser(db, { fullName: name, departmentId: cardio.id })
  }
}
