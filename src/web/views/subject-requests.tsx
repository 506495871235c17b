import type { SubjectRequestChannel, SubjectRequestKind, SubjectRequestStatus, User } from '#src/db/schema.ts'
import { subjectRequestChannels, subjectRequestKinds } from '#src/db/schema.ts'
import { canExtend, openSubjectRequestStatuses } from '#src/pdn/subject-request-rules.ts'
import type { SubjectRequestItem } from '#src/pdn/subject-request-store.ts'
import type { SubjectRequestDetail } from '#src/pdn/view-subject-requests.ts'
import { workingDaysBetween } from '#src/pdn/working-days.ts'
import { dateTime } from '../format.ts'
import { msg, t, tn } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { CardForm, CsrfField, Empty, Fact, FormError, Notice, PageHead } from './parts.tsx'

const kindLabels: Record<SubjectRequestKind, string> = {
  access: msg('Доступ к данным'),
  correction: msg('Уточнение данных'),
  blocking: msg('Блокирование'),
  withdrawal: msg('Отзыв согласия'),
  destruction: msg('Уничтожение данных'),
}

const channelLabels: Record<SubjectRequestChannel, string> = {
  letter: msg('Письмо'),
  in_person: msg('Лично'),
  email: msg('Электронная почта'),
  telegram: msg('Telegram'),
  other: msg('Другое'),
}

const statusLabels: Record<SubjectRequestStatus, string> = {
  new: msg('Новый'),
  in_progress: msg('В работе'),
  answered: msg('Ответ дан'),
  refused: msg('Отказано'),
}

/** `2027-01-20` → `20.01.2027`. */
function day(iso: string): string {
  const [year, month, date] = iso.split('-')
  return `${date}.${month}.${year}`
}

const workingDayForms = {
  ru: ['рабочий день', 'рабочих дня', 'рабочих дней'] as const,
  en: ['working day', 'working days'] as const,
}

/** Days left of an open request, or how late it is (red, with the words: colour never alone). */
function DaysLeft(props: { request: SubjectRequestItem; today: string }) {
  const { request, today } = props
  if (!openSubjectRequestStatuses.includes(request.status)) {
    return <span class="muted">{request.answered_on ? day(request.answered_on) : '—'}</span>
  }
  if (today > request.due_on) {
    const late = workingDaysBetween(request.due_on, today)
    return (
      <span class="overdue-text">
        {late === 0
          ? t('срок истёк')
          : t('просрочен на {days}', { days: tn(late, workingDayForms.ru, workingDayForms.en) })}
      </span>
    )
  }
  const left = workingDaysBetween(today, request.due_on)
  return <span>{left === 0 ? t('сегодня') : tn(left, workingDayForms.ru, workingDayForms.en)}</span>
}

export interface SubjectRequestsProps {
  user: User
  csrf: string
  items: SubjectRequestItem[]
  people: Array<{ id: number; name: string }>
  today: string
  outcome?: string | undefined
  error?: string | undefined
  /** The form as typed, when it was refused. */
  form?: Record<string, string | undefined> | undefined
}

/** «Запросы субъектов» (admin): the register of a person's requests and the form of a new one. */
export function SubjectRequestsPage(props: SubjectRequestsProps) {
  const form = props.form ?? {}
  return (
    <Layout title={t('Запросы субъектов')} user={props.user} csrf={props.csrf} section="pdn">
      <PageHead title={t('Запросы субъектов')} />
      <p class="muted">
        {t(
          'Запросы людей о своих персональных данных (152-ФЗ ст. 14, 20, 21). Срок — в рабочих днях по производственному календарю: 10 (можно продлить на 5 с указанием причины), уточнение — 7.',
        )}
      </p>
      <Notice>{props.outcome}</Notice>
      {props.items.length === 0 ? (
        <Empty>{t('Запросов пока нет — зарегистрируйте поступивший запрос формой ниже.')}</Empty>
      ) : (
        <div class="table-wrap">
          <table class="tickets subject-requests">
            <thead>
              <tr>
                <th scope="col" class="num fit">
                  №
                </th>
                <th scope="col">{t('Вид')}</th>
                <th scope="col">{t('Субъект')}</th>
                <th scope="col" class="fit">
                  {t('Поступил')}
                </th>
                <th scope="col" class="fit">
                  {t('Срок')}
                </th>
                <th scope="col" class="fit">
                  {t('Осталось')}
                </th>
                <th scope="col" class="fit">
                  {t('Состояние')}
                </th>
              </tr>
            </thead>
            <tbody>
              {props.items.map((r) => {
                const overdue = openSubjectRequestStatuses.includes(r.status) && props.today > r.due_on
                return (
                  <tr class={overdue ? 'is-overdue' : undefined}>
                    <td class="num">
                      <a href={`/pdn/requests/${r.id}`} class="ticket-link">
                        {r.id}
                      </a>
                    </td>
                    <td>
                      <a href={`/pdn/requests/${r.id}`} class="ticket-link">
                        {t(kindLabels[r.kind])}
                      </a>
                    </td>
                    <td>
                      <a href={`/users/${r.subject_id}`}>{r.subject_name}</a>
                    </td>
                    <td class="fit nowrap">{day(r.received_on)}</td>
                    <td class="fit nowrap">{day(r.due_on)}</td>
                    <td class="fit nowrap">
                      <DaysLeft request={r} today={props.today} />
                    </td>
                    <td class="fit">{t(statusLabels[r.status])}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
      <CardForm
        action="/pdn/requests"
        csrf={props.csrf}
        title={t('Зарегистрировать запрос')}
        error={props.error}
        submit={t('Зарегистрировать')}
        primary
      >
        <label class="field">
          <span>{t('Вид запроса')}</span>
          <select name="kind" required>
            {subjectRequestKinds.map((k) => (
              <option value={k} selected={form.kind === k}>
                {t(kindLabels[k])}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('Субъект (чьи данные)')}</span>
          <select name="subject" required>
            <option value="">{t('Выберите человека')}</option>
            {props.people.map((p) => (
              <option value={String(p.id)} selected={form.subject === String(p.id)}>
                {`${p.name} (№ ${p.id})`}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('Дата поступления')}</span>
          <input type="date" name="received_on" required max={props.today} value={form.received_on ?? props.today} />
        </label>
        <label class="field">
          <span>{t('Как поступил')}</span>
          <select name="channel" required>
            {subjectRequestChannels.map((ch) => (
              <option value={ch} selected={form.channel === ch}>
                {t(channelLabels[ch])}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('Текст запроса или комментарий')}</span>
          <textarea name="comment" rows={3} maxlength={5000}>
            {form.comment ?? ''}
          </textarea>
        </label>
        <p class="muted">{t('Запрос на блокирование блокирует данные человека сразу при регистрации.')}</p>
      </CardForm>
    </Layout>
  )
}

/** Where the request is carried out: the person's data, their consent, the destruction list. */
function KindAction(props: { request: SubjectRequestItem }) {
  const { request } = props
  const links: Partial<Record<SubjectRequestKind, [string, string]>> = {
    correction: [`/users/${request.subject_id}`, t('Уточнить данные на странице пользователя')],
    blocking: [`/users/${request.subject_id}`, t('Блокирование — на странице пользователя')],
    withdrawal: [`/users/${request.subject_id}/consent`, t('Отозвать согласие на странице согласия')],
    destruction: ['/pdn/destruction', t('Уничтожение — в разделе «К уничтожению»')],
  }
  const link = links[request.kind]
  if (!link || !openSubjectRequestStatuses.includes(request.status)) return null
  return (
    <p class="actions">
      <a class="button" href={link[0]}>
        {link[1]}
      </a>
    </p>
  )
}

export type RequestForm = 'status' | 'extend' | 'documents'

export interface SubjectRequestProps {
  user: User
  csrf: string
  detail: SubjectRequestDetail
  today: string
  tz: string
  outcome?: string | undefined
  errors?: Partial<Record<RequestForm, string>> | undefined
}

export const requestOutcomes: Record<string, string> = {
  created: msg('Запрос зарегистрирован'),
  status: msg('Состояние запроса изменено'),
  extended: msg('Срок продлён на 5 рабочих дней'),
  documents: msg('Ответ сформирован: PDF и архив ZIP ниже'),
}

/** One request: its facts and deadline, the answer, the extension, and for access the answer's documents. */
export function SubjectRequestPage(props: SubjectRequestProps) {
  const { request, documents, subjectBlocked } = props.detail
  const open = openSubjectRequestStatuses.includes(request.status)
  return (
    <Layout title={t('Запрос субъекта № {id}', { id: request.id })} user={props.user} csrf={props.csrf} section="pdn">
      <p class="crumbs">
        <a href="/pdn/requests">{t('Запросы субъектов')}</a>
      </p>
      <section class="card stack">
        <div class="ticket-head__top">
          <span class="ticket-no">{`№ ${request.id}`}</span>
          <span class="badge">{t(statusLabels[request.status])}</span>
        </div>
        <h1 class="ticket-title">{t(kindLabels[request.kind])}</h1>
        <Notice>{props.outcome}</Notice>
        <dl class="facts">
          <div>
            <dt>{t('Субъект')}</dt>
            <dd>
              <a href={`/users/${request.subject_id}`}>{`${request.subject_name} (№ ${request.subject_id})`}</a>
            </dd>
          </div>
          <Fact label={t('Поступил')} value={`${day(request.received_on)} · ${t(channelLabels[request.channel])}`} />
          <div>
            <dt>{t('Срок ответа')}</dt>
            <dd>
              {day(request.due_on)} · <DaysLeft request={request} today={props.today} />
            </dd>
          </div>
          <Fact label={t('Продление')} value={request.extended_reason} />
          <Fact label={t('Зарегистрирован')} value={dateTime(request.created_at, props.tz)} />
          <Fact label={t('Данные субъекта')} value={subjectBlocked ? t('заблокированы') : t('не заблокированы')} />
        </dl>
        {request.comment ? <p class="pre">{request.comment}</p> : null}
        <KindAction request={request} />
      </section>
      {request.answer ? (
        <section class="card stack">
          <h2>{t('Ответ от {date}', { date: day(request.answered_on ?? request.due_on) })}</h2>
          <p class="pre">{request.answer}</p>
        </section>
      ) : null}
      {request.kind === 'access' ? (
        <section class="card stack">
          <h2>{t('Ответ на запрос доступа')}</h2>
          <FormError message={props.errors?.documents} />
          <p class="muted">
            {t(
              'Всё, что хранится о человеке: профиль, согласия, заявки и сообщения, отправленные файлы и кто обращался к данным (другие люди — только по роли). Один PDF для человека и архив ZIP с данными в JSON и файлами.',
            )}
          </p>
          {documents.length > 0 ? (
            <ul>
              {documents.map((d) => (
                <li>
                  <a href={`/pdn/requests/${request.id}/documents/${d.id}`}>{d.file_name}</a>{' '}
                  <span class="muted">{dateTime(d.created_at, props.tz)}</span>
                </li>
              ))}
            </ul>
          ) : null}
          <form method="post" action={`/pdn/requests/${request.id}/answer-documents`} class="actions">
            <CsrfField token={props.csrf} />
            <button type="submit" class="button">
              {t('Сформировать ответ')}
            </button>
          </form>
        </section>
      ) : null}
      {open ? (
        <CardForm
          action={`/pdn/requests/${request.id}/status`}
          csrf={props.csrf}
          title={t('Записать ответ')}
          error={props.errors?.status}
          submit={t('Сохранить')}
          primary
        >
          <label class="field">
            <span>{t('Состояние')}</span>
            <select name="status" required>
              {request.status === 'new' ? <option value="in_progress">{t(statusLabels.in_progress)}</option> : null}
              <option value="answered">{t(statusLabels.answered)}</option>
              <option value="refused">{t(statusLabels.refused)}</option>
            </select>
          </label>
          <label class="field">
            <span>{t('Текст ответа (или мотивированного отказа)')}</span>
            <textarea name="answer" rows={4} maxlength={20000} />
          </label>
          <label class="field">
            <span>{t('Дата ответа')}</span>
            <input type="date" name="answered_on" max={props.today} value={props.today} />
          </label>
        </CardForm>
      ) : null}
      {canExtend(request) ? (
        <CardForm
          action={`/pdn/requests/${request.id}/extend`}
          csrf={props.csrf}
          title={t('Продлить срок на 5 рабочих дней')}
          error={props.errors?.extend}
          submit={t('Продлить')}
        >
          <label class="field">
            <span>{t('Причина (её сообщают человеку в мотивированном уведомлении)')}</span>
            <textarea name="reason" rows={2} maxlength={2000} required />
          </label>
        </CardForm>
      ) : null}
    </Layout>
  )
}
