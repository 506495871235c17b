import type { AwaitingApproval } from '#src/approvals/approval-store.ts'
import type { User } from '#src/db/schema.ts'
import { limits } from '#src/tickets/rules.ts'
import { t, tn } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { CsrfField, FormError, Notice, When } from './parts.tsx'

/** A refused decision, shown beside the ticket it concerns (or above the list when the ticket is gone). */
export interface ApprovalProblem {
  ticketId: number
  message: string
  /** The reason as typed, kept after a refusal. */
  reason?: string
}

export interface ApprovalsPageProps {
  user: User
  csrf: string
  items: AwaitingApproval[]
  outcome?: string | undefined
  problem?: ApprovalProblem | undefined
  now: string
  tz: string
}

/**
 * «На согласовании» (issue 14): the access requests awaiting this person's decision — a head's people's, the
 * curators' where nobody heads the department — with what the decision needs and nothing more: the title and
 * description, the requester and their department, the category. «Согласовать», or «Отклонить» with a reason.
 */
export function ApprovalsPage(props: ApprovalsPageProps) {
  const { items, problem } = props
  const orphan = problem && !items.some((item) => item.id === problem.ticketId) ? problem : undefined
  return (
    <Layout title={t('На согласовании')} user={props.user} csrf={props.csrf} section="approvals">
      <div class="page-head">
        <h1>{t('На согласовании')}</h1>
        {items.length > 0 ? (
          <span class="muted">
            {t('Ожидают: {count}', {
              count: tn(items.length, ['заявка', 'заявки', 'заявок'], ['request', 'requests']),
            })}
          </span>
        ) : null}
      </div>
      <Notice>{props.outcome}</Notice>
      <FormError message={orphan?.message} />
      {items.length === 0 ? (
        <div class="empty">
          <p>{t('Нет заявок, ждущих Вашего согласования')}</p>
          <p class="small">
            {t('Заявки на доступ (МИС, 1С, ЭЦП, VPN) приходят сюда и в Telegram, пока Вы их не согласуете.')}
          </p>
        </div>
      ) : (
        <div class="table-wrap">
          <table class="tickets registrations">
            <thead>
              <tr>
                <th scope="col" class="fit">
                  {t('№')}
                </th>
                <th scope="col">{t('Заявка')}</th>
                <th scope="col">{t('Заявитель и отделение')}</th>
                <th scope="col" class="fit">
                  {t('Подана')}
                </th>
                <th scope="col">{t('Решение')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr id={`approval-${item.id}`} data-approval={String(item.id)}>
                  <td class="fit">{`№ ${item.id}`}</td>
                  <td>
                    <strong>{item.title}</strong>
                    {item.category_name ? <span class="sub">{item.category_name}</span> : null}
                    <p class="small">{item.description}</p>
                  </td>
                  <td class="person-cell">
                    {item.requester_name}
                    <span class="sub">{item.department_name ?? t('отделение не указано')}</span>
                  </td>
                  <td class="fit">
                    <When at={item.created_at} now={props.now} tz={props.tz} />
                  </td>
                  <td class="decision">
                    <DecisionForms
                      ticketId={item.id}
                      csrf={props.csrf}
                      problem={problem?.ticketId === item.id ? problem : undefined}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  )
}

/** «Согласовать» and «Отклонить» with its reason; `back` sends the decision back to the ticket's page. */
export function DecisionForms(props: {
  ticketId: number
  csrf: string
  problem?: ApprovalProblem | undefined
  back?: 'ticket'
}) {
  const { ticketId } = props
  const reasonId = `approval-reason-${ticketId}`
  const back = props.back ? <input type="hidden" name="back" value={props.back} /> : null
  return (
    <>
      <FormError message={props.problem?.message} />
      <div class="decision__forms">
        <form method="post" action={`/tickets/${ticketId}/approve`}>
          <CsrfField token={props.csrf} />
          {back}
          <button type="submit" class="button button--success">
            {t('Согласовать')}
          </button>
        </form>
        <form method="post" action={`/tickets/${ticketId}/reject`} class="decision__reject">
          <CsrfField token={props.csrf} />
          {back}
          <label class="visually-hidden" for={reasonId}>
            {t('Причина отказа')}
          </label>
          <input
            id={reasonId}
            class="decision__reason"
            name="reason"
            required
            maxlength={limits.reason}
            placeholder={t('Причина')}
            value={props.problem?.reason ?? ''}
          />
          <button type="submit" class="button button--danger">
            {t('Отклонить')}
          </button>
        </form>
      </div>
    </>
  )
}

/** The ticket page's panel while a ticket awaits approval: who decides, and the decision for them. */
export function ApprovalPanel(props: {
  ticketId: number
  csrf: string
  mayDecide: boolean
  byCurators: boolean
  error?: string | undefined
}) {
  return (
    <section class="card action" aria-label={t('Согласование')}>
      <p>
        {props.byCurators
          ? t('Заявка ждёт согласования куратора ИТ: до решения ИТ-отдел её не получает.')
          : t('Заявка ждёт согласования заведующего отделением: до решения ИТ-отдел её не получает.')}
      </p>
      {props.mayDecide ? (
        <DecisionForms
          ticketId={props.ticketId}
          csrf={props.csrf}
          back="ticket"
          problem={props.error ? { ticketId: props.ticketId, message: props.error } : undefined}
        />
      ) : null}
    </section>
  )
}

export interface DepartmentHeadPageProps {
  user: User
  csrf: string
  department: { id: number; name: string; head_user_id: number | null }
  /** Whom to choose from: the department's active people, and the current head wherever they are. */
  candidates: Array<{ id: number; full_name: string; position: string | null }>
  error?: string | undefined
}

/** «Заведующий отделением» (issue 14): who approves the department's access requests; none — the curators. */
export function DepartmentHeadPage(props: DepartmentHeadPageProps) {
  const { department } = props
  const title = t('Заведующий: {name}', { name: department.name })
  return (
    <Layout title={title} user={props.user} csrf={props.csrf} section="departments">
      <p class="crumbs">
        <a href="/departments">{`← ${t('Отделения')}`}</a>
      </p>
      <h1>{title}</h1>
      <form method="post" action={`/departments/${department.id}/head`} class="card stack form-narrow">
        <CsrfField token={props.csrf} />
        <FormError message={props.error} />
        <label class="field">
          <span>{t('Заведующий отделением')}</span>
          <select name="head">
            <option value="">{t('— не назначен: согласуют кураторы ИТ —')}</option>
            {props.candidates.map((person) => (
              <option value={String(person.id)} selected={department.head_user_id === person.id}>
                {person.position ? `${person.full_name} — ${person.position}` : person.full_name}
              </option>
            ))}
          </select>
          <span class="hint">
            {t(
              'Заведующий согласует заявки своего отделения в категориях, требующих согласования (МИС, 1С, ЭЦП, VPN): в Telegram и на странице «На согласовании». В списке — активные сотрудники отделения.',
            )}
          </span>
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
