import { afterAll, beforeAll } from 'vitest'
import type { Db, User } from '#src/db/schema.ts'
import { hashPassword } from '#src/users/passwords.ts'
import { inLanguage, type Language, t } from '#src/web/i18n.ts'
import { JOURNEY_PASSWORD, type JourneyServer, runJourneys, startJourneyServer } from './browser.ts'
import { buildConsent, buildUser, type UserOverrides } from './factories.ts'

/**
 * What every browser journey file repeats: one server (and chromium) for the enclosing `describe`,
 * started only where journeys run and stopped after its tests. Call the returned function inside a
 * `test.runIf(runJourneys)` to get the server. `seed` fills its database once, before the first test; `overrides`
 * change its settings (the worker, for one).
 */
export function useJourneyServer(
  seed?: (db: Db) => Promise<void>,
  overrides: Parameters<typeof startJourneyServer>[0] = {},
): () => JourneyServer {
  let server: JourneyServer | undefined

  beforeAll(async () => {
    if (!runJourneys) return
    server = await startJourneyServer(overrides)
    await seed?.(server.running.db)
  }, 60_000)

  afterAll(async () => {
    await server?.stop()
  })

  return () => {
    if (!server) throw new Error('the journey server did not start')
    return server
  }
}

let passwordHash: Promise<string> | undefined

/**
 * A person who signs in on the login form as `login` with JOURNEY_PASSWORD (hashed once per file), having
 * consented already: the consent page at a first sign-in is the newcomer journey's.
 */
export async function buildSignInUser(db: Db, login: string, overrides: UserOverrides = {}): Promise<User> {
  passwordHash ??= hashPassword(JOURNEY_PASSWORD)
  const user = await buildUser(db, { ...overrides, login, passwordHash: await passwordHash })
  await buildConsent(db, user.id)
  return user
}

/** The pages of the web a journey walks through as an admin (each section of the navigation, a ticket, its form). */
export const MAIN_PAGES: readonly string[] = [
  '/',
  '/tickets',
  '/tickets/1',
  '/tickets/new',
  '/stats',
  '/users',
  '/audit',
  '/profile',
  '/registrations',
  '/categories',
  '/departments',
  '/groups',
  '/macros',
  '/equipment',
  '/equipment/failures',
  '/kb',
  '/plans',
  '/duty',
  '/approvals',
  '/outages',
  '/tickets/1/outage',
  '/notifications',
  '/tickets/views',
]

/** The journeys' two languages: each runs as a Russian and as an English-speaking person (their profile's). */
export const LANGUAGES: readonly Language[] = ['ru', 'en']

/** A page's text in this language, as the server renders it (`t()` over the same catalogue). */
export function inLanguageOf(language: Language): (text: string, params?: Record<string, string | number>) => string {
  return (text, params) => inLanguage(language, () => t(text, params))
}
