import type { Category, Department, Ticket, User } from '#src/db/schema.ts'
import { outageLimits } from '#src/outages/outage-rules.ts'
import type { OutageDetails, OutageRow } from '#src/outages/outage-store.ts'
import { finalStatuses } from '#src/tickets/rules.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import { dateTime } from '../format.ts'
import { t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import {
  CatalogueTable,
  CsrfField,
  Empty,
  Fact,
  FormError,
  Notice,
  OnceField,
  PageHead,
  StatusBadge,
} from './parts.tsx'

/** «Открыт» / «Устранён»: an outage's state, in the tickets' status colours with its word beside. */
function OutageState(props: { outage: Pick<OutageRow, 'resolved_at'> }) {
  return props.outage.resolved_at === null ? (
    <span class="badge status status--in_progress">{t('Идёт')}</span>
  ) : (
    <span class="badge status status--resolved">{t('Устранён')}</span>
  )
}

function OutageRows(props: { outages: readonly OutageRow[]; tz: string }) {
  return (
    <CatalogueTable wide={[t('Сбой'), t('Заявка')]} fit={[t('Присоединились'), t('Объявлен'), t('Состояние')]}>
      {props.outages.map((outage) => (
        <tr id={`outage-${outage.id}`}>
          <td>
            <a href={`/outages/${outage.id}`}>{outage.title}</a>
            {outage.place ? <div class="muted small">{outage.place}</div> : null}
          </td>
          <td>
            <a href={`/tickets/${outage.ticket_id}`}>{`№ ${outage.ticket_id}`}</a> {outage.ticket_title}
          </td>
          <td class="fit num">{String(outage.children)}</td>
          <td class="fit">
            <time datetime={outage.declared_at}>{dateTime(outage.declared_at, props.tz)}</time>
          </td>
          <td class="fit">
            <OutageState outage={outage} />
          </td>
        </tr>
      ))}
    </CatalogueTable>
  )
}

export interface OutagesPageProps {
  user: User
  csrf: string
  outages: OutageRow[]
  tz: string
}

/** /outages: open outages first, then the resolved ones. */
export function OutagesPage(props: OutagesPageProps) {
  return (
    <Layout title={t('Массовые сбои')} user={props.user} csrf={props.csrf} section="outages">
      <PageHead title={t('Массовые сбои')} />
      <p class="muted">
        {t(
          'Массовый сбой объявляют на странице заявки: сотрудники затронутых отделений получают объявление в боте, а новые заявки по этой теме присоединяются к сбою кнопкой «У меня тоже».',
        )}
      </p>
      {props.outages.length === 0 ? (
        <Empty>{t('Массовых сбоев не было.')}</Empty>
      ) : (
        <OutageRows outages={props.outages} tz={props.tz} />
      )}
    </Layout>
  )
}

/** The dashboard's top: the open outages, when there are any. */
export function OpenOutagesPanel(props: { outages: readonly OutageRow[]; tz: string }) {
  if (props.outages.length === 0) return null
  return (
    <section class="card stack" aria-labelledby="open-outages">
      <h2 id="open-outages">{t('Идут массовые сбои')}</h2>
      <OutageRows outages={props.outages} tz={props.tz} />
    </section>
  )
}

export interface OutagePageProps {
  user: User
  csrf: string
  outage: OutageDetails
  manage: boolean
  tz: string
  outcome?: string | undefined
  problem?: string | undefined
  resolution?: string
}

export function OutagePage(props: OutagePageProps) {
  const { outage } = props
  const open = outage.resolved_at === null
  return (
    <Layout title={outage.title} user={props.user} csrf={props.csrf} section="outages">
      <p class="crumbs">
        <a href="/outages">{`← ${t('Массовые сбои')}`}</a>
      </p>
      <PageHead title={outage.title} />
      <Notice>{props.outcome}</Notice>
      <section class="card">
        <dl class="facts">
          <Fact label={t('Состояние')} value={open ? t('Идёт') : t('Устранён')} />
          <Fact label={t('Где')} value={outage.place} />
          <Fact label={t('Объявлен')} value={dateTime(outage.declared_at, props.tz)} />
          <Fact label={t('Устранён')} value={outage.resolved_at ? dateTime(outage.resolved_at, props.tz) : null} />
          <Fact label={t('Отделения')} value={outage.departments.map((d) => d.name).join(', ')} />
          <Fact label={t('Категории')} value={outage.categories.map((c) => c.name).join(', ')} />
          <Fact label={t('Объявление получили')} value={String(outage.recipients)} />
          <Fact label={t('Присоединились («У меня тоже»)')} value={String(outage.children)} />
        </dl>
        <p>
          <a href={`/tickets/${outage.ticket_id}`}>{`№ ${outage.ticket_id} ${outage.ticket_title}`}</a>{' '}
          <StatusBadge status={outage.ticket_status} />
        </p>
      </section>
      <section class="card">
        <h2>{t('Объявление')}</h2>
        <p class="pre">{outage.announcement}</p>
      </section>
      {open && props.manage ? (
        <form method="post" action={`/outages/${outage.id}/resolve`} class="card stack">
          <CsrfField token={props.csrf} />
          <h2>{t('Сбой устранён')}</h2>
          <FormError message={props.problem} />
          <label class="field">
            <span>{t('Результат (увидят все присоединившиеся)')}</span>
            <textarea name="resolution" rows={3} required maxlength={10000}>
              {props.resolution ?? ''}
            </textarea>
          </label>
          <div class="actions">
            <button type="submit" class="button button--success">
              {t('Сбой устранён')}
            </button>
          </div>
        </form>
      ) : null}
    </Layout>
  )
}

export interface DeclareOutageValues {
  title: string
  place: string
  announcement: string
  departmentIds: number[]
  categoryIds: number[]
}

export interface DeclareOutagePageProps {
  user: User
  csrf: string
  ticket: Pick<Ticket, 'id' | 'title'>
  departments: Department[]
  categories: Category[]
  values: DeclareOutageValues
  error?: string | undefined
}

/** «Массовый сбой» on a ticket: what it is called, where, whom it affects, and what they are told. */
export function DeclareOutagePage(props: DeclareOutagePageProps) {
  const { ticket, values } = props
  return (
    <Layout title={t('Массовый сбой')} user={props.user} csrf={props.csrf} section="outages">
      <p class="crumbs">
        <a href={`/tickets/${ticket.id}`}>{`← № ${ticket.id} ${ticket.title}`}</a>
      </p>
      <PageHead title={t('Объявить массовый сбой')} />
      <p class="muted">
        {t(
          'Заявка № {id} станет родительской. Сотрудникам выбранных отделений придёт объявление в боте; их новые заявки в выбранных категориях присоединятся к сбою. Когда заявка будет решена, решатся и присоединённые.',
          { id: ticket.id },
        )}
      </p>
      <form method="post" action={`/tickets/${ticket.id}/outage`} class="card stack">
        <CsrfField token={props.csrf} />
        <OnceField />
        <FormError message={props.error} />
        <label class="field">
          <span>{t('Название сбоя')}</span>
          <input name="title" required maxlength={outageLimits.title} value={values.title} />
        </label>
        <label class="field">
          <span>{t('Где (например, корпус 2)')}</span>
          <input name="place" maxlength={outageLimits.place} value={values.place} />
        </label>
        <label class="field">
          <span>{t('Отделения')}</span>
          <select name="department_ids" multiple required size={8}>
            {props.departments.map((d) => (
              <option value={String(d.id)} selected={values.departmentIds.includes(d.id)}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('Категории (родительская включает свои подкатегории)')}</span>
          <select name="category_ids" multiple required size={8}>
            {props.categories.map((c) => (
              <option value={String(c.id)} selected={values.categoryIds.includes(c.id)}>
                {c.parent_id === null ? c.name : `— ${c.name}`}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('Объявление (пусто — составим из названия и места)')}</span>
          <textarea name="announcement" rows={4} maxlength={outageLimits.announcement}>
            {values.announcement}
          </textarea>
        </label>
        <div class="actions">
          <button type="submit" class="button button--primary">
            {t('Объявить массовый сбой')}
          </button>
        </div>
      </form>
    </Layout>
  )
}

/** On a ticket's page (staff): «Массовый сбой…», for a ticket still open. */
export function OutageTicketLink(props: { ticket: Pick<Ticket, 'id' | 'status'>; actor: Actor }) {
  if (!can(props.actor, 'outage.manage') || finalStatuses.includes(props.ticket.status)) return null
  return (
    <p class="card action">
      <a class="button" href={`/tickets/${props.ticket.id}/outage`}>
        {t('Массовый сбой…')}
      </a>
    </p>
  )
}

/** /profile/outage-notices: one's own choice of outage announcements in the bot. */
export function OutageNoticesPage(props: { user: User; csrf: string; on: boolean; saved: boolean }) {
  return (
    <Layout title={t('Объявления о массовых сбоях')} user={props.user} csrf={props.csrf} section="profile">
      <p class="crumbs">
        <a href="/profile">{`← ${t('Профиль')}`}</a>
      </p>
      <PageHead title={t('Объявления о массовых сбоях')} />
      <Notice>{props.saved ? t('Изменения сохранены') : undefined}</Notice>
      <form method="post" action="/profile/outage-notices" class="card stack">
        <CsrfField token={props.csrf} />
        <label>
          <input type="checkbox" name="on" value="1" checked={props.on} />{' '}
          {t('Присылать в Telegram объявления о массовых сбоях в моём отделении')}
        </label>
        <div class="actions">
          <button type="submit" class="button button--primary">
            {t('Сохранить')}
          </button>
        </div>
      </form>
    </Layout>
  )
}
