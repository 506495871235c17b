import { Hono } from 'hono'
import { DomainError, isDomainError } from '#src/errors.ts'
import { type ImportKind, importKinds } from '#src/import/columns.ts'
import { importFile } from '#src/import/import-file.ts'
import { MAX_IMPORT_BYTES } from '#src/import/read-table.ts'
import { templateCsv, templateXlsx } from '#src/import/templates.ts'
import { keepUpload, takeUpload } from '#src/import/upload-store.ts'
import { XLSX_TYPE } from '#src/stats/workbook.ts'
import { onlyWith } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { t } from './i18n.ts'
import { requireSession } from './session.ts'
import { contentDisposition } from './ticket-files.routes.tsx'
import { ImportDonePage, ImportPage, ImportPreviewPage } from './views/users-import.tsx'

/**
 * «Пользователи → Импорт» (admin; issue 11): upload a CSV or XLSX, see the dry run row by row, then
 * «Импортировать». The file is kept server-side under a random key between the two (import/upload-store.ts),
 * so the rows imported are the rows previewed; every form carries the CSRF token like any other. Mounted
 * before /users, whose `/:id` would otherwise take «import».
 */
export function usersImportRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession, onlyWith('user.create', 'Импорт'))

  routes.get('/', (c) =>
    c.html(<ImportPage user={c.get('user')} csrf={c.get('csrf')} kind={kindOf(c.req.query('kind'))} />),
  )

  routes.get('/template/:name', async (c) => {
    const match = /^([a-z]+)\.(csv|xlsx)$/.exec(c.req.param('name'))
    const kind = importKinds.find((k) => k === match?.[1])
    if (!match || kind === undefined) throw new DomainError('not_found', 'Не найдено')
    const fileName = `import-${kind}.${match[2]}`
    c.header('content-disposition', contentDisposition('attachment', fileName))
    c.header('x-content-type-options', 'nosniff')
    if (match[2] === 'csv') {
      c.header('content-type', 'text/csv; charset=utf-8')
      return c.body(templateCsv(kind))
    }
    c.header('content-type', XLSX_TYPE)
    return c.body(new Uint8Array(await templateXlsx(kind)))
  })

  routes.post('/preview', async (c) => {
    const body = await c.req.parseBody()
    const kind = kindOf(typeof body.kind === 'string' ? body.kind : undefined)
    const file = body.file
    const refuse = (message: string) =>
      c.html(<ImportPage user={c.get('user')} csrf={c.get('csrf')} kind={kind} error={message} />, 422)
    if (!(file instanceof File) || (file.size === 0 && file.name === '')) return refuse(t('Выберите файл'))
    if (file.size > MAX_IMPORT_BYTES) return refuse(t('Файл больше 10 МБ — разделите его на части'))
    const upload = { fileName: file.name, bytes: new Uint8Array(await file.arrayBuffer()) }
    const { db } = c.get('deps')
    const actor = c.get('actor')
    try {
      const result = await importFile(db, actor, { kind, file: upload, dryRun: true })
      const uploadKey = result.counts.bad === 0 ? await keepUpload(db, c.get('user').id, kind, upload) : ''
      return c.html(
        <ImportPreviewPage user={c.get('user')} csrf={c.get('csrf')} result={result} uploadKey={uploadKey} />,
      )
    } catch (error) {
      if (isDomainError(error) && error.code === 'validation') return refuse(error.message)
      throw error
    }
  })

  routes.post('/confirm', async (c) => {
    const form = await readForm(c)
    const { db } = c.get('deps')
    const upload = await takeUpload(db, c.get('user').id, form.text('key', 100) ?? '')
    if (!upload) {
      return c.html(
        <ImportPage
          user={c.get('user')}
          csrf={c.get('csrf')}
          kind="users"
          error={t('Проверенный файл не найден или устарел (хранится 30 минут) — загрузите его снова')}
        />,
        422,
      )
    }
    const result = await importFile(db, c.get('actor'), { kind: upload.kind, file: upload.file, dryRun: false })
    return c.html(
      <ImportDonePage user={c.get('user')} csrf={c.get('csrf')} result={result} />,
      result.applied ? 200 : 422,
    )
  })

  return routes
}

function kindOf(value: string | undefined): ImportKind {
  return importKinds.find((k) => k === value) ?? 'users'
}
