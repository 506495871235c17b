import { Hono } from 'hono'
import { idParam } from '#src/api/validate.ts'
import { nowDate } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { parseId } from '#src/format/ids.ts'
import { answerAccessRequest, downloadRequestDocument } from '#src/pdn/export-subject-data.ts'
import { extendSubjectRequest } from '#src/pdn/extend-subject-request.ts'
import { registerSubjectRequest } from '#src/pdn/register-subject-request.ts'
import { setSubjectRequestStatus } from '#src/pdn/set-subject-request-status.ts'
import { viewSubjectRequest, viewSubjectRequests } from '#src/pdn/view-subject-requests.ts'
import { calendarToday } from '#src/pdn/working-days.ts'
import { shownName } from '#src/users/blocking.ts'
import { attempt, onlyWith, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { t } from './i18n.ts'
import { requireSession } from './session.ts'
import {
  type RequestForm,
  requestOutcomes,
  SubjectRequestPage,
  SubjectRequestsPage,
} from './views/subject-requests.tsx'

/**
 * /pdn/requests (admin): a person's requests about their data (152-ФЗ ст. 14, 20, 21): the register with the
 * days left, a request's page with its answer, the extension and, for access, the answer's documents.
 */
export function subjectRequestRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.use(onlyWith('subject_request.manage', 'Запросы субъектов'))

  routes.get('/', async (c) => renderList(c, { outcome: outcome(c) }))

  routes.post('/', async (c) => {
    const form = await readForm(c)
    const typed = {
      kind: form.text('kind', 50),
      subject: form.text('subject', 20),
      received_on: form.text('received_on', 20),
      channel: form.text('channel', 50),
      comment: form.text('comment', 5_000),
    }
    let id: number | undefined
    const refused = await attempt(
      async () => {
        const subjectId = parseId(typed.subject)
        if (subjectId === undefined) throw new DomainError('validation', t('Выберите человека'))
        const request = await registerSubjectRequest(c.get('deps').db, c.get('actor'), {
          kind: typed.kind ?? '',
          channel: typed.channel ?? '',
          subjectId,
          receivedOn: typed.received_on ?? '',
          comment: typed.comment ?? null,
        })
        id = request.id
      },
      (message) => renderList(c, { error: message, form: typed }),
    )
    return refused ?? c.redirect(`/pdn/requests/${id}?done=created`, 303)
  })

  routes.get('/:id', async (c) => renderRequest(c, idParam(c), { outcome: outcome(c) }))

  routes.post('/:id/status', async (c) => {
    const requestId = idParam(c)
    const form = await readForm(c)
    return act(c, requestId, 'status', 'status', () =>
      setSubjectRequestStatus(c.get('deps').db, c.get('actor'), {
        requestId,
        status: form.text('status', 50) ?? '',
        answer: form.text('answer', 20_000) ?? null,
        answeredOn: form.text('answered_on', 20) ?? null,
      }),
    )
  })

  routes.post('/:id/extend', async (c) => {
    const requestId = idParam(c)
    const form = await readForm(c)
    return act(c, requestId, 'extend', 'extended', () =>
      extendSubjectRequest(c.get('deps').db, c.get('actor'), { requestId, reason: form.text('reason', 2_000) ?? '' }),
    )
  })

  routes.post('/:id/answer-documents', async (c) => {
    const requestId = idParam(c)
    const { db, config } = c.get('deps')
    return act(c, requestId, 'documents', 'documents', () =>
      answerAccessRequest(db, c.get('actor'), { requestId, dataDir: config.dataDir, timeZone: config.tzDisplay }),
    )
  })

  routes.get('/:id/documents/:doc', async (c) => {
    const requestId = idParam(c)
    const documentId = parseId(c.req.param('doc'))
    if (documentId === undefined) throw new DomainError('not_found', 'Документ не найден')
    const doc = await downloadRequestDocument(c.get('deps').db, c.get('actor'), { requestId, documentId })
    c.header('content-type', doc.mime_type)
    c.header('content-disposition', `attachment; filename="${doc.file_name}"`)
    c.header('cache-control', 'no-store')
    c.header('x-content-type-options', 'nosniff')
    return c.body(new Uint8Array(doc.content))
  })

  return routes
}

function outcome(c: WebContext): string | undefined {
  const code = c.req.query('done')
  return code !== undefined && Object.hasOwn(requestOutcomes, code) ? t(requestOutcomes[code] ?? '') : undefined
}

async function act(c: WebContext, requestId: number, form: RequestForm, done: string, run: () => Promise<unknown>) {
  const refused = await attempt(run, (message) => renderRequest(c, requestId, { errors: { [form]: message } }, 422))
  return refused ?? c.redirect(`/pdn/requests/${requestId}?done=${done}`, 303)
}

async function renderList(
  c: WebContext,
  extras: { outcome?: string | undefined; error?: string; form?: Record<string, string | undefined> },
) {
  const { db } = c.get('deps')
  const items = await viewSubjectRequests(db, c.get('actor'))
  const people = await db
    .selectFrom('users')
    .select(['id', shownName('users').as('name')])
    .where('pseudonymised_at', 'is', null)
    .execute()
  const collator = new Intl.Collator('ru')
  return c.html(
    <SubjectRequestsPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      items={items}
      people={people.sort((a, b) => collator.compare(a.name, b.name))}
      today={calendarToday(nowDate())}
      outcome={extras.outcome}
      error={extras.error}
      form={extras.form}
    />,
    extras.error ? 422 : 200,
  )
}

async function renderRequest(
  c: WebContext,
  requestId: number,
  extras: { outcome?: string | undefined; errors?: Partial<Record<RequestForm, string>> },
  status: 200 | 422 = 200,
) {
  const { db, config } = c.get('deps')
  const detail = await viewSubjectRequest(db, c.get('actor'), requestId)
  return c.html(
    <SubjectRequestPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      detail={detail}
      today={calendarToday(nowDate())}
      tz={config.tzDisplay}
      outcome={extras.outcome}
      errors={extras.errors}
    />,
    status,
  )
}
