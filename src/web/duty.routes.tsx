import { Hono } from 'hono'
import { idParam } from '#src/api/validate.ts'
import { now } from '#src/db/time.ts'
import { createShift } from '#src/duty/create-shift.ts'
import { deleteShift } from '#src/duty/delete-shift.ts'
import { loadShift } from '#src/duty/duty-access.ts'
import { mondayOf, shiftEnd, wallTimeToUtc } from '#src/duty/duty-rules.ts'
import { type DutyShiftRow, dutyCandidates } from '#src/duty/duty-store.ts'
import { listShifts } from '#src/duty/list-shifts.ts'
import { whoIsOnDuty } from '#src/duty/on-duty.ts'
import { updateShift } from '#src/duty/update-shift.ts'
import { isDomainError } from '#src/errors.ts'
import { addDays, dayStartUtc, localDay, validDay } from '#src/format/zone-days.ts'
import { listGroups } from '#src/groups/group-store.ts'
import { dutyColumns } from '#src/import/columns.ts'
import { importFile } from '#src/import/import-file.ts'
import { MAX_IMPORT_BYTES } from '#src/import/read-table.ts'
import { templateXlsx } from '#src/import/templates.ts'
import { keepUpload, takeUpload } from '#src/import/upload-store.ts'
import { isWorkingDay } from '#src/pdn/working-days.ts'
import { XLSX_TYPE } from '#src/stats/workbook.ts'
import { can } from '#src/users/permissions.ts'
import { attempt, FormProblem, onlyWith, outcomeOf, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { msg, t } from './i18n.ts'
import { requireSession } from './session.ts'
import { contentDisposition } from './ticket-files.routes.tsx'
import {
  type DutyDay,
  DutyImportPage,
  DutyPage,
  type ShiftFormProps,
  ShiftPage,
  type ShiftValues,
} from './views/duty.tsx'

const outcomes: Record<string, string> = {
  created: msg('Смена добавлена'),
  saved: msg('Изменения сохранены'),
  deleted: msg('Смена удалена'),
  imported: msg('Импорт выполнен'),
}

/**
 * /duty («Дежурства»): IT staff see the week's roster per group and who is on duty now; curators and admins add,
 * change (a swap is a change of the person), delete and import shifts. Times are the wall clock of TZ_DISPLAY.
 */
export function dutyRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.use(onlyWith('duty.view', 'Дежурства'))
  const manageOnly = onlyWith('duty.manage', 'Дежурства: изменение')

  routes.get('/', async (c) => renderWeek(c))

  // Before `/:id`, which would take «import».
  routes.get('/import', manageOnly, (c) => renderImport(c))

  routes.get('/import/template.xlsx', manageOnly, async (c) => {
    c.header('content-type', XLSX_TYPE)
    c.header('content-disposition', contentDisposition('attachment', 'import-duty.xlsx'))
    c.header('x-content-type-options', 'nosniff')
    return c.body(new Uint8Array(await templateXlsx('duty')))
  })

  routes.post('/import/preview', manageOnly, async (c) => {
    const body = await c.req.parseBody()
    const file = body.file
    if (!(file instanceof File) || (file.size === 0 && file.name === '')) return renderImport(c, t('Выберите файл'))
    if (file.size > MAX_IMPORT_BYTES) return renderImport(c, t('Файл больше 10 МБ — разделите его на части'))
    const upload = { fileName: file.name, bytes: new Uint8Array(await file.arrayBuffer()) }
    const { db } = c.get('deps')
    try {
      const result = await importFile(db, c.get('actor'), { kind: 'duty', file: upload, dryRun: true })
      const uploadKey = result.counts.bad === 0 ? await keepUpload(db, c.get('user').id, 'duty', upload) : ''
      return c.html(
        <DutyImportPage
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

  routes.post('/import/confirm', manageOnly, async (c) => {
    const form = await readForm(c)
    const { db } = c.get('deps')
    const upload = await takeUpload(db, c.get('user').id, form.text('key', 100) ?? '')
    if (upload?.kind !== 'duty') {
      return renderImport(c, t('Проверенный файл не найден или устарел (хранится 30 минут) — загрузите его снова'))
    }
    const result = await importFile(db, c.get('actor'), { kind: 'duty', file: upload.file, dryRun: false })
    return c.html(
      <DutyImportPage user={c.get('user')} csrf={c.get('csrf')} columns={columnList()} result={result} done />,
      result.applied ? 200 : 422,
    )
  })

  routes.post('/', manageOnly, async (c) => {
    const values = await formValues(c)
    const { db, config } = c.get('deps')
    let week = ''
    const refused = await attempt(
      async () => {
        const input = shiftInput(values, config.tzDisplay)
        const shift = await createShift(db, c.get('actor'), input)
        week = mondayOf(localDay(shift.starts_at, config.tzDisplay))
      },
      (message) => renderWeek(c, { values, error: message, week: validDay(values.day) }),
    )
    return refused ?? c.redirect(`/duty?week=${week}&done=created`, 303)
  })

  routes.get('/:id', manageOnly, async (c) => renderShift(c, idParam(c)))

  routes.post('/:id', manageOnly, async (c) => {
    const id = idParam(c)
    const values = await formValues(c)
    const { db, config } = c.get('deps')
    let week = ''
    const refused = await attempt(
      async () => {
        const input = shiftInput(values, config.tzDisplay)
        const shift = await updateShift(db, c.get('actor'), { id, ...input })
        week = mondayOf(localDay(shift.starts_at, config.tzDisplay))
      },
      (message) => renderShift(c, id, { values, error: message }),
    )
    return refused ?? c.redirect(`/duty?week=${week}&done=saved#shift-${id}`, 303)
  })

  routes.post('/:id/delete', manageOnly, async (c) => {
    const id = idParam(c)
    const { db, config } = c.get('deps')
    const shift = await loadShift(db, id)
    await deleteShift(db, c.get('actor'), { id })
    return c.redirect(`/duty?week=${mondayOf(localDay(shift.starts_at, config.tzDisplay))}&done=deleted`, 303)
  })

  return routes
}

function columnList(): string {
  return dutyColumns.map((col) => (col.required ? `${col.header}*` : col.header)).join('; ')
}

function renderImport(c: WebContext, error?: string) {
  return c.html(
    <DutyImportPage user={c.get('user')} csrf={c.get('csrf')} columns={columnList()} error={error} />,
    error ? 422 : 200,
  )
}

async function formValues(c: WebContext): Promise<ShiftValues> {
  const form = await readForm(c)
  const text = (name: string, max: number) => form.text(name, max) ?? ''
  return {
    groupId: text('group_id', 12),
    userId: text('user_id', 12),
    day: text('day', 10),
    from: text('from', 5),
    to: text('to', 5),
    kind: text('kind', 10) || 'other',
    note: text('note', 1200),
  }
}

function shiftInput(values: ShiftValues, tz: string) {
  const groupId = Number(values.groupId)
  const userId = Number(values.userId)
  if (!Number.isSafeInteger(groupId) || groupId <= 0) throw new FormProblem(t('Выберите группу'))
  if (!Number.isSafeInteger(userId) || userId <= 0) throw new FormProblem(t('Выберите дежурного'))
  const startsAt = wallTimeToUtc(values.day, values.from, tz)
  const endsAt = shiftEnd(values.day, values.from, values.to, tz)
  if (startsAt === undefined || endsAt === undefined) {
    throw new FormProblem(t('Укажите день и время смены: начало и конец в виде ЧЧ:ММ'))
  }
  return { groupId, userId, startsAt, endsAt, kind: values.kind, note: values.note }
}

function valuesOf(shift: DutyShiftRow, tz: string): ShiftValues {
  const clock = (iso: string) =>
    new Intl.DateTimeFormat('ru-RU', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
      new Date(iso),
    )
  return {
    groupId: String(shift.group_id),
    userId: String(shift.user_id),
    day: localDay(shift.starts_at, tz),
    from: clock(shift.starts_at),
    to: clock(shift.ends_at),
    kind: shift.kind,
    note: shift.note ?? '',
  }
}

async function formProps(
  c: WebContext,
  values: ShiftValues,
  options: { shiftId?: number; back: string; error?: string | undefined },
): Promise<ShiftFormProps> {
  const { db, config } = c.get('deps')
  const groups = (await listGroups(db)).filter((g) => Number(g.active) === 1)
  return {
    csrf: c.get('csrf'),
    values,
    groups: groups.map((g) => ({ id: g.id, name: g.name })),
    people: await dutyCandidates(db),
    tz: config.tzDisplay,
    shiftId: options.shiftId,
    back: options.back,
    error: options.error,
  }
}

async function renderWeek(
  c: WebContext,
  state: { values?: ShiftValues; error?: string; week?: string | undefined } = {},
) {
  const { db, config } = c.get('deps')
  const tz = config.tzDisplay
  const actor = c.get('actor')
  const asked = state.week ?? validDay(c.req.query('week'))
  const week = mondayOf(asked ?? localDay(now(), tz))
  const days: DutyDay[] = Array.from({ length: 7 }, (_, i) => {
    const day = addDays(week, i)
    return { day, off: isWorkingDay(day) ? null : i >= 5 ? 'weekend' : 'holiday' }
  })
  const groups = (await listGroups(db)).filter((g) => Number(g.active) === 1)
  const shifts = await listShifts(db, actor, { from: dayStartUtc(week, tz), to: dayStartUtc(addDays(week, 7), tz) })
  const manage = can(actor, 'duty.manage')
  const blank: ShiftValues = { groupId: '', userId: '', day: week, from: '08:00', to: '20:00', kind: 'day', note: '' }
  return c.html(
    <DutyPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      tz={tz}
      week={week}
      prevWeek={addDays(week, -7)}
      nextWeek={addDays(week, 7)}
      days={days}
      groups={groups.map((g) => ({ id: g.id, name: g.name }))}
      shifts={shifts}
      onDuty={await whoIsOnDuty(db)}
      manage={manage}
      form={
        manage
          ? await formProps(c, state.values ?? blank, { back: `/duty?week=${week}`, error: state.error })
          : undefined
      }
      outcome={outcomeOf(c, outcomes)}
    />,
    state.error ? 422 : 200,
  )
}

async function renderShift(c: WebContext, id: number, state: { values?: ShiftValues; error?: string } = {}) {
  const { db, config } = c.get('deps')
  const shift = await loadShift(db, id)
  const week = mondayOf(localDay(shift.starts_at, config.tzDisplay))
  const form = await formProps(c, state.values ?? valuesOf(shift, config.tzDisplay), {
    shiftId: shift.id,
    back: `/duty?week=${week}`,
    error: state.error,
  })
  return c.html(
    <ShiftPage user={c.get('user')} csrf={c.get('csrf')} shift={shift} form={form} />,
    state.error ? 422 : 200,
  )
}
