import { Readable } from 'node:stream'
import { Hono } from 'hono'
import { idParam } from '#src/api/validate.ts'
import type { StoredFile } from '#src/attachments/file-store.ts'
import { openStoredFile } from '#src/attachments/file-store.ts'
import { withStoredFiles } from '#src/attachments/held-files.ts'
import { consentFormPdf } from '#src/documents/consent-form.ts'
import { DomainError } from '#src/errors.ts'
import { checkScan, MAX_SCAN_BYTES } from '#src/users/consent-scan.ts'
import { recordPaperConsent, withdrawConsentOnPaper } from '#src/users/paper-consent.ts'
import { listUserConsents, viewConsentScan } from '#src/users/user-consents.ts'
import { attempt, FormProblem, onlyWith, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { t } from './i18n.ts'
import { requireSession } from './session.ts'
import { contentDisposition } from './ticket-files.routes.tsx'
import { type UserConsentForm, UserConsentPage } from './views/consent.tsx'

/**
 * /users/:id/consent — a person's consent (admin; issue 10): the history with its evidence, «бумажное
 * согласие» with a scan, a withdrawal on the person's written statement, the scans, and the printable
 * written-consent form («Бланк согласия (PDF)»). Mounted before /users, whose pages are the admin's too.
 */
export function userConsentRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  // Each route names its guards: this app is mounted on /users beside the users' own pages.
  const adminOnly = onlyWith('user.manage', 'Пользователи')

  routes.get('/:id/consent', requireSession, adminOnly, (c) =>
    renderConsents(c, idParam(c), { done: c.req.query('done') }),
  )

  routes.post('/:id/consent/paper', requireSession, adminOnly, async (c) => {
    const userId = idParam(c)
    const form = await readForm(c)
    const scan = await uploadedScan(c)
    return act(c, userId, 'paper', 'paper', async () => {
      if (!scan) throw new FormProblem(t('Загрузите скан подписанного согласия'))
      await withScan(c, scan, (stored) =>
        recordPaperConsent(c.get('deps').db, c.get('actor'), {
          userId,
          signedOn: form.text('signed_on', 20) ?? '',
          scan: stored,
        }),
      )
    })
  })

  routes.post('/:id/consent/withdraw', requireSession, adminOnly, async (c) => {
    const userId = idParam(c)
    const form = await readForm(c)
    const scan = await uploadedScan(c)
    const input = { userId, reason: form.text('reason', 2000) ?? '', withdrawnOn: form.text('withdrawn_on', 20) ?? '' }
    return act(c, userId, 'withdraw', 'withdrawn', async () => {
      const { db } = c.get('deps')
      if (!scan) return withdrawConsentOnPaper(db, c.get('actor'), input)
      return withScan(c, scan, (stored) => withdrawConsentOnPaper(db, c.get('actor'), { ...input, scan: stored }))
    })
  })

  routes.get('/:id/consent/form.pdf', requireSession, adminOnly, async (c) => {
    const { bytes, fileName } = await consentFormPdf(c.get('deps').db, c.get('actor'), idParam(c))
    c.header('content-type', 'application/pdf')
    c.header('content-disposition', contentDisposition('attachment', fileName))
    c.header('x-content-type-options', 'nosniff')
    return c.body(new Uint8Array(bytes))
  })

  routes.get('/:id/consent/:recordId/scan', requireSession, adminOnly, async (c) => {
    const { db, config } = c.get('deps')
    const scan = await viewConsentScan(db, c.get('actor'), { userId: idParam(c), recordId: idParam(c, 'recordId') })
    const stream = await openStoredFile(config.dataDir, scan.sha256)
    if (!stream) throw new DomainError('not_found', 'Файл не найден')
    // A scan is always a download: a PDF or an image of someone's signature is not rendered from our origin.
    c.header('content-type', 'application/octet-stream')
    c.header('content-disposition', contentDisposition('attachment', scan.fileName))
    c.header('x-content-type-options', 'nosniff')
    c.header('cache-control', 'no-store')
    return c.body(Readable.toWeb(stream) as ReadableStream<Uint8Array>)
  })

  return routes
}

/** The form's `scan` file, or undefined when none was chosen. */
async function uploadedScan(c: WebContext): Promise<File | undefined> {
  const body = await c.req.parseBody()
  const file = body.scan
  return file instanceof File && (file.size > 0 || file.name !== '') ? file : undefined
}

/**
 * Checks the scan by its content, stores it like the tickets' files, and runs the use case; a refusal takes
 * the stored file back off the disk (attachments/held-files.ts).
 */
async function withScan<T>(c: WebContext, file: File, use: (stored: StoredFile) => Promise<T>): Promise<T> {
  if (file.size > MAX_SCAN_BYTES) throw new FormProblem(t('Скан больше 10 МБ — загрузите файл поменьше'))
  const bytes = new Uint8Array(await file.arrayBuffer())
  const checked = await checkScan({ bytes, fileName: file.name })
  const { db, config } = c.get('deps')
  return withStoredFiles(db, config.dataDir, [{ bytes, ...checked }], ([stored]) => {
    if (!stored) throw new Error('the scan was not stored')
    return use({ ...stored, mimeType: checked.mimeType })
  })
}

async function act(
  c: WebContext,
  userId: number,
  form: UserConsentForm,
  done: string,
  run: () => Promise<unknown>,
): Promise<Response> {
  const refused = await attempt(run, (message) => renderConsents(c, userId, { errors: { [form]: message } }, 422))
  return refused ?? c.redirect(`/users/${userId}/consent?done=${done}`, 303)
}

async function renderConsents(
  c: WebContext,
  userId: number,
  extras: { errors?: Partial<Record<UserConsentForm, string>>; done?: string | undefined },
  status: 200 | 422 = 200,
) {
  const { db, config } = c.get('deps')
  const { records, current } = await listUserConsents(db, c.get('actor'), userId)
  const person = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow()
  return c.html(
    <UserConsentPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      person={person}
      records={records}
      current={current}
      errors={extras.errors}
      done={extras.done}
      tz={config.tzDisplay}
    />,
    status,
  )
}
