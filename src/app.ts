import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { requestId } from 'hono/request-id'
import { secureHeaders } from 'hono/secure-headers'
import { createApi } from '#src/api/api.ts'
import type { AppDeps, AppEnv } from '#src/api/env.ts'
import { apiNotFound, handleError } from '#src/api/errors.ts'
import type { UpdateApplier } from '#src/bot/apply-update.ts'
import { telegramWebhookHandler, WEBHOOK_PATH, webhookSecretOf } from '#src/bot/webhook.ts'
import { ping } from '#src/db/database.ts'
import { migrationsCurrent } from '#src/db/migrate.ts'
import { diskHasRoom } from '#src/db/unavailable.ts'
import type { MaxUpdate } from '#src/max/max-types.ts'
import { MAX_WEBHOOK_BODY_LIMIT, MAX_WEBHOOK_PATH, maxWebhookHandler, maxWebhookSecretOf } from '#src/max/start-max.ts'
import { metricsAccess } from '#src/metrics/access.ts'
import { createMetrics } from '#src/metrics/metrics.ts'
import { createWeb, webNotFound } from '#src/web/web.tsx'

export type { AppDeps } from '#src/api/env.ts'

/** The largest Telegram update the webhook reads. */
const WEBHOOK_BODY_LIMIT = 1024 * 1024

/** Parts that exist only when the bot runs (main.ts creates them). */
export interface AppExtras {
  /** The bot's update applier: mounts POST /telegram/webhook when TELEGRAM_MODE=webhook. */
  telegram?: { applier: UpdateApplier; ready: () => boolean }
  /** The MAX bot's applier: mounts POST /max/webhook when MAX_MODE=webhook (issue 15). */
  max?: { applier: UpdateApplier<MaxUpdate>; ready: () => boolean }
}

/**
 * The HTTP application: health probes, the JSON API at /api/v1, and (later) the web UI.
 * Every response carries strict security headers and an X-Request-Id; logs name the request id,
 * method, path and status, never a body or a query string.
 */
export function createApp(deps: AppDeps, extras: AppExtras = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const metrics = createMetrics({ db: deps.db })
  const mayReadMetrics = metricsAccess(deps.config)

  app.use(requestId({ limitLength: 64 }))
  app.use(metrics.observe)
  app.use(async (c, next) => {
    const log = deps.logger.child({ reqId: c.get('requestId') })
    c.set('deps', deps)
    c.set('log', log)
    const started = performance.now()
    await next()
    log.info(
      {
        method: c.req.method,
        path: loggablePath(c.req.path),
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    )
  })
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      // The pages use none of these; a page that is somehow injected cannot ask for them either.
      permissionsPolicy: {
        camera: [],
        microphone: [],
        geolocation: [],
        payment: [],
        usb: [],
        serial: [],
        bluetooth: [],
        displayCapture: [],
      },
      strictTransportSecurity: deps.config.baseUrl.startsWith('https:') ? 'max-age=15552000; includeSubDomains' : false,
    }),
  )

  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  app.get('/readyz', async (c) => {
    const ready = (await ping(deps.db)) && (await migrationsCurrent(deps.db).catch(() => false))
    if (!ready) return c.json({ status: 'unavailable', reason: 'database' }, 503)
    // Reads would still work, but an instance that cannot save a ticket should not be sent people.
    if (!(await diskHasRoom(deps.config.dataDir))) return c.json({ status: 'unavailable', reason: 'disk_full' }, 503)
    return c.json({ status: 'ready' })
  })

  // Prometheus: from METRICS_ALLOW or with METRICS_TOKEN; anyone else gets the ordinary 404 page.
  app.get('/metrics', async (c) => {
    if (!mayReadMetrics(c)) return c.notFound()
    const { body, contentType } = await metrics.scrape()
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' })
  })

  app.route('/api/v1', createApi())
  app.route('/', createWeb(deps))

  if (extras.telegram && deps.config.telegram.enabled && deps.config.telegram.mode === 'webhook') {
    app.post(
      WEBHOOK_PATH,
      // An update is a few KB (a 4 096-character text with a quoted one); the check comes before the read.
      bodyLimit({ maxSize: WEBHOOK_BODY_LIMIT, onError: (c) => c.text('Payload Too Large', 413) }),
      telegramWebhookHandler({
        applier: extras.telegram.applier,
        ready: extras.telegram.ready,
        secret: webhookSecretOf(deps.config),
        logger: deps.logger,
      }),
    )
  }

  if (extras.max && deps.config.max?.enabled && deps.config.max.mode === 'webhook') {
    app.post(
      MAX_WEBHOOK_PATH,
      bodyLimit({ maxSize: MAX_WEBHOOK_BODY_LIMIT, onError: (c) => c.text('Payload Too Large', 413) }),
      maxWebhookHandler({
        applier: extras.max.applier,
        ready: extras.max.ready,
        secret: maxWebhookSecretOf(deps.config),
      }),
    )
  }

  app.notFound((c) => (c.req.path.startsWith('/api/') ? apiNotFound(c) : webNotFound(c)))
  app.onError(handleError)
  return app
}

/**
 * A path fit for the log: the secret of a one-time link (/login/telegram/<token>, /password/set/<token>)
 * is cut out.
 */
export function loggablePath(path: string): string {
  return path
    .replace(/^\/login\/telegram\/[^/]+/, '/login/telegram/…')
    .replace(/^\/password\/set\/[^/]+/, '/password/set/…')
}
