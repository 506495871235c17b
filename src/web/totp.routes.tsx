import { Hono } from 'hono'
import QRCode from 'qrcode'
import { beginTotp } from '#src/users/begin-totp.ts'
import { confirmTotp } from '#src/users/confirm-totp.ts'
import { disableTotp } from '#src/users/disable-totp.ts'
import { attempt, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { requireSession } from './session.ts'
import { TotpPage, type TotpViewProps } from './views/totp.tsx'

/** /profile/2fa: one's own TOTP enrolment (QR, confirmation, recovery codes once) and turning it off. */
export function totpRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)

  routes.get('/', (c) => render(c, { done: c.req.query('done') }))

  routes.post('/begin', async (c) => {
    const { db, config } = c.get('deps')
    let enrolment: TotpViewProps['enrolment']
    const refused = await attempt(
      async () => {
        const begun = await beginTotp(db, c.get('actor'), config.secretKey)
        // Server-rendered SVG: the secret never leaves for a QR service.
        enrolment = { secret: begun.secret, qrSvg: await QRCode.toString(begun.otpauthUrl, { type: 'svg', margin: 2 }) }
      },
      (message) => render(c, { error: message }, 422),
    )
    return refused ?? render(c, { enrolment })
  })

  routes.post('/confirm', async (c) => {
    const { db, config } = c.get('deps')
    const form = await readForm(c)
    let codes: string[] | undefined
    const refused = await attempt(
      async () => {
        codes = await confirmTotp(db, c.get('actor'), config.secretKey, form.text('code', 32) ?? '')
      },
      (message) => render(c, { error: message }, 422),
    )
    return refused ?? render(c, { recoveryCodes: codes })
  })

  routes.post('/disable', async (c) => {
    const { db, config } = c.get('deps')
    const form = await readForm(c)
    const refused = await attempt(
      () =>
        disableTotp(db, c.get('actor'), {
          code: form.text('code', 32) ?? '',
          secretKey: config.secretKey,
          requiredRoles: config.require2fa ?? [],
        }),
      (message) => render(c, { error: message }, 422),
      { forbiddenBeside: true },
    )
    return refused ?? c.redirect('/profile/2fa?done=off', 303)
  })
  return routes
}

async function render(
  c: WebContext,
  extras: Pick<TotpViewProps, 'enrolment' | 'recoveryCodes' | 'error' | 'done'>,
  status: 200 | 422 = 200,
) {
  const { db, config } = c.get('deps')
  // The row as it is now: the session's copy predates what this request changed.
  const user = await db.selectFrom('users').selectAll().where('id', '=', c.get('user').id).executeTakeFirstOrThrow()
  // A secret or recovery codes on the page: never cached.
  c.header('cache-control', 'no-store')
  return c.html(
    <TotpPage user={user} csrf={c.get('csrf')} required={(config.require2fa ?? []).includes(user.role)} {...extras} />,
    status,
  )
}
