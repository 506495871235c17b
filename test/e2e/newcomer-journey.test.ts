import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { generate } from 'otplib'
import type { Browser } from 'playwright-core'
import { afterAll, describe, expect, test } from 'vitest'
import { type CliEnv, freshEnv, helpdesk, withFileDatabase } from '../cli/helpers.ts'
import { launchBrowser, openPage, runJourneys, screenshot } from '../support/browser.ts'
import { startServer, stopServer, waitReady } from '../support/server-process.ts'

/**
 * Issue 9, the README's «First steps» as a newcomer walks them, on the real defaults (AUTH_REQUIRE_2FA is
 * curator,admin unless set): `helpdesk users create-admin` in a terminal, `helpdesk serve`, the admin signs in
 * and is made to enrol a phone app before anything else, creates an executor on «Пользователи → Новый
 * пользователь», hands over the one-time link; the executor sets a password from it (with the consent) and
 * later signs in with it. Screenshots: test-results/screenshots/newcomer-journey/.
 */

const JOURNEY = 'newcomer-journey'
const ADMIN_PASSWORD = 'Первый-вход-админа-2026'
const EXECUTOR_PASSWORD = 'пароль исполнителя 77'

describe('a newcomer’s first steps in chromium, on the default settings', () => {
  let env: CliEnv | undefined
  let server: ChildProcess | undefined
  let browser: Browser | undefined
  afterAll(async () => {
    await browser?.close()
    if (server) await stopServer(server)
    if (env) rmSync(env.dataDir, { recursive: true, force: true })
  })

  test.runIf(runJourneys)(
    'create-admin → sign in → forced 2FA enrolment → a new executor → the link sets a password → sign in',
    async () => {
      env = await freshEnv()
      const created = await helpdesk(env, ['users', 'create-admin', '--login', 'admin', '--password-stdin'], {
        input: `${ADMIN_PASSWORD}\n`,
      })
      expect(created.code, created.stderr).toBe(0)
      const base = `http://127.0.0.1:${env.port}`
      server = startServer(env)
      await waitReady(base)
      browser = await launchBrowser()

      // The admin: the password, then straight to the enrolment, whatever page was asked for.
      const admin = await openPage(browser)
      await admin.page.goto(`${base}/users`)
      await admin.page.getByLabel('Логин').fill('admin')
      await admin.page.getByLabel('Пароль').fill(ADMIN_PASSWORD)
      await admin.page.getByRole('button', { name: 'Войти' }).click()
      await admin.page.waitForURL(`${base}/profile/2fa`)
      await admin.page.goto(`${base}/users/new`)
      await admin.page.waitForURL(`${base}/profile/2fa`)
      await admin.page.getByRole('button', { name: 'Подключить' }).click()
      await admin.page.locator('.qr svg').waitFor()
      await screenshot(admin.page, JOURNEY, '01-forced-enrolment')
      const secret = (await admin.page.locator('code').first().textContent())?.trim() ?? ''
      await admin.page.getByLabel('Код из приложения').fill(await generate({ secret }))
      await admin.page.getByRole('button', { name: 'Подтвердить' }).click()
      await admin.page.getByRole('heading', { name: 'Резервные коды' }).waitFor()

      // Enrolled: an account made at the console has no consent yet — the consent page comes next (issue 10).
      await admin.page.goto(`${base}/users/new`)
      await admin.page.waitForURL((url) => url.pathname === '/consent')
      await screenshot(admin.page, JOURNEY, '01b-consent')
      await admin.page.getByRole('button', { name: 'Согласен', exact: true }).click()
      await admin.page.waitForURL(`${base}/users/new`)

      // Agreed: «Пользователи → Новый пользователь» opens now.
      await admin.page.goto(`${base}/users/new`)
      await admin.page.getByLabel('ФИО').fill('Смирнов Олег Петрович')
      await admin.page.getByLabel('Логин').fill('smirnov')
      await admin.page.getByLabel('Роль').selectOption('executor')
      await admin.page.getByLabel('Должность').fill('Инженер-программист')
      await admin.page.getByRole('button', { name: 'Создать и получить ссылку' }).click()
      await admin.page.getByRole('heading', { name: 'Пользователь создан' }).waitFor()
      await screenshot(admin.page, JOURNEY, '02-link-to-hand-over')
      const link = (await admin.page.locator('code').first().textContent())?.trim() ?? ''
      expect(link).toMatch(new RegExp(`^${base}/password/set/[A-Za-z0-9_-]{43}$`))
      admin.expectClean()

      // The executor, on another computer: the link, a password, the consent — and in.
      const executor = await openPage(browser)
      await executor.page.goto(link)
      await executor.page.getByLabel('Новый пароль', { exact: true }).fill(EXECUTOR_PASSWORD)
      await executor.page.getByLabel('Новый пароль ещё раз').fill(EXECUTOR_PASSWORD)
      await executor.page.getByRole('checkbox').check()
      await screenshot(executor.page, JOURNEY, '03-set-password')
      await executor.page.getByRole('button', { name: 'Сохранить пароль и войти' }).click()
      await executor.page.waitForURL((url) => !url.pathname.startsWith('/password'))
      expect(new URL(executor.page.url()).pathname).not.toBe('/profile/2fa')
      await executor.page.getByRole('button', { name: 'Выйти' }).click()
      await executor.page.waitForURL((url) => url.pathname === '/login')

      // The link is spent; the password is what signs in from now on.
      // (Asked outside the browser: a 410 page is the console error a journey must not have otherwise.)
      const spent = await fetch(link)
      expect(spent.status).toBe(410)
      expect(await spent.text()).toContain('уже использована')
      await executor.page.goto(`${base}/login`)
      await executor.page.getByLabel('Логин').fill('smirnov')
      await executor.page.getByLabel('Пароль').fill(EXECUTOR_PASSWORD)
      await executor.page.getByRole('button', { name: 'Войти' }).click()
      await executor.page.waitForURL((url) => !url.pathname.startsWith('/login'))
      await screenshot(executor.page, JOURNEY, '04-executor-signed-in')
      executor.expectClean()
      for (const open of [admin, executor]) await open.context.close()

      // Every step is in the journal, in order, and the chain verifies.
      const rows = await withFileDatabase(env, (db) =>
        db.selectFrom('audit_log').select('action').orderBy('id').execute(),
      )
      const actions = rows.map((r) => r.action).filter((a) => !a.endsWith('.view') && !a.endsWith('.list'))
      expect(actions).toEqual([
        'user.create_admin',
        'auth.login',
        'auth.totp_enroll_begin',
        'auth.totp_enroll',
        'consent.text_publish',
        'consent.give',
        'user.create',
        'user.password_link.create',
        'user.password_set',
        'consent.give',
        'auth.login',
        'auth.logout',
        'auth.login',
      ])
      const verified = await helpdesk(env, ['audit', 'verify'])
      expect(verified.code, verified.stdout + verified.stderr).toBe(0)
    },
    120_000,
  )
})
