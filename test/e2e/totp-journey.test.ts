import { readFileSync } from 'node:fs'
import { generate } from 'otplib'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  JOURNEY_PASSWORD,
  type JourneyServer,
  openPage,
  runJourneys,
  screenshot,
  startJourneyServer,
} from '../support/browser.ts'
import { buildSignInUser } from '../support/journey.ts'

/**
 * Issue 9: a curator under AUTH_REQUIRE_2FA is sent to the enrolment after the password, enrols with the
 * QR page, keeps the recovery codes, then signs in on two steps (app code, then a recovery code).
 * Screenshots: test-results/screenshots/totp-journey/.
 */

const JOURNEY = 'totp-journey'

describe('TOTP journeys in chromium', () => {
  let server: JourneyServer | undefined
  beforeAll(async () => {
    if (!runJourneys) return
    server = await startJourneyServer({ require2fa: ['curator', 'admin'] })
    await buildSignInUser(server.running.db, 'kuratorova', { role: 'curator' })
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
  })

  test.runIf(runJourneys)('forced enrolment, recovery codes downloaded, then the two-step login', async () => {
    if (!server) throw new Error('the journey server did not start')
    const { base, browser } = server
    const first = await openPage(browser)
    await first.page.goto(`${base}/login`)
    await first.page.getByLabel('Логин').fill('kuratorova')
    await first.page.getByLabel('Пароль').fill(JOURNEY_PASSWORD)
    await first.page.getByRole('button', { name: 'Войти' }).click()
    await first.page.waitForURL(`${base}/profile/2fa`)
    await first.page.getByRole('button', { name: 'Подключить' }).click()
    await first.page.locator('.qr svg').waitFor()
    await screenshot(first.page, JOURNEY, '01-enrol-qr')
    const secret = (await first.page.locator('code').first().textContent())?.trim() ?? ''
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/)
    await first.page.getByLabel('Код из приложения').fill(await generate({ secret }))
    await first.page.getByRole('button', { name: 'Подтвердить' }).click()
    await first.page.getByRole('heading', { name: 'Резервные коды' }).waitFor()
    await screenshot(first.page, JOURNEY, '02-recovery-codes')
    const [download] = await Promise.all([
      first.page.waitForEvent('download'),
      first.page.getByRole('link', { name: 'Скачать' }).click(),
    ])
    const codes = readFileSync((await download.path()) ?? '', 'utf8')
      .trim()
      .split('\n')
    expect(codes).toHaveLength(10)
    first.expectClean()

    // The two-step login: the next time step's code (the current one was spent by the confirmation).
    const second = await openPage(browser)
    await second.page.goto(`${base}/login`)
    await second.page.getByLabel('Логин').fill('kuratorova')
    await second.page.getByLabel('Пароль').fill(JOURNEY_PASSWORD)
    await second.page.getByRole('button', { name: 'Войти' }).click()
    await second.page.waitForURL((url) => url.pathname === '/login/code')
    await screenshot(second.page, JOURNEY, '03-code-step')
    await second.page
      .getByLabel('Код из приложения')
      .fill(await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }))
    await second.page.getByRole('button', { name: 'Войти' }).click()
    await second.page.waitForURL(`${base}/tickets`)
    second.expectClean()

    // «Ввести резервный код».
    const third = await openPage(browser)
    await third.page.goto(`${base}/login`)
    await third.page.getByLabel('Логин').fill('kuratorova')
    await third.page.getByLabel('Пароль').fill(JOURNEY_PASSWORD)
    await third.page.getByRole('button', { name: 'Войти' }).click()
    await third.page.waitForURL((url) => url.pathname === '/login/code')
    await third.page.getByRole('link', { name: 'Ввести резервный код' }).click()
    await third.page.getByLabel('Резервный код').fill(codes[0] ?? '')
    await third.page.getByRole('button', { name: 'Войти' }).click()
    await third.page.waitForURL(`${base}/tickets`)
    third.expectClean()
    for (const open of [first, second, third]) await open.context.close()
  })
})
