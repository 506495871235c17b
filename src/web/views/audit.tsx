import type { JournalCheck } from '#src/audit/check-journal.ts'
import { consoleOperatorOf } from '#src/audit/journal.ts'
import type { JournalEntry } from '#src/audit/read-journal.ts'
import type { Channel, User } from '#src/db/schema.ts'
import { dateTime } from '../format.ts'
import { t, tn } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { CsrfField, DateRange, Empty, FilterButtons, FormError, PageHead, Pager } from './parts.tsx'
import { UndoMergeForm } from './ticket-links.tsx'

/** The journal's filters as they live in the URL (the CLI's: ПДн only, text, period, actor, action). */
export interface AuditQuery {
  pdn: boolean
  q?: string
  /** Days `YYYY-MM-DD` in the display zone, both inclusive. */
  from?: string
  to?: string
  actor?: number | 'system'
  action?: string
  page: number
}

export const AUDIT_PER_PAGE = 50

export function auditHref(query: AuditQuery, page = query.page, path = '/audit'): string {
  const params = new URLSearchParams()
  if (query.pdn) params.set('pdn', '1')
  if (query.q) params.set('q', query.q)
  if (query.from) params.set('from', query.from)
  if (query.to) params.set('to', query.to)
  if (query.actor !== undefined) params.set('actor', String(query.actor))
  if (query.action) params.set('action', query.action)
  if (page > 1) params.set('page', String(page))
  const text = params.toString()
  return text === '' ? path : `${path}?${text}`
}

export interface AuditViewProps {
  user: User
  csrf: string
  query: AuditQuery
  entries: JournalEntry[]
  /** A page after this one exists. */
  more: boolean
  /** Names of the people whose ПДн the rows concern (the journal holds only ids). */
  subjects: ReadonlyMap<number, string>
  /** Merges still to be undone (issue 13): journal row → the duplicate's number. */
  undoMerges?: ReadonlyMap<number, number>
  /** The integrity check's result, when it was just run. */
  check?: JournalCheck | undefined
  /** A refusal of the filters (a bad date, say). */
  problem?: string | undefined
  tz: string
}

function channelLabel(channel: Channel): string {
  const labels: Record<Channel, string> = {
    web: t('веб'),
    bot: t('бот'),
    cli: t('консоль'),
    api: 'API',
    system: t('система'),
  }
  return labels[channel]
}

function resultLabel(result: JournalEntry['result']): string {
  const labels: Record<JournalEntry['result'], string> = {
    success: t('успех'),
    denied: t('отказ'),
    error: t('ошибка'),
  }
  return labels[result]
}

export function AuditPage(props: AuditViewProps) {
  const { query } = props
  return (
    <Layout title={t('Журнал аудита')} user={props.user} csrf={props.csrf} section="audit">
      <PageHead title={t('Журнал аудита')}>
        <a class="button" href={auditHref(query, 1, '/audit/export.csv')} hx-boost="false">
          {t('Выгрузить CSV')}
        </a>
      </PageHead>
      <IntegrityCheck csrf={props.csrf} check={props.check} />
      <form
        class="filters"
        method="get"
        action="/audit"
        hx-get="/audit"
        hx-target="#audit-results"
        hx-select="#audit-results"
        hx-swap="outerHTML"
        hx-push-url="true"
        hx-trigger="change, submit"
        aria-label={t('Фильтры')}
      >
        <div class="filters__grid">
          <label class="field audit-search">
            <span>{t('Текст')}</span>
            <input type="search" name="q" value={query.q ?? ''} placeholder={t('В описании или коде действия')} />
          </label>
          <label class="field">
            <span>{t('Действие')}</span>
            <input
              name="action"
              value={query.action ?? ''}
              placeholder="user.deactivate, auth."
              pattern="[a-z0-9_.]+"
            />
          </label>
          <label class="field">
            <span>{t('Кто')}</span>
            <input
              name="actor"
              value={query.actor === undefined ? '' : String(query.actor)}
              placeholder={t('№ или system')}
            />
          </label>
          <DateRange legend={t('Период')} from={query.from} to={query.to} fromLabel={t('С')} toLabel={t('По')} />
        </div>
        <div class="filters__actions">
          <label class="chip audit-pdn">
            <input type="checkbox" name="pdn" value="1" checked={query.pdn} />
            {t('Только ПДн')}
          </label>
          <FilterButtons reset="/audit" submit={t('Применить')} />
        </div>
      </form>
      <AuditResults {...props} />
    </Layout>
  )
}

/** The integrity check: a button (it reads the whole journal), and its result once run. */
export function IntegrityCheck(props: { csrf: string; check?: JournalCheck | undefined }) {
  const { check } = props
  return (
    <section id="integrity" class="card integrity">
      <form method="post" action="/audit/verify" hx-post="/audit/verify" hx-target="#integrity" hx-swap="outerHTML">
        <CsrfField token={props.csrf} />
        <button type="submit" class="button">
          {t('Проверить целостность')}
        </button>
      </form>
      {check === undefined ? (
        <p class="muted">{t('Проверка пересчитывает цепочку хешей всех записей журнала.')}</p>
      ) : check.ok ? (
        <p class="integrity__ok" role="status">
          {`${t('Цепочка цела')}: ${tn(check.count, ['запись', 'записи', 'записей'], ['record', 'records'])}`}
        </p>
      ) : (
        <p class="integrity__bad" role="alert">
          {`${t('Журнал нарушен')}: ${check.reason} (${t('первая испорченная запись № {id}, проверено до неё: {count}', { id: check.firstBadId, count: check.count })})`}
        </p>
      )}
      {check?.checkpoints && (
        <p class="muted">
          {check.checkpoints.count === null
            ? t('Файла контрольных точек {file} нет: сверена только цепочка хешей.', { file: check.checkpoints.file })
            : t('Сверено с контрольными точками вне базы: {count} (файл {file}).', {
                count: check.checkpoints.count,
                file: check.checkpoints.file,
              })}
        </p>
      )}
      {check?.archives && (
        <p class="muted">
          {t('В архивах журнала: {rows}; файлов сверено {verified} из {files}.', {
            rows: check.archives.rows,
            verified: check.archives.verified,
            files: check.archives.files,
          })}
          {check.archives.missing.length > 0
            ? ` ${t('Нет файлов: {names} — их записи не сверены.', { names: check.archives.missing.join(', ') })}`
            : ''}
        </p>
      )}
    </section>
  )
}

function AuditResults(props: AuditViewProps) {
  const { query, entries } = props
  return (
    <div id="audit-results">
      <FormError message={props.problem} />
      {entries.length === 0 ? (
        <Empty>
          {t('Записей по этим условиям нет —')} <a href="/audit">{t('сбросить фильтры')}</a>
        </Empty>
      ) : (
        // It scrolls on its own (a sticky header): focusable, so that the keyboard scrolls it too (axe, WCAG 2.1.1).
        <section class="table-wrap" tabindex={0} aria-label={t('Записи журнала')}>
          <table class="tickets audit">
            <thead>
              <tr>
                <th scope="col" class="num fit">
                  №
                </th>
                <th scope="col" class="fit">
                  {t('Время')}
                </th>
                <th scope="col">{t('Кто')}</th>
                <th scope="col" class="fit">
                  {t('Действие')}
                </th>
                <th scope="col">{t('Описание')}</th>
                <th scope="col">{t('Чьи ПДн')}</th>
                <th scope="col" class="fit">
                  {t('Канал, IP')}
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr class={e.result === 'success' ? undefined : `audit--${e.result}`}>
                  <td class="num audit__id">{e.id}</td>
                  <td class="fit nowrap audit__time">{dateTime(e.at, props.tz)}</td>
                  <td class="person-cell audit__actor">
                    {e.actor_id === null ? (
                      <span class="muted">{consoleOperatorOf(e.details) ?? t('система')}</span>
                    ) : (
                      <>
                        {e.actor_name ?? `№ ${e.actor_id}`}
                        <span class="sub">{`№ ${e.actor_id}`}</span>
                      </>
                    )}
                  </td>
                  <td class="fit audit__action">
                    <code>{e.action}</code>
                    {e.pdn_related ? <span class="badge audit-pdn-badge">{t('ПДн')}</span> : null}
                  </td>
                  <td class="audit-description">
                    {e.result === 'success' ? null : (
                      <span class={`badge audit-result audit-result--${e.result}`}>{resultLabel(e.result)}</span>
                    )}{' '}
                    {e.description}
                    <UndoMerge rowId={e.id} {...props} />
                  </td>
                  <td class={e.subject_id === null ? 'person-cell audit__subject--none' : 'person-cell audit__subject'}>
                    {e.subject_id === null ? (
                      <span class="muted">—</span>
                    ) : (
                      <>
                        <span class="audit__label">{`${t('Чьи ПДн')}: `}</span>
                        {props.subjects.get(e.subject_id) ?? `№ ${e.subject_id}`}
                        <span class="sub">{`№ ${e.subject_id}`}</span>
                      </>
                    )}
                  </td>
                  <td class="fit audit__channel">
                    {channelLabel(e.channel)}
                    {e.ip ? <span class="sub">{e.ip}</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <Pager page={query.page} more={props.more} href={(page) => auditHref(query, page)} />
    </div>
  )
}

/** «Отменить объединение» under a merge the journal lists, while it may still be undone (issue 13). */
function UndoMerge(props: AuditViewProps & { rowId: number }) {
  const ticketId = props.undoMerges?.get(props.rowId)
  return ticketId === undefined ? null : <UndoMergeForm ticketId={ticketId} csrf={props.csrf} back="audit" />
}
