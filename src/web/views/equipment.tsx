import type { Department, EquipmentStatus, User } from '#src/db/schema.ts'
import type { FailuresReport } from '#src/equipment/equipment-failures.ts'
import { INVENTORY_MAX, KIND_MAX, MODEL_MAX, ROOM_MAX, SERIAL_MAX } from '#src/equipment/equipment-rules.ts'
import type { EquipmentRow } from '#src/equipment/equipment-store.ts'
import type { EquipmentPage as ListPage } from '#src/equipment/list-equipment.ts'
import type { ReportedEquipment } from '#src/equipment/reported-equipment.ts'
import type { EquipmentView } from '#src/equipment/view-equipment.ts'
import type { ImportResult } from '#src/import/import-file.ts'
import { msg, t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import {
  CardForm,
  CsrfField,
  DangerZone,
  DateRange,
  Empty,
  Fact,
  FilterButtons,
  FormError,
  Notice,
  PageHead,
  Pager,
  StatusBadge,
  When,
} from './parts.tsx'
import { SectionImportSteps } from './users-import.tsx'

/** «Оборудование» (issue 14): the registry, a device's card, its form, the failures report, the import. */

export const equipmentStatusText: Record<EquipmentStatus, string> = {
  in_service: msg('В эксплуатации'),
  in_repair: msg('В ремонте'),
  written_off: msg('Списано'),
}

/** A state's colour: the tickets' status colours (in service as resolved, in repair as in progress, written off as closed). */
const equipmentStatusColour: Record<EquipmentStatus, string> = {
  in_service: 'status--resolved',
  in_repair: 'status--in_progress',
  written_off: 'status--closed',
}

/** The status with its colour and, always, its words. */
export function EquipmentStatusBadge(props: { status: EquipmentStatus }) {
  return (
    <span class={`badge equipment-status equipment-status--${props.status} ${equipmentStatusColour[props.status]}`}>
      {t(equipmentStatusText[props.status])}
    </span>
  )
}

export interface EquipmentQuery {
  q: string
  department: number | undefined
  status: EquipmentStatus | undefined
  page: number
}

/** The list's address with this query (and page), as the filters and the pager write it. */
function equipmentHref(query: EquipmentQuery, page: number): string {
  const params = new URLSearchParams()
  if (query.q !== '') params.set('q', query.q)
  if (query.department !== undefined) params.set('department', String(query.department))
  if (query.status !== undefined) params.set('status', query.status)
  if (page > 1) params.set('page', String(page))
  const search = params.toString()
  return search === '' ? '/equipment' : `/equipment?${search}`
}

export function EquipmentListPage(props: {
  user: User
  csrf: string
  list: ListPage
  query: EquipmentQuery
  departments: Department[]
  manage: boolean
  outcome?: string | undefined
}) {
  const { list, query } = props
  return (
    <Layout title={t('Оборудование')} user={props.user} csrf={props.csrf} section="equipment">
      <PageHead title={t('Оборудование')}>
        <a class="button" href="/equipment/failures">
          {t('Отказы')}
        </a>
        {props.manage ? (
          <a class="button" href="/equipment/import">
            {t('Импорт')}
          </a>
        ) : null}
        <a class="button button--primary" href="/equipment/new">
          {t('Добавить')}
        </a>
      </PageHead>
      <Notice>{props.outcome}</Notice>
      <form class="filters" method="get" action="/equipment" aria-label={t('Отбор оборудования')}>
        <div class="filters__grid">
          <label class="field">
            <span>{t('Поиск')}</span>
            <input
              type="search"
              name="q"
              value={query.q}
              maxlength={200}
              placeholder={t('Инвентарный номер, модель или серийный номер')}
            />
          </label>
          <label class="field">
            <span>{t('Отделение')}</span>
            <select name="department">
              <option value="">{t('Любое')}</option>
              {props.departments.map((d) => (
                <option value={String(d.id)} selected={query.department === d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>{t('Состояние')}</span>
            <select name="status">
              <option value="">{t('В реестре (кроме списанного)')}</option>
              {(['in_service', 'in_repair', 'written_off'] as const).map((s) => (
                <option value={s} selected={query.status === s}>
                  {t(equipmentStatusText[s])}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div class="filters__actions">
          <FilterButtons reset="/equipment" submit={t('Найти')} />
        </div>
      </form>
      <p class="muted">{t('Найдено: {n}', { n: list.total })}</p>
      {list.rows.length === 0 ? (
        <Empty>
          {t('Нет оборудования по этим условиям.')} <a href="/equipment">{t('Сбросить фильтры')}</a>
        </Empty>
      ) : (
        <div class="table-wrap">
          <table class="tickets equipment-list">
            <thead>
              <tr>
                <th scope="col">{t('Инвентарный номер')}</th>
                <th scope="col">{t('Тип и модель')}</th>
                <th scope="col">{t('Серийный номер')}</th>
                <th scope="col">{t('Где стоит')}</th>
                <th scope="col">{t('Ответственный')}</th>
                <th scope="col" class="fit">
                  {t('Состояние')}
                </th>
              </tr>
            </thead>
            <tbody>
              {list.rows.map((d) => (
                <tr>
                  <td>
                    <a href={`/equipment/${d.id}`}>{d.inventory_number}</a>
                  </td>
                  <td>
                    {d.kind}
                    {d.model ? <span class="sub">{d.model}</span> : null}
                  </td>
                  <td>{d.serial ?? '—'}</td>
                  <td>
                    {d.department_name ?? '—'}
                    {d.room ? <span class="sub">{t('каб. {room}', { room: d.room })}</span> : null}
                  </td>
                  <td>{d.responsible_name ?? '—'}</td>
                  <td class="fit">
                    <EquipmentStatusBadge status={d.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={list.page} pages={list.pages} href={(page) => equipmentHref(query, page)} />
      {list.rows.length > 0 ? (
        <form method="get" action="/equipment/stickers.pdf" class="card stack" aria-labelledby="stickers-title">
          <h2 id="stickers-title">{t('Наклейки с QR-кодом')}</h2>
          <p class="muted">
            {t(
              'Для всего найденного выше (кроме списанного). QR открывает бота с новой заявкой об этом устройстве, а без бота — веб-форму.',
            )}
          </p>
          {query.q !== '' ? <input type="hidden" name="q" value={query.q} /> : null}
          {query.department !== undefined ? (
            <input type="hidden" name="department" value={String(query.department)} />
          ) : null}
          {query.status !== undefined ? <input type="hidden" name="status" value={query.status} /> : null}
          <StickerLayoutChoice />
          <div class="actions">
            <button type="submit" class="button">
              {t('Скачать PDF')}
            </button>
          </div>
        </form>
      ) : null}
    </Layout>
  )
}

function StickerLayoutChoice() {
  return (
    <>
      <label class="field">
        <span>{t('Лист А4')}</span>
        <select name="layout">
          <option value="24">{t('24 наклейки (70 × 37 мм)')}</option>
          <option value="65">{t('65 наклеек (38 × 21 мм)')}</option>
        </select>
      </label>
      <label class="field">
        <span>{t('Начать с наклейки №')}</span>
        <input name="start" type="number" min="1" max="65" value="1" inputmode="numeric" />
        <span class="hint">{t('Если с листа уже сняли наклейки: считая слева направо, сверху вниз')}</span>
      </label>
    </>
  )
}

export function EquipmentCardPage(props: {
  user: User
  csrf: string
  view: EquipmentView
  manage: boolean
  now: string
  tz: string
  outcome?: string | undefined
  error?: string | undefined
}) {
  const { device, tickets } = props.view
  const writtenOff = device.status === 'written_off'
  return (
    <Layout
      title={t('Оборудование № {number}', { number: device.inventory_number })}
      user={props.user}
      csrf={props.csrf}
      section="equipment"
    >
      <p class="crumbs">
        <a href="/equipment">{t('← Оборудование')}</a>
      </p>
      <PageHead title={`${device.kind}${device.model ? ` ${device.model}` : ''}`}>
        {writtenOff ? null : (
          <>
            <a class="button" href={`/tickets/new?equipment=${device.id}`}>
              {t('Новая заявка')}
            </a>
            <a class="button" href={`/equipment/${device.id}/edit`}>
              {t('Изменить')}
            </a>
          </>
        )}
      </PageHead>
      <Notice>{props.outcome}</Notice>
      <FormError message={props.error} />
      <section class="card">
        <dl class="facts">
          <Fact label={t('Инвентарный номер')} value={device.inventory_number} />
          <div>
            <dt>{t('Состояние')}</dt>
            <dd>
              <EquipmentStatusBadge status={device.status} />
            </dd>
          </div>
          <Fact label={t('Тип')} value={device.kind} />
          <Fact label={t('Модель')} value={device.model} />
          <Fact label={t('Серийный номер')} value={device.serial} />
          <Fact label={t('Отделение')} value={device.department_name} />
          <Fact label={t('Кабинет')} value={device.room} />
          <Fact label={t('Ответственный')} value={device.responsible_name} />
        </dl>
      </section>
      <section class="card stack" aria-labelledby="equipment-tickets">
        <h2 id="equipment-tickets">{t('Заявки по этому оборудованию')}</h2>
        {tickets.length === 0 ? (
          <p class="muted">{t('Заявок не было.')}</p>
        ) : (
          <div class="table-wrap">
            <table class="tickets">
              <thead>
                <tr>
                  <th scope="col" class="fit">
                    №
                  </th>
                  <th scope="col">{t('Тема')}</th>
                  <th scope="col" class="fit">
                    {t('Статус')}
                  </th>
                  <th scope="col" class="fit">
                    {t('Создана')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {tickets.map((ticket) => (
                  <tr>
                    <td class="fit">
                      <a href={`/tickets/${ticket.id}`}>{ticket.id}</a>
                    </td>
                    <td>
                      <a href={`/tickets/${ticket.id}`}>{ticket.title}</a>
                    </td>
                    <td class="fit">
                      <StatusBadge status={ticket.status} />
                    </td>
                    <td class="fit">
                      <When at={ticket.created_at} now={props.now} tz={props.tz} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {writtenOff ? null : (
        <form method="get" action="/equipment/stickers.pdf" class="card stack" aria-labelledby="sticker-title">
          <h2 id="sticker-title">{t('Наклейка с QR-кодом')}</h2>
          <input type="hidden" name="id" value={String(device.id)} />
          <StickerLayoutChoice />
          <div class="actions">
            <button type="submit" class="button">
              {t('Скачать PDF')}
            </button>
          </div>
        </form>
      )}
      {props.manage && !writtenOff ? (
        <DangerZone
          summary={t('Списать…')}
          action={`/equipment/${device.id}/write-off`}
          confirm={t('Списать оборудование № {number}? Оно уйдёт из реестра, заявки по нему останутся.', {
            number: device.inventory_number,
          })}
          csrf={props.csrf}
          submit={t('Списать оборудование')}
        />
      ) : null}
    </Layout>
  )
}

export interface EquipmentValues {
  inventoryNumber: string
  kind: string
  model: string
  serial: string
  department: string
  room: string
  /** Табельный номер or ФИО, as typed; on an edit, the person's ФИО. */
  responsible: string
  status: string
}

export function EquipmentFormPage(props: {
  user: User
  csrf: string
  device: EquipmentRow | undefined
  values: EquipmentValues
  departments: Department[]
  error?: string | undefined
}) {
  const v = props.values
  const device = props.device
  return (
    <Layout
      title={device ? t('Оборудование № {number}', { number: device.inventory_number }) : t('Новое оборудование')}
      user={props.user}
      csrf={props.csrf}
      section="equipment"
    >
      <p class="crumbs">
        <a href={device ? `/equipment/${device.id}` : '/equipment'}>{t('← Назад')}</a>
      </p>
      <CardForm
        action={device ? `/equipment/${device.id}` : '/equipment'}
        csrf={props.csrf}
        title={device ? t('Изменить оборудование') : t('Новое оборудование')}
        error={props.error}
        submit={t('Сохранить')}
        primary
      >
        <div class="grid-2">
          <label class="field">
            <span>{t('Инвентарный номер')}</span>
            <input name="inventory_number" required maxlength={INVENTORY_MAX} value={v.inventoryNumber} />
          </label>
          <label class="field">
            <span>{t('Тип')}</span>
            <input
              name="kind"
              required
              maxlength={KIND_MAX}
              value={v.kind}
              placeholder={t('Принтер, МФУ, компьютер…')}
            />
          </label>
          <label class="field">
            <span>{t('Модель')}</span>
            <input name="model" maxlength={MODEL_MAX} value={v.model} />
          </label>
          <label class="field">
            <span>{t('Серийный номер')}</span>
            <input name="serial" maxlength={SERIAL_MAX} value={v.serial} />
          </label>
          <label class="field">
            <span>{t('Отделение')}</span>
            <select name="department">
              <option value="">{t('— не указано —')}</option>
              {props.departments.map((d) => (
                <option value={String(d.id)} selected={v.department === String(d.id)}>
                  {d.name}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>{t('Кабинет')}</span>
            <input name="room" maxlength={ROOM_MAX} value={v.room} />
          </label>
          <label class="field">
            <span>{t('Ответственный (табельный номер или ФИО)')}</span>
            <input name="responsible" maxlength={200} value={v.responsible} />
          </label>
          <label class="field">
            <span>{t('Состояние')}</span>
            <select name="status">
              {(['in_service', 'in_repair'] as const).map((s) => (
                <option value={s} selected={v.status === s}>
                  {t(equipmentStatusText[s])}
                </option>
              ))}
            </select>
          </label>
        </div>
      </CardForm>
    </Layout>
  )
}

export function FailuresPage(props: { user: User; csrf: string; report: FailuresReport }) {
  const { report } = props
  return (
    <Layout title={t('Оборудование: отказы')} user={props.user} csrf={props.csrf} section="equipment">
      <p class="crumbs">
        <a href="/equipment">{t('← Оборудование')}</a>
      </p>
      <PageHead title={t('Оборудование: отказы')} />
      <form class="filters" method="get" action="/equipment/failures" aria-label={t('Период отчёта')}>
        <div class="filters__grid">
          <DateRange
            legend={t('Период (дни по Москве)')}
            from={report.from}
            to={report.to}
            fromLabel={t('С')}
            toLabel={t('По')}
          />
        </div>
        <div class="filters__actions">
          <FilterButtons reset="/equipment/failures" submit={t('Показать')} />
        </div>
      </form>
      <section class="card stack" aria-labelledby="failures-models">
        <h2 id="failures-models">{t('По моделям')}</h2>
        {report.byModel.length === 0 ? (
          <p class="muted">{t('За этот период заявок по оборудованию не было.')}</p>
        ) : (
          <table class="tickets">
            <thead>
              <tr>
                <th scope="col">{t('Тип и модель')}</th>
                <th scope="col" class="fit num">
                  {t('Заявок')}
                </th>
                <th scope="col" class="fit num">
                  {t('Устройств')}
                </th>
              </tr>
            </thead>
            <tbody>
              {report.byModel.map((row) => (
                <tr>
                  <td>
                    {row.kind}
                    {row.model ? ` ${row.model}` : ''}
                  </td>
                  <td class="fit num">{row.tickets}</td>
                  <td class="fit num">{row.devices}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="card stack" aria-labelledby="failures-devices">
        <h2 id="failures-devices">{t('По устройствам')}</h2>
        {report.byDevice.length === 0 ? (
          <p class="muted">{t('За этот период заявок по оборудованию не было.')}</p>
        ) : (
          <table class="tickets">
            <thead>
              <tr>
                <th scope="col">{t('Инвентарный номер')}</th>
                <th scope="col">{t('Тип и модель')}</th>
                <th scope="col">{t('Где стоит')}</th>
                <th scope="col" class="fit num">
                  {t('Заявок')}
                </th>
              </tr>
            </thead>
            <tbody>
              {report.byDevice.map((row) => (
                <tr>
                  <td>
                    <a href={`/equipment/${row.id}`}>{row.inventoryNumber}</a>
                  </td>
                  <td>
                    {row.kind}
                    {row.model ? ` ${row.model}` : ''}
                  </td>
                  <td>
                    {row.departmentName ?? '—'}
                    {row.room ? <span class="sub">{t('каб. {room}', { room: row.room })}</span> : null}
                  </td>
                  <td class="fit num">{row.tickets}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </Layout>
  )
}

/** «Оборудование → Импорт» (curators, admins): the accounting export, checked before anything changes. */
export function EquipmentImportPage(props: {
  user: User
  csrf: string
  columns: string
  result?: ImportResult | undefined
  uploadKey?: string | undefined
  done?: boolean
  error?: string | undefined
}) {
  return (
    <Layout title={t('Импорт оборудования')} user={props.user} csrf={props.csrf} section="equipment">
      <p class="crumbs">
        <a href="/equipment">{t('← Оборудование')}</a>
      </p>
      <PageHead title={t('Импорт оборудования')} />
      <SectionImportSteps
        csrf={props.csrf}
        base="/equipment/import"
        back={{ href: '/equipment', label: t('К реестру оборудования') }}
        columns={props.columns}
        intro={t(
          'Выгрузка из бухгалтерии: XLSX (первый лист) или CSV. Первая строка — названия столбцов. Сначала покажем, что изменится; импорт — после подтверждения.',
        )}
        notes={t(
          'Оборудование узнаётся по инвентарному номеру. Отделения должны уже быть в справочнике; ответственный — по табельному номеру или ФИО. Пустая ячейка ничего не меняет.',
        )}
        result={props.result}
        uploadKey={props.uploadKey}
        done={props.done}
        error={props.error}
      />
    </Layout>
  )
}

/** On «Новая заявка» from a sticker: which device it is about, carried with the form. */
export function ReportedDevice(props: { device: ReportedEquipment }) {
  const d = props.device
  const where = [d.departmentName, d.room ? t('каб. {room}', { room: d.room }) : null].filter((p) => p !== null)
  return (
    <section class="notice stack" aria-label={t('Оборудование')}>
      <input type="hidden" name="equipment" value={String(d.id)} />
      <p>
        <strong>{t('Оборудование')}:</strong> {d.kind}
        {d.model ? ` ${d.model}` : ''} · {t('инв. № {number}', { number: d.inventoryNumber })}
        {where.length > 0 ? ` · ${where.join(', ')}` : ''}
      </p>
    </section>
  )
}

/** The ticket page's side panel: which device the ticket is about, and the form to say so (staff). */
export function TicketEquipmentPanel(props: {
  ticketId: number
  device: { id: number; inventory_number: string; kind: string; model: string | null } | null
  csrf: string
  editable: boolean
  error?: string | undefined
}) {
  const d = props.device
  return (
    <section class="card action stack" aria-labelledby="ticket-equipment-title">
      <h2 id="ticket-equipment-title">{t('Оборудование')}</h2>
      <FormError message={props.error} />
      {d ? (
        <p>
          <a href={`/equipment/${d.id}`}>{t('инв. № {number}', { number: d.inventory_number })}</a>
          <span class="sub">
            {d.kind}
            {d.model ? ` ${d.model}` : ''}
          </span>
        </p>
      ) : (
        <p class="muted small">{t('Не указано.')}</p>
      )}
      {props.editable ? (
        <form method="post" action={`/tickets/${props.ticketId}/equipment`} class="stack">
          <CsrfField token={props.csrf} />
          <label class="field">
            <span>{t('Инвентарный номер')}</span>
            <input name="inventory_number" maxlength={INVENTORY_MAX} value={d?.inventory_number ?? ''} />
          </label>
          <button type="submit" class="button button--wide">
            {t('Сохранить')}
          </button>
        </form>
      ) : null}
    </section>
  )
}
