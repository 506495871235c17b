import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { expect } from 'vitest'
import type { Config } from '#src/config.ts'
import { createLogger } from '#src/logger.ts'
import { type Running, serve } from '#src/main.ts'

/**
 * Browser journeys (TESTING.md): Debian's chromium, driven by playwright-core, against the real server
 * on 127.0.0.1 with a fresh data folder. Any console error or CSP violation fails a journey
 * (`expectClean`). Screenshots go to test-results/screenshots/<journey>/.
 */

export const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
/** In CI a missing browser fails the journeys (TESTING.md); elsewhere they are skipped with a reason. */
export const runJourneys = hasChromium || process.env.CI === 'true'
export const JOURNEY_PASSWORD = 'пароль-для-теста-2026'
const SCREENSHOTS = path.join(import.meta.dirname, '../../test-results/screenshots')

if (!hasChromium && process.env.CI !== 'true') {
  process.stderr.write(`web journeys skipped: ${CHROMIUM} is absent (apt-get install -y chromium)\n`)
}

export interface JourneyServer {
  running: Running
  browser: Browser
  base: string
  dataDir: string
  stop(): Promise<void>
}

/** A real server on a fresh data folder (SQLite) and a headless chromium. */
export async function startJourneyServer(overrides: Partial<Config> = {}): Promise<JourneyServer> {
  if (!hasChromium) throw new Error(`${CHROMIUM} is required in CI: apt-get install -y chromium`)
  const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-e2e-'))
  const config: Config = Object.freeze({
    dataDir,
    database: { kind: 'sqlite', file: path.join(dataDir, 'helpdesk.sqlite') },
    host: '127.0.0.1',
    port: 0,
    baseUrl: 'http://127.0.0.1',
    tzDisplay: 'Europe/Moscow',
    logLevel: 'silent',
    telegram: { enabled: false },
    auditKey: 'e2e-audit-key-0123456789abcdef0123456789abcdef',
    secretKey: 'e2e-secret-key-0123456789abcdef0123456789abcdef',
    workerEnabled: false,
    ...overrides,
  } satisfies Config)
  const running = await serve(config, createLogger('silent'), { handleSignals: false, shutdownGraceMs: 0 })
  const browser = await launchBrowser()
  return {
    running,
    browser,
    base: running.url,
    dataDir,
    async stop() {
      await browser.close()
      await running.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Debian's headless chromium, in Russian, with nothing of its own going to the network. */
export function launchBrowser(): Promise<Browser> {
  if (!hasChromium) throw new Error(`${CHROMIUM} is required in CI: apt-get install -y chromium`)
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
      '--lang=ru-RU',
    ],
  })
}

export interface OpenPage {
  context: BrowserContext
  page: Page
  /** Fails on any console error, page error or CSP violation seen so far. */
  expectClean(): void
}

export const desktop = { width: 1366, height: 768 }
export const phone = { width: 390, height: 844 }

/** A new browser context (its own cookies) with one page, watched for console errors and CSP violations. */
export async function openPage(browser: Browser, viewport = desktop): Promise<OpenPage> {
  const context = await browser.newContext({
    viewport,
    locale: 'ru-RU',
    timezoneId: 'Europe/Moscow',
    acceptDownloads: true,
  })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) {
      problems.push(`console: ${message.text()}`)
    }
  })
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
  return { context, page, expectClean: () => expect(problems).toEqual([]) }
}

/** Signs in through the login form and waits to leave it. */
export async function signInAs(page: Page, base: string, login: string, password = JOURNEY_PASSWORD): Promise<void> {
  await page.goto(`${base}/login`)
  await page.getByLabel('Логин').fill(login)
  await page.getByLabel('Пароль').fill(password)
  await page.getByRole('button', { name: 'Войти' }).click()
  await page.waitForURL((url) => !url.pathname.startsWith('/login'))
}

/**
 * A full-page screenshot in test-results/screenshots/<journey>/<name>.png. Chromium now and then refuses one
 * capture («Unable to capture screenshot») and takes the same picture when asked again: asked up to three times.
 */
export async function screenshot(page: Page, journey: string, name: string): Promise<void> {
  const folder = path.join(SCREENSHOTS, journey)
  mkdirSync(folder, { recursive: true })
  for (let attempt = 1; ; attempt++) {
    try {
      await page.screenshot({ path: path.join(folder, `${name}.png`), fullPage: true })
      return
    } catch (error) {
      if (attempt === 3 || !String(error).includes('Unable to capture screenshot')) throw error
      await page.waitForTimeout(250)
    }
  }
}
