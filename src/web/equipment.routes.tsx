import { Hono } from 'hono'
import type { AppDeps } from '#src/api/env.ts'
import { idParam } from '#src/api/validate.ts'
import { type EquipmentStatus, equipmentStatuses, type Messenger } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { listDepartments } from '#src/departments/department-store.ts'
import { createEquipment } from '#src/equipment/create-equipment.ts'
import { findResponsible, loadEquipment } from '#src/equipment/equipment-access.ts'
import { equipmentFailures } from '#src/equipment/equipment-failures.ts'
import type { EquipmentRow } from '#src/equipment/equipment-store.ts'
import { listEquipment } from '#src/equipment/list-equipment.ts'
import { printStickers } from '#src/equipment/print-stickers.ts'
import { setTicketEquipment } from '#src/equipment/set-ticket-equipment.ts'
import { type StickerLayout, stickerLayouts } from '#src/equipment/stickers.ts'
import { updateEquipment } from '#src/equipment/update-equipment.ts'
import { viewEquipment } from '#src/equipment/view-equipment.ts'
import { writeOffEquipment } from '#src/equipment/write-off-equipment.ts'
import { DomainError, isDomainError } from '#src/errors.ts'
import { parseId } from '#src/format/ids.ts'
import { addDays, localDay, validDay } from '#src/format/zone-days.ts'
import { equipmentColumns } from '#src/import/columns.ts'
import { importFile } from '#src/import/import-file.ts'
import { MAX_IMPORT_BYTES } from '#src/import/read-table.ts'
import { templateXlsx } from '#src/import/templates.ts'
import { keepUpload, takeUpload } from '#src/import/upload-store.ts'
import { getSetting } from '#src/settings/settings.ts'
import { XLSX_TYPE } from '#src/stats/workbook.ts'
import { can } from '#src/users/permissions.ts'
import { attempt, FormProblem, onlyWith, outcomeOf, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { msg, t } from './i18n.ts'
import { requireSession } from './session.ts'
import { contentDisposition } from './ticket-files.routes.tsx'
import {
  EquipmentCardPage,
  EquipmentFormPage,
  EquipmentImportPage,
  EquipmentListPage,
  type EquipmentQuery,
  type EquipmentValues,
  FailuresPage,
} from './views/equipment.tsx'

const outcomes: Record<string, string> = {
  created: msg('Оборудование добавлено'),
  saved: msg('Изменения сохранены'),
  written_off: msg('Оборудование списано'),
}

/**
 * /equipment («Оборудование», issue 14; IT staff): the registry, a device's card with its tickets, add and edit,
 * stickers (PDF), the failures report; writing off and the import are the curators' and admins'.
 */
export function equipmentRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.use(onlyWith('equipment.use', 'Оборудование'))

  routes.get('/', async (c) => {
    const query = listQuery(c)
    const { db } = c.get('deps')
    const list = await listEquipment(db, c.get('actor'), {
      q: query.q,
      departmentId: query.department,
      status: query.status,
      page: query.page,
    })
    return c.html(
      <EquipmentListPage
        user={c.get('user')}
        csrf={c.get('csrf')}
        list={list}
        query={query}
        departments={await listDepartments(db, { activeOnly: true })}
        manage={can(c.get('actor'), 'equipment.manage')}
        outcome={outcomeOf(c, outcomes)}
      />,
    )
  })

  routes.get('/new', async (c) =>
    renderForm(c, undefined, {
      inventoryNumber: '',
      kind: '',
      model: '',
      serial: '',
      department: '',
      room: '',
      responsible: '',
      status: 'in_service',
    }),
  )

  routes.post('/', async (c) => {
    const values = await formValues(c)
    let created: EquipmentRow | undefined
    const refused = await attempt(
      async () => {
        const { db } = c.get('deps')
        created = await createEquipment(db, c.get('actor'), {
          ...fields(values),
          responsibleId: await responsibleOf(c, values.responsible),
        })
      },
      (message) => renderForm(c, undefined, values, message),
    )
    return refused ?? c.redirect(`/equipment/${created?.id ?? ''}?done=created`, 303)
  })

  routes.get('/failures', async (c) => {
    const tz = c.get('deps').config.tzDisplay
    const today = localDay(Date.now(), tz)
    const to = validDay(c.req.query('to')) ?? today
    const from = validDay(c.req.query('from')) ?? addDays(to, -89)
    const report = await equipmentFailures(c.get('deps').db, c.get('actor'), { from, to, timeZone: tz })
    return c.html(<FailuresPage user={c.get('user')} csrf={c.get('csrf')} report={report} />)
  })

  routes.get('/stickers.pdf', async (c) => {
    const deps = c.get('deps')
    const layout: StickerLayout = stickerLayouts.find((l) => String(l) === c.req.query('layout')) ?? 24
    const id = parseId(c.req.query('id'))
    const query = listQuery(c)
    const requisites = await getSetting(deps.db, 'org.requisites')
    const start = c.req.query('start')?.trim()
    const pdf = await printStickers(deps.db, c.get('actor'), {
      layout,
      // Typed by a person: anything but a whole number is refused by the use case with the range in Russian.
      firstLabel: start === undefined || start === '' ? 1 : /^\d{1,3}$/.test(start) ? Number(start) : Number.NaN,
      ids: id === undefined ? undefined : [id],
      filter: { q: query.q, departmentId: query.department, status: query.status },
      ...(await stickerBot(deps)),
      baseUrl: deps.config.baseUrl,
      author: requisites.shortName,
    })
    c.header('content-type', 'application/pdf')
    c.header('content-disposition', contentDisposition('attachment', `equipment-stickers-${layout}.pdf`))
    c.header('x-content-type-options', 'nosniff')
    c.header('cache-control', 'no-store')
    return c.body(new Uint8Array(pdf))
  })

  routes.get('/import', onlyWith('equipment.manage', 'Импорт оборудования'), (c) => renderImport(c))

  routes.get('/import/template.xlsx', onlyWith('equipment.manage', 'Импорт оборудования'), async (c) => {
    c.header('content-type', XLSX_TYPE)
    c.header('content-disposition', contentDisposition('attachment', 'import-equipment.xlsx'))
    c.header('x-content-type-options', 'nosniff')
    return c.body(new Uint8Array(await templateXlsx('equipment')))
  })

  routes.post('/import/preview', onlyWith('equipment.manage', 'Импорт оборудования'), async (c) => {
    const body = await c.req.parseBody()
    const file = body.file
    if (!(file instanceof File) || (file.size === 0 && file.name === '')) return renderImport(c, t('Выберите файл'))
    if (file.size > MAX_IMPORT_BYTES) return renderImport(c, t('Файл больше 10 МБ — разделите его на части'))
    const upload = { fileName: file.name, bytes: new Uint8Array(await file.arrayBuffer()) }
    const { db } = c.get('deps')
    try {
      const result = await importFile(db, c.get('actor'), { kind: 'equipment', file: upload, dryRun: true })
      const uploadKey = result.counts.bad === 0 ? await keepUpload(db, c.get('user').id, 'equipment', upload) : ''
      return c.html(
        <EquipmentImportPage
          user={c.get('user')}
          csrf={c.get('csrf')}
          columns={columnList()}
          result={result}
          uploadKey={uploadKey}
        />,
        result.counts.bad === 0 ? 200 : 422,
      )
    } catch (error) {
      if (isDomainError(error) && error.code === 'validation') return renderImport(c, error.message)
      throw error
    }
  })

  routes.post('/import/confirm', onlyWith('equipment.manage', 'Импорт оборудования'), async (c) => {
    const form = await readForm(c)
    const { db } = c.get('deps')
    const upload = await takeUpload(db, c.get('user').id, form.text('key', 100) ?? '')
    if (upload?.kind !== 'equipment') {
      return renderImport(c, t('Проверенный файл не найден или устарел (хранится 30 минут) — загрузите его снова'))
    }
    const result = await importFile(db, c.get('actor'), { kind: 'equipment', file: upload.file, dryRun: false })
    return c.html(
      <EquipmentImportPage user={c.get('user')} csrf={c.get('csrf')} columns={columnList()} result={result} done />,
      result.applied ? 200 : 422,
    )
  })

  routes.get('/:id', async (c) => renderCard(c, idParam(c)))

  routes.get('/:id/edit', async (c) => {
    const { device } = await viewEquipment(c.get('deps').db, c.get('actor'), { id: idParam(c) })
    if (device.status === 'written_off') throw new DomainError('not_found', 'Оборудование списано')
    return renderForm(c, device, {
      inventoryNumber: device.inventory_number,
      kind: device.kind,
      model: device.model ?? '',
      serial: device.serial ?? '',
      department: device.department_id === null ? '' : String(device.department_id),
      room: device.room ?? '',
      responsible: device.responsible_name ?? '',
      status: device.status,
    })
  })

  routes.post('/:id', async (c) => {
    const id = idParam(c)
    const { db } = c.get('deps')
    const values = await formValues(c)
    // Not a read of the card (no `equipment.view` in the journal, no tickets): only what the form showed, to
    // compare; nothing of it goes back to the browser. updateEquipment checks the rights and journals the change.
    const device = await loadEquipment(db, id)
    const refused = await attempt(
      async () => {
        // The person's name as the form showed it is no change; anything else is looked up again.
        const responsibleId =
          values.responsible.trim() === (device.responsible_name ?? '')
            ? device.responsible_id
            : await responsibleOf(c, values.responsible)
        await updateEquipment(db, c.get('actor'), { id, ...fields(values), responsibleId })
      },
      (message) => renderForm(c, device, values, message),
    )
    return refused ?? c.redirect(`/equipment/${id}?done=saved`, 303)
  })

  routes.post('/:id/write-off', onlyWith('equipment.manage', 'Списание оборудования'), async (c) => {
    const id = idParam(c)
    const refused = await attempt(
      () => writeOffEquipment(c.get('deps').db, c.get('actor'), { id }),
      (message) => renderCard(c, id, message),
    )
    return refused ?? c.redirect(`/equipment/${id}?done=written_off`, 303)
  })

  return routes
}

/**
 * POST /tickets/:id/equipment: staff say which device a ticket is about, by its inventory number (empty: none).
 * Mounted before the ticket routes; back to the ticket, or its page with the refusal beside the panel.
 */
export function ticketEquipmentRoutes(
  renderTicketRefusal: (c: WebContext, ticketId: number, message: string) => Promise<Response>,
): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.post('/:id/equipment', requireSession, async (c) => {
    const ticketId = idParam(c)
    const form = await readForm(c)
    const typed = form.text('inventory_number', 200)?.trim() ?? ''
    const refused = await attempt(
      () =>
        setTicketEquipment(c.get('deps').db, c.get('actor'), {
          ticketId,
          ...(typed === '' ? { equipmentId: null } : { inventoryNumber: typed }),
        }),
      (message) => renderTicketRefusal(c, ticketId, message),
      { forbiddenBeside: true },
    )
    return refused ?? c.redirect(`/tickets/${ticketId}`, 303)
  })
  return routes
}

function listQuery(c: WebContext): EquipmentQuery {
  const status = c.req.query('status')
  const page = Number(c.req.query('page') ?? '1')
  return {
    q: (c.req.query('q') ?? '').replaceAll('\u0000', '').slice(0, 200),
    department: parseId(c.req.query('department')),
    status: equipmentStatuses.find((s): s is EquipmentStatus => s === status),
    page: Number.isInteger(page) && page >= 1 && page <= 10_000 ? page : 1,
  }
}

async function formValues(c: WebContext): Promise<EquipmentValues> {
  const form = await readForm(c)
  const field = (name: string, max: number) => form.text(name, max) ?? ''
  return {
    inventoryNumber: field('inventory_number', 200),
    kind: field('kind', 400),
    model: field('model', 800),
    serial: field('serial', 400),
    department: field('department', 12),
    room: field('room', 800),
    responsible: field('responsible', 400),
    status: field('status', 20) || 'in_service',
  }
}

function fields(values: EquipmentValues) {
  const department = values.department === '' ? null : parseId(values.department)
  if (department === undefined) throw new FormProblem(t('Выберите отделение из списка'))
  return {
    inventoryNumber: values.inventoryNumber,
    kind: values.kind,
    model: values.model,
    serial: values.serial,
    departmentId: department,
    room: values.room,
    status: values.status,
  }
}

/** The person typed in «Ответственный»: by табельный номер, or by ФИО when exactly one active account has it. */
async function responsibleOf(c: WebContext, typed: string): Promise<number | null> {
  if (typed.trim() === '') return null
  return findResponsible(c.get('deps').db, typed)
}

async function renderForm(c: WebContext, device: EquipmentRow | undefined, values: EquipmentValues, error?: string) {
  return c.html(
    <EquipmentFormPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      device={device}
      values={values}
      departments={await listDepartments(c.get('deps').db, { activeOnly: true })}
      error={error}
    />,
    error ? 422 : 200,
  )
}

async function renderCard(c: WebContext, id: number, error?: string) {
  const { db, config } = c.get('deps')
  const view = await viewEquipment(db, c.get('actor'), { id })
  return c.html(
    <EquipmentCardPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      view={view}
      manage={can(c.get('actor'), 'equipment.manage')}
      now={now()}
      tz={config.tzDisplay}
      outcome={outcomeOf(c, outcomes)}
      error={error}
    />,
    error ? 422 : 200,
  )
}

function columnList(): string {
  return equipmentColumns.map((col) => (col.required ? `${col.header}*` : col.header)).join('; ')
}

function renderImport(c: WebContext, error?: string) {
  return c.html(
    <EquipmentImportPage user={c.get('user')} csrf={c.get('csrf')} columns={columnList()} error={error} />,
    error ? 422 : 200,
  )
}

/**
 * Which bot a sticker's QR opens: Telegram's, or MAX's where the hospital prefers MAX or runs only MAX (issue 15);
 * none known: the web form.
 */
async function stickerBot(deps: AppDeps): Promise<{ botUsername: string | undefined; messenger: Messenger }> {
  const telegram = deps.config.telegramBotUsername ?? deps.botUsername?.()
  const max = deps.config.max?.enabled ? deps.maxBotUsername?.() : undefined
  const preferred = await getSetting(deps.db, 'messenger.preferred')
  if (max && (preferred === 'max' || !telegram)) return { botUsername: max, messenger: 'max' }
  return { botUsername: telegram, messenger: 'telegram' }
}
