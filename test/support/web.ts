import type { Hono } from 'hono'
import type { AppEnv } from '#src/api/env.ts'
import type { Db, User } from '#src/db/schema.ts'
import { createSession, SESSION_COOKIE } from '#src/users/sessions.ts'
import { csrfToken } from '#src/web/csrf.ts'
import { testConfig } from './api.ts'
import { buildUser, type UserOverrides } from './factories.ts'

/**
 * A person signed into the web: a real session row, its cookie and its CSRF token (as the pages embed it).
 * Logging in through the form is tested on its own; the other tests start signed in.
 */
export interface WebUser {
  user: User
  cookie: string
  csrf: string
}

export async function webUser(db: Db, overrides: UserOverrides = {}): Promise<WebUser> {
  const user = await buildUser(db, { status: 'active', ...overrides })
  return signIn(db, user)
}

export async function signIn(db: Db, user: User): Promise<WebUser> {
  const session = await createSession(db, user.id, { ip: null, userAgent: 'test' })
  return {
    user,
    cookie: `${SESSION_COOKIE}=${session.token}`,
    csrf: csrfToken(testConfig().secretKey, session.sessionId),
  }
}

export interface PageResult {
  status: number
  headers: Headers
  text: string
  /** Where a redirect points. */
  location: string | null
}

async function result(response: Response): Promise<PageResult> {
  return {
    status: response.status,
    headers: response.headers,
    text: await response.text(),
    location: response.headers.get('location'),
  }
}

/** What a browser asks for when it navigates to a page (a script's fetch asks for anything at all). */
const PAGE_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'

/** A page as a browser navigates to it; `headers` may say otherwise (an `accept` of a fetch, `hx-request`). */
export async function getPage(
  app: Hono<AppEnv>,
  path: string,
  who?: WebUser,
  headers: Record<string, string> = {},
): Promise<PageResult> {
  return result(
    await app.request(path, {
      headers: { accept: PAGE_ACCEPT, ...(who ? { cookie: who.cookie } : {}), ...headers },
    }),
  )
}

export interface PostOptions {
  /** The CSRF token to send; null sends none. Default: the person's own. */
  csrf?: string | null
  headers?: Record<string, string>
}

/** A form submission as a browser sends it. */
export async function postForm(
  app: Hono<AppEnv>,
  path: string,
  who: WebUser | undefined,
  fields: Record<string, string> = {},
  options: PostOptions = {},
): Promise<PageResult> {
  const body = new URLSearchParams(fields)
  const token = options.csrf === undefined ? who?.csrf : options.csrf
  if (token !== null && token !== undefined) body.set('_csrf', token)
  return result(
    await app.request(path, {
      method: 'POST',
      body: body.toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(who ? { cookie: who.cookie } : {}),
        ...options.headers,
      },
    }),
  )
}

/** Problems of a page body against our CSP rules: inline style attributes or inline scripts. */
export function inlineProblems(html: string): string[] {
  const problems: string[] = []
  if (/\sstyle\s*=/i.test(html)) problems.push('style= attribute')
  if (/<style[\s>]/i.test(html)) problems.push('<style> element')
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (!/\ssrc=/.test(match[1] ?? '') || (match[2] ?? '').trim() !== '') problems.push('inline <script>')
  }
  if (/<[a-z][^>]*\son[a-z]+\s*=/i.test(html)) problems.push('inline event handler')
  return problems
}
