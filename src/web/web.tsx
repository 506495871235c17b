import { type Context, Hono } from 'hono'
import { compress } from 'hono/compress'
import { getCookie } from 'hono/cookie'
import type { AppDeps, AppEnv } from '#src/api/env.ts'
import type { User } from '#src/db/schema.ts'
import { outageOf } from '#src/db/unavailable.ts'
import { isDomainError } from '#src/errors.ts'
import type { LoginThrottle } from '#src/users/login-throttle.ts'
import { resolveSession, SESSION_COOKIE } from '#src/users/sessions.ts'
import { apiTokenRoutes } from './api-tokens.routes.tsx'
import { approvalRoutes, approvalTicketRoutes, departmentHeadRoutes } from './approvals.routes.tsx'
import { auditRoutes } from './audit.routes.tsx'
import { authRoutes } from './auth.routes.tsx'
import { webBodyLimit } from './body-limit.ts'
import { categoryRoutes } from './categories.routes.tsx'
import { consentRoutes } from './consent.routes.tsx'
import { consentTextRoutes } from './consent-texts.routes.tsx'
import { csrfToken } from './csrf.ts'
import { dashboardRoutes } from './dashboard.routes.tsx'
import { departmentRoutes } from './departments.routes.tsx'
import { dutyRoutes } from './duty.routes.tsx'
import { equipmentRoutes } from './equipment.routes.tsx'
import { groupRoutes } from './groups.routes.tsx'
import { inLanguage, type Language, t } from './i18n.ts'
import { knowledgeRoutes } from './knowledge.routes.tsx'
import { liveListRoutes } from './live-list.routes.tsx'
import { macroRoutes } from './macros.routes.tsx'
import { maxLinkRoutes } from './max-link.routes.tsx'
import { notificationRoutes } from './notifications.routes.tsx'
import { outageNoticeRoutes } from './outage-notices.routes.tsx'
import { outageRoutes, outageTicketRoutes } from './outages.routes.tsx'
import { errorPage, notFoundPage, refusedPage, unavailablePage } from './pages.tsx'
import { passwordSetRoutes } from './password-set.routes.tsx'
import { accessListRoutes, pdnHubRoutes } from './pdn-access.routes.tsx'
import { destructionActRoutes, destructionRoutes } from './pdn-destruction.routes.tsx'
import { peopleRoutes } from './people.routes.tsx'
import { planRoutes } from './plans.routes.tsx'
import { profileRoutes } from './profile.routes.tsx'
import { registrationRoutes } from './registrations.routes.tsx'
import { settingsRoutes } from './settings.routes.tsx'
import { staticRoutes } from './static.ts'
import { statsRoutes } from './stats.routes.tsx'
import { subjectRequestRoutes } from './subject-requests.routes.tsx'
import { telegramLinkRoutes } from './telegram-link.routes.tsx'
import { telegramLoginRoutes } from './telegram-login.routes.tsx'
import { ticketWatchRoutes } from './ticket-watch.routes.tsx'
import { ticketRoutes } from './tickets.routes.tsx'
import { totpRoutes } from './totp.routes.tsx'
import { unreadableForm } from './unreadable-form.ts'
import { userConsentRoutes } from './user-consent.routes.tsx'
import { newUserRoutes } from './user-new.routes.tsx'
import { userRoutes } from './users.routes.tsx'
import { usersImportRoutes } from './users-import.routes.tsx'

export interface WebOptions {
  /** The per-IP login throttle (the process's own unless given). */
  throttle?: LoginThrottle
}

/**
 * The web interface, mounted at `/` by the app: server-rendered pages (hono/jsx), htmx and our small
 * script from /static. Every route parses, calls a use case and presents; a refusal is shown in Russian.
 */
export function createWeb(_deps: AppDeps, options: WebOptions = {}): Hono<AppEnv> {
  const web = new Hono<AppEnv>()
  // Every page and asset gzipped (a list of 50 rows: ~60 KB of HTML, ~8 KB on the wire — old PCs on a busy
  // LAN feel it). Event streams and images are left alone by compress() itself.
  web.use(compress())
  // Before any route parses a form (issue 8, item 3): 64 KB, or 50 MB for the two forms with files.
  web.use(webBodyLimit)
  web.route('/static', staticRoutes())
  // Staff land on their dashboard, a requester on their tickets.
  web.route('/', dashboardRoutes())
  web.route('/', authRoutes(options.throttle))
  web.route('/login/telegram', telegramLoginRoutes())
  web.route('/password/set', passwordSetRoutes())
  // Issue 13: «Следить» and the live list's rows, before the ticket routes (each route checks the session itself).
  web.route('/tickets', ticketWatchRoutes())
  web.route('/tickets', liveListRoutes())
  // Issue 14: «Массовый сбой» on a ticket (its form and the declaration), before the ticket routes.
  web.route('/tickets', outageTicketRoutes())
  // Issue 14: «Согласовать» / «Отклонить» a ticket awaiting approval, before the ticket routes.
  web.route('/tickets', approvalTicketRoutes())
  web.route('/tickets', ticketRoutes())
  web.route('/notifications', notificationRoutes())
  web.route('/people', peopleRoutes())
  web.route('/stats', statsRoutes())
  // Issue 10: a person's own consent, the consent texts (curators), a person's consents (admin, before /users).
  web.route('/consent', consentRoutes())
  web.route('/settings/consent', consentTextRoutes())
  web.route('/users', userConsentRoutes())
  web.route('/users/new', newUserRoutes())
  web.route('/users/import', usersImportRoutes())
  web.route('/users', userRoutes())
  web.route('/audit', auditRoutes())
  web.route('/pdn/requests', subjectRequestRoutes())
  web.route('/profile/2fa', totpRoutes())
  web.route('/profile/tokens', apiTokenRoutes())
  web.route('/profile/telegram', telegramLinkRoutes())
  web.route('/profile/max', maxLinkRoutes())
  web.route('/profile/outage-notices', outageNoticeRoutes())
  web.route('/profile', profileRoutes())
  web.route('/registrations', registrationRoutes())
  web.route('/categories', categoryRoutes())
  // Issue 14: a department's head, who approves its access requests (before the departments' own routes).
  web.route('/departments', departmentHeadRoutes())
  web.route('/departments', departmentRoutes())
  web.route('/groups', groupRoutes())
  web.route('/macros', macroRoutes())
  // Issue 14: «Оборудование» (the registry, stickers, failures, import).
  web.route('/equipment', equipmentRoutes())
  // Issue 14: «База знаний», for everyone signed in (writing for IT staff).
  web.route('/kb', knowledgeRoutes())
  web.route('/plans', planRoutes())
  // Issue 14: «На согласовании», the tickets awaiting the person's decision.
  web.route('/approvals', approvalRoutes())
  // Issue 14: «Дежурства» (the roster, who is on duty now).
  web.route('/duty', dutyRoutes())
  web.route('/outages', outageRoutes())
  web.route('/pdn/destruction', destructionRoutes())
  web.route('/pdn/acts', destructionActRoutes())
  // Issue 10: settings (after /settings/consent) and the «ПДн» hub with the list of people with access.
  web.route('/settings', settingsRoutes())
  web.route('/pdn/access-list', accessListRoutes())
  web.route('/pdn', pdnHubRoutes())

  web.onError(async (error, c) => {
    const outage = outageOf(error)
    if (outage) {
      c.get('log').error({ err: error, path: c.req.path, outage }, 'unavailable')
      // Without the database the session cannot be read (and trying would wait for the pool's timeout).
      const { user, csrf, language } = outage === 'database' ? { language: 'ru' as const } : await visitorOf(c)
      c.header('retry-after', '10')
      return inLanguage(language, () => c.html(unavailablePage(outage, user, csrf), 503))
    }
    const { user, csrf, language } = await visitorOf(c)
    if (isDomainError(error) && (error.code === 'not_found' || error.code === 'forbidden')) {
      return inLanguage(language, () => c.html(notFoundPage(user, csrf), 404))
    }
    // A refusal of the input that no form caught (a report's period, a date in the address): said, not a 500.
    if (isDomainError(error) && error.code === 'validation') {
      return inLanguage(language, () => c.html(refusedPage(t(error.message), user, csrf), 422))
    }
    // A form body that cannot be parsed (a broken multipart) is the client's fault: said, not a 500.
    if (await unreadableForm(c)) {
      const message = () => t('Форма пришла повреждённой: обновите страницу и отправьте её снова')
      return inLanguage(language, () => c.html(refusedPage(message(), user, csrf), 400))
    }
    c.get('log').error({ err: error, path: c.req.path }, 'unhandled error')
    return inLanguage(language, () => c.html(errorPage(user, csrf), 500))
  })
  return web
}

/** The app's not-found answer for a path outside the API: the web's page, with the person's navigation. */
export async function webNotFound(c: Context<AppEnv>): Promise<Response> {
  const { user, csrf, language } = await visitorOf(c)
  c.header('cache-control', 'no-store')
  return inLanguage(language, () => c.html(notFoundPage(user, csrf), 404))
}

/**
 * The person behind a request that escaped (or never reached) `requireSession`: they keep their
 * navigation and language on an error page; nobody signed in gets the bare page in Russian.
 */
export async function visitorOf(c: Context<AppEnv>): Promise<{ user?: User; csrf?: string; language: Language }> {
  const { db, config } = c.get('deps')
  const token = getCookie(c, SESSION_COOKIE)
  const session = token ? await resolveSession(db, token).catch(() => undefined) : undefined
  if (!session) return { language: 'ru' }
  return {
    user: session.user,
    csrf: csrfToken(config.secretKey, session.sessionId),
    language: session.user.language,
  }
}
