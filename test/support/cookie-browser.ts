import { expect } from 'vitest'
import type { testApp } from './api.ts'

type App = ReturnType<typeof testApp>['app']

/** What answers the browser's requests: the in-process app, or a server over HTTP (`overHttp`). */
interface HttpRequester {
  request(target: string, init: RequestInit): Promise<Response>
}
type Requester = Pick<App, 'request'> | HttpRequester

/** A server process at `base`, asked as a browser would (redirects are the browser's to follow). */
export function overHttp(base: string): HttpRequester {
  return { request: (target: string, init: RequestInit) => fetch(`${base}${target}`, { ...init, redirect: 'manual' }) }
}

/** A browser's cookie jar over the in-process app or a real server: enough for the login, code and consent pages. */
export class CookieBrowser {
  jar = new Map<string, string>()
  readonly app: Requester
  readonly userAgent: string | undefined

  constructor(app: Requester, userAgent?: string) {
    this.app = app
    this.userAgent = userAgent
  }

  get cookie() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  async request(target: string, init: RequestInit = {}) {
    const response = await this.app.request(target, {
      ...init,
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: this.cookie,
        ...(this.userAgent ? { 'user-agent': this.userAgent } : {}),
      },
    })
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const [name = '', value = ''] = pair.split('=')
      if (/Max-Age=0/i.test(line) || value === '') this.jar.delete(name)
      else this.jar.set(name, value)
    }
    return { status: response.status, location: response.headers.get('location'), text: await response.text() }
  }

  post(target: string, fields: Record<string, string>) {
    return this.request(target, {
      method: 'POST',
      body: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
  }
}

/** The CSRF token of the first form of a page. */
export function csrfOf(html: string): string {
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''
}

/**
 * An account made on the console signs in with its password and gives, once, the consent every web account
 * gives at its first sign-in; then the ticket list opens.
 */
export async function signInFirstTime(browser: CookieBrowser, login: string, password: string): Promise<void> {
  const form = await browser.request('/login')
  const step = await browser.post('/login', { _csrf: csrfOf(form.text), login, password })
  expect(step.status).toBe(303)
  const consent = await browser.request('/consent')
  const text = /name="text" value="(\d+)"/.exec(consent.text)?.[1] ?? ''
  expect(text).not.toBe('')
  expect((await browser.post('/consent/agree', { _csrf: csrfOf(consent.text), text })).status).toBe(303)
  expect((await browser.request('/tickets')).status).toBe(200)
}
