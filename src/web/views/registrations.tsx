import type { User } from '#src/db/schema.ts'
import { REJECTION_REASON_MAX } from '#src/users/reject-user.ts'
import { dateTime } from '../format.ts'
import { t, tn } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { CsrfField, FormError, Notice, When } from './parts.tsx'

export interface PendingPerson {
  user: User
  department: string | null
  /** The consent they gave at registration: the text's version and when. */
  consent: { version: number; at: string } | null
}

/** A refused decision, shown beside the row it concerns (or above the list when the row is gone). */
export interface RegistrationProblem {
  userId: number
  message: string
  /** The reason as typed, kept after a refusal. */
  reason?: string
}

export interface RegistrationsProps {
  user: User
  csrf: string
  people: PendingPerson[]
  total: number
  outcome?: string | undefined
  problem?: RegistrationProblem | undefined
  now: string
  tz: string
}

/** «Подтверждение регистраций»: who is waiting, their data and consent; confirm, or reject with a reason. */
export function RegistrationsPage(props: RegistrationsProps) {
  const { people, problem } = props
  const orphanProblem = problem && !people.some((p) => p.user.id === problem.userId) ? problem : undefined
  return (
    <Layout title={t('Подтверждение регистраций')} user={props.user} csrf={props.csrf} section="registrations">
      <div class="page-head">
        <h1>{t('Подтверждение регистраций')}</h1>
        {props.total > 0 ? (
          <span class="muted">
            {t('Ожидают: {count}', { count: tn(props.total, ['заявка', 'заявки', 'заявок'], ['request', 'requests']) })}
          </span>
        ) : null}
      </div>
      <Notice>{props.outcome}</Notice>
      <FormError message={orphanProblem?.message} />
      {people.length === 0 ? (
        <div class="empty">
          <p>{t('Нет регистраций, ждущих решения')}</p>
          <p class="small">
            {t(
              'Новые регистрации приходят из бота (Telegram или MAX); кураторы и администраторы получают о них уведомление.',
            )}
          </p>
        </div>
      ) : (
        <div class="table-wrap">
          <table class="tickets registrations">
            <thead>
              <tr>
                <th scope="col">{t('ФИО и должность')}</th>
                <th scope="col">{t('Телефон')}</th>
                <th scope="col">{t('Отделение и кабинет')}</th>
                <th scope="col" class="fit">
                  {t('Заявка подана')}
                </th>
                <th scope="col" class="fit">
                  {t('Согласие на обработку ПДн')}
                </th>
                <th scope="col">{t('Решение')}</th>
              </tr>
            </thead>
            <tbody>
              {people.map((person) => (
                <Row
                  person={person}
                  csrf={props.csrf}
                  problem={problem?.userId === person.user.id ? problem : undefined}
                  now={props.now}
                  tz={props.tz}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.total > people.length ? (
        <p class="muted small">
          {t('Показаны первые {shown} из {total}', { shown: people.length, total: props.total })}
        </p>
      ) : null}
    </Layout>
  )
}

function Row(props: {
  person: PendingPerson
  csrf: string
  problem: RegistrationProblem | undefined
  now: string
  tz: string
}) {
  const { user, department, consent } = props.person
  const reasonId = `reason-${user.id}`
  return (
    <tr id={`registration-${user.id}`} data-registration={String(user.id)}>
      <td class="person-cell">
        {user.full_name}
        {user.position ? <span class="sub">{user.position}</span> : null}
      </td>
      <td class="nowrap">{user.phone ?? '—'}</td>
      <td>
        {department ?? <span class="muted">{t('не указано')}</span>}
        {user.room ? <span class="sub">{user.room}</span> : null}
      </td>
      <td class="fit">
        <When at={user.created_at} now={props.now} tz={props.tz} />
      </td>
      <td class="fit">
        {consent ? (
          <>
            {t('версия {version}', { version: consent.version })}
            <span class="sub">{dateTime(consent.at, props.tz)}</span>
          </>
        ) : (
          <span class="overdue-text">{t('нет записи о согласии')}</span>
        )}
      </td>
      <td class="decision">
        <FormError message={props.problem?.message} />
        <div class="decision__forms">
          <form method="post" action={`/registrations/${user.id}/confirm`}>
            <CsrfField token={props.csrf} />
            <button type="submit" class="button button--success">
              {t('Подтвердить')}
            </button>
          </form>
          <form method="post" action={`/registrations/${user.id}/reject`} class="decision__reject">
            <CsrfField token={props.csrf} />
            <label class="visually-hidden" for={reasonId}>
              {t('Причина отклонения')}
            </label>
            <input
              id={reasonId}
              class="decision__reason"
              name="reason"
              required
              maxlength={REJECTION_REASON_MAX}
              placeholder={t('Причина')}
              value={props.problem?.reason ?? ''}
            />
            <button type="submit" class="button button--danger">
              {t('Отклонить')}
            </button>
          </form>
        </div>
      </td>
    </tr>
  )
}
