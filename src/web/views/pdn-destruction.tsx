import type { ArchiveDue } from '#src/audit/archive.ts'
import type { AuditArchive, User } from '#src/db/schema.ts'
import { DESTRUCTION_REASON_MAX } from '#src/pdn/destroy-subject.ts'
import type { DueSubject } from '#src/pdn/destruction-due.ts'
import type { SettingValue } from '#src/settings/settings.ts'
import { date, dateTime } from '../format.ts'
import { t, tn } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { CardForm, Notice, PageHead } from './parts.tsx'

/** «К уничтожению» and «Акты уничтожения» (issue 10): plain forms, usable without JavaScript. */

export interface DueRow {
  due: DueSubject
  /** The person's row (their name is shown to the admin who decides). */
  person: User | undefined
}

/** The Russian label of a due reason (labels live in src/pdn/destruction-due.ts). */
export type ReasonLabels = Record<string, string>

/** The journal's part of the list: rows past their retention, and the archives made. */
export interface JournalRetention {
  due: ArchiveDue
  archives: AuditArchive[]
}

export function DestructionDuePage(props: {
  user: User
  csrf: string
  rows: DueRow[]
  labels: ReasonLabels
  now: string
  tz: string
  journal: JournalRetention
}) {
  return (
    <Layout title={t('К уничтожению')} user={props.user} csrf={props.csrf} section="pdn">
      <PageHead title={t('К уничтожению')}>
        <a class="button" href="/pdn/acts">
          {t('Акты уничтожения')}
        </a>
      </PageHead>
      <p class="muted">
        {t(
          'Люди, чьи персональные данные подлежат уничтожению: по отзыву согласия, по истечении сроков хранения или по требованию. Ничего не уничтожается без решения администратора.',
        )}
      </p>
      {props.rows.length === 0 ? (
        <div class="empty">
          <p>{t('Никто не ожидает уничтожения данных')}</p>
        </div>
      ) : (
        <div class="table-wrap">
          <table class="tickets destruction-due">
            <thead>
              <tr>
                <th scope="col">{t('Субъект')}</th>
                <th scope="col">{t('Основание')}</th>
                <th scope="col" class="fit">
                  {t('Срок')}
                </th>
                <th scope="col">{t('Решение')}</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map(({ due, person }) => (
                <tr id={`due-${due.userId}`} data-due={String(due.userId)}>
                  <td class="person-cell">
                    {person?.full_name ?? t('Пользователь № {id}', { id: due.userId })}
                    <span class="sub">{t('Пользователь № {id}', { id: due.userId })}</span>
                  </td>
                  <td>
                    {due.reasons.map((r) => (
                      <span class="sub">
                        {t(props.labels[r.reason] ?? r.reason)}
                        {r.note ? ` (${r.note})` : ''}
                      </span>
                    ))}
                  </td>
                  <td class={`fit${due.dueAt < props.now ? ' overdue-text' : ''}`}>
                    <time datetime={due.dueAt} title={dateTime(due.dueAt, props.tz)}>
                      {date(due.dueAt, props.tz)}
                    </time>
                  </td>
                  <td>
                    <a class="button button--danger" href={`/pdn/destruction/${due.userId}`}>
                      {t('Утвердить уничтожение…')}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <JournalArchives journal={props.journal} tz={props.tz} />
    </Layout>
  )
}

/**
 * The journal is not destroyed but archived (COMPLIANCE.md §4): rows past `audit.retention_days` go to a
 * signed file on the server's console, where the file is made and can be moved to long-term storage.
 */
function JournalArchives(props: { journal: JournalRetention; tz: string }) {
  const { due, archives } = props.journal
  return (
    <section class="card stack" id="audit-archive">
      <h2>{t('Журнал аудита')}</h2>
      {due.count === 0 ? (
        <p class="muted">{t('Записей журнала старше срока хранения ({days} дн.) нет.', { days: due.retentionDays })}</p>
      ) : (
        <p data-archive-due={String(due.count)}>
          {t('Записей журнала старше срока хранения ({days} дн.): {count}, самая ранняя — {date}.', {
            days: due.retentionDays,
            count: due.count,
            date: date(due.oldestAt ?? due.before, props.tz),
          })}{' '}
          {t('Они переносятся в подписанный файл архива командой на сервере:')}{' '}
          <code>helpdesk audit archive --yes</code>
        </p>
      )}
      {archives.length > 0 ? (
        <div class="table-wrap">
          <table class="tickets">
            <thead>
              <tr>
                <th scope="col">{t('Записи')}</th>
                <th scope="col">{t('Период')}</th>
                <th scope="col">{t('Файл')}</th>
                <th scope="col">{t('Архивировано')}</th>
              </tr>
            </thead>
            <tbody>
              {archives.map((a) => (
                <tr data-archive={a.file_name}>
                  <td>
                    {t('№ {first}–{last}', { first: a.first_id, last: a.last_id })}
                    <span class="sub">{tn(a.count, ['запись', 'записи', 'записей'], ['record', 'records'])}</span>
                  </td>
                  <td>{`${date(a.first_at, props.tz)} – ${date(a.last_at, props.tz)}`}</td>
                  <td>
                    {a.file_name}
                    <span class="sub">{`SHA-256 ${a.sha256.slice(0, 16)}…`}</span>
                  </td>
                  <td>
                    {dateTime(a.created_at, props.tz)}
                    <span class="sub">{a.created_by}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  )
}

export interface ApproveValues {
  reason: string
  members: number[]
  deleteTexts: boolean
}

/** The approval: who signs the act, whether their texts go, the reason; names what is destroyed. */
export function ApproveDestructionPage(props: {
  user: User
  csrf: string
  person: User
  reasons: string[]
  commission: SettingValue<'pdn.commission'>
  values: ApproveValues
  error?: string | undefined
}) {
  const { person, values } = props
  const title = t('Уничтожение персональных данных')
  return (
    <Layout title={title} user={props.user} csrf={props.csrf} section="pdn">
      <PageHead title={title} />
      <section class="card stack">
        <h2>{person.full_name}</h2>
        <p class="muted">{t('Пользователь № {id}', { id: person.id })}</p>
        {props.reasons.length > 0 ? (
          <ul>
            {props.reasons.map((r) => (
              <li>{r}</li>
            ))}
          </ul>
        ) : null}
        <p>
          {t(
            'Будут уничтожены: ФИО, телефон, идентификатор и имя пользователя Telegram, должность, кабинет, отделение, логин, электронная почта, вложения этого человека и сканы его согласий; сеансы и токены. Учётная запись станет «Субъект № {id}», заявки и журнал сохранят свою структуру. Отменить это нельзя.',
            { id: person.id },
          )}
        </p>
      </section>
      <CardForm
        action={`/pdn/destruction/${person.id}`}
        csrf={props.csrf}
        title={t('Акт об уничтожении')}
        error={props.error}
      >
        {props.commission.length === 0 ? (
          <p class="form-error">
            {t('Состав комиссии не задан: добавьте членов комиссии в настройках (pdn.commission).')}
          </p>
        ) : (
          <fieldset class="field">
            <legend>{t('Члены комиссии, подписывающие акт')}</legend>
            <ul class="checks">
              {props.commission.map((m, i) => (
                <li class="checks__item">
                  <label>
                    <input type="checkbox" name={`member_${i}`} value="1" checked={values.members.includes(i)} />
                    {` ${m.name}`}
                    <span class="muted small">{` · ${m.position}`}</span>
                  </label>
                </li>
              ))}
            </ul>
          </fieldset>
        )}
        <label class="field">
          <span>{t('Причина уничтожения')}</span>
          <textarea name="reason" required maxlength={DESTRUCTION_REASON_MAX} rows={3}>
            {values.reason}
          </textarea>
        </label>
        <label>
          <input type="checkbox" name="delete_texts" value="1" checked={values.deleteTexts} />{' '}
          {t('Удалить тексты обращений (заголовки и тексты заявок этого человека и его сообщения)')}
        </label>
        <div class="actions">
          <a class="button" href="/pdn/destruction">
            {t('Отмена')}
          </a>
          <button type="submit" class="button button--danger">
            {t('Уничтожить данные и составить акт')}
          </button>
        </div>
      </CardForm>
    </Layout>
  )
}

export interface ActRow {
  id: number
  userId: number
  createdAt: string
  reason: string
  textsDeleted: boolean
  keepUntil: string
}

export function DestructionActsPage(props: {
  user: User
  csrf: string
  acts: ActRow[]
  done?: number | undefined
  tz: string
}) {
  return (
    <Layout title={t('Акты уничтожения')} user={props.user} csrf={props.csrf} section="pdn">
      <PageHead title={t('Акты уничтожения')}>
        <a class="button" href="/pdn/destruction">
          {t('К уничтожению')}
        </a>
      </PageHead>
      <Notice>
        {props.done === undefined ? undefined : t('Данные уничтожены, составлен акт № {id}', { id: props.done })}
      </Notice>
      {props.acts.length === 0 ? (
        <div class="empty">
          <p>{t('Актов уничтожения пока нет')}</p>
        </div>
      ) : (
        <>
          <p class="muted small">
            {t('Всего: {count}. Акты хранятся 3 года.', {
              count: tn(props.acts.length, ['акт', 'акта', 'актов'], ['act', 'acts']),
            })}
          </p>
          <div class="table-wrap">
            <table class="tickets destruction-acts">
              <thead>
                <tr>
                  <th scope="col" class="fit">
                    {t('Акт')}
                  </th>
                  <th scope="col" class="fit">
                    {t('Дата')}
                  </th>
                  <th scope="col">{t('Субъект')}</th>
                  <th scope="col">{t('Причина')}</th>
                  <th scope="col">{t('Документы')}</th>
                </tr>
              </thead>
              <tbody>
                {props.acts.map((act) => (
                  <tr id={`act-${act.id}`} data-act={String(act.id)}>
                    <td class="fit">{t('№ {id}', { id: act.id })}</td>
                    <td class="fit">{dateTime(act.createdAt, props.tz)}</td>
                    <td>
                      {t('Субъект № {id}', { id: act.userId })}
                      {act.textsDeleted ? <span class="sub">{t('тексты обращений удалены')}</span> : null}
                    </td>
                    <td>{act.reason}</td>
                    <td>
                      <a href={`/pdn/acts/${act.id}/act.pdf`}>{t('Акт (PDF)')}</a>
                      <span class="sub">
                        <a href={`/pdn/acts/${act.id}/journal.pdf`}>{t('Выгрузка из журнала (PDF)')}</a>
                      </span>
                      <span class="sub">{t('хранить до {date}', { date: date(act.keepUntil, props.tz) })}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Layout>
  )
}
