import type { Department, Role, User, UserStatus } from '#src/db/schema.ts'
import { roles, userStatuses } from '#src/db/schema.ts'
import type { ApiTokenRow } from '#src/users/list-api-tokens.ts'
import type { SessionInfo } from '#src/users/session-list.ts'
import { dateTime, roleLabel } from '../format.ts'
import { t, tn } from '../i18n.ts'
import { ApiTokenTable } from './api-tokens.tsx'
import { Layout } from './layout.tsx'
import { CardForm, CsrfField, Empty, Fact, FilterButtons, FormError, Notice, PageHead, Pager, When } from './parts.tsx'

/** The list's filters as they live in the URL. */
export interface UserQuery {
  q?: string
  role?: Role
  status?: UserStatus
  page: number
}

export const USERS_PER_PAGE = 50

export function userStatusLabel(status: UserStatus): string {
  const labels: Record<UserStatus, string> = {
    pending: t('Не подтверждён'),
    active: t('Активен'),
    rejected: t('Отклонён'),
    deactivated: t('Отключён'),
  }
  return labels[status]
}

export function UserStatusBadge(props: { status: UserStatus }) {
  return <span class={`badge account account--${props.status}`}>{userStatusLabel(props.status)}</span>
}

export function usersHref(query: UserQuery, page = query.page): string {
  const params = new URLSearchParams()
  if (query.q) params.set('q', query.q)
  if (query.role) params.set('role', query.role)
  if (query.status) params.set('status', query.status)
  if (page > 1) params.set('page', String(page))
  const text = params.toString()
  return text === '' ? '/users' : `/users?${text}`
}

export interface UsersViewProps {
  user: User
  csrf: string
  query: UserQuery
  items: User[]
  total: number
  departments: ReadonlyMap<number, string>
  now: string
  tz: string
}

export function UsersPage(props: UsersViewProps) {
  const { query } = props
  return (
    <Layout title={t('Пользователи')} user={props.user} csrf={props.csrf} section="users">
      <PageHead title={t('Пользователи')}>
        <a class="button" href="/users/import">
          {t('Импорт')}
        </a>
        <a class="button button--primary" href="/users/new">
          {t('Новый пользователь')}
        </a>
      </PageHead>
      <form
        class="filters"
        method="get"
        action="/users"
        hx-get="/users"
        hx-target="#user-results"
        hx-push-url="true"
        hx-trigger="change, submit"
        aria-label={t('Фильтры')}
      >
        <div class="filters__grid">
          <label class="field users-search">
            <span>{t('Поиск')}</span>
            <input type="search" name="q" value={query.q ?? ''} placeholder={t('ФИО, телефон или логин')} />
          </label>
          <label class="field">
            <span>{t('Роль')}</span>
            <select name="role">
              <option value="">{t('Любая')}</option>
              {roles.map((r) => (
                <option value={r} selected={query.role === r}>
                  {roleLabel(r)}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>{t('Состояние')}</span>
            <select name="status">
              <option value="">{t('Любое')}</option>
              {userStatuses.map((s) => (
                <option value={s} selected={query.status === s}>
                  {userStatusLabel(s)}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div class="filters__actions">
          <FilterButtons reset="/users" submit={t('Найти')} />
        </div>
      </form>
      <div id="user-results" hx-target="#user-results" hx-push-url="true">
        <UserResults {...props} />
      </div>
    </Layout>
  )
}

/** The part htmx swaps: the count, the table, the pager. */
export function UserResults(props: UsersViewProps) {
  const { query, items, total } = props
  const pages = Math.max(1, Math.ceil(total / USERS_PER_PAGE))
  return (
    <>
      <p class="views__total">
        {`${t('Найдено')}: ${tn(total, ['человек', 'человека', 'человек'], ['person', 'people'])}`}
      </p>
      {items.length === 0 ? (
        <Empty>
          {t('Никого не нашлось по этим условиям —')}{' '}
          <a href="/users" hx-get="/users">
            {t('сбросить фильтры')}
          </a>
        </Empty>
      ) : (
        <div class="table-wrap">
          <table class="tickets users">
            <thead>
              <tr>
                <th scope="col" class="num fit">
                  №
                </th>
                <th scope="col">{t('ФИО')}</th>
                <th scope="col">{t('Роль')}</th>
                <th scope="col">{t('Состояние')}</th>
                <th scope="col">{t('Телефон')}</th>
                <th scope="col">{t('Логин')}</th>
                <th scope="col" class="fit">
                  {t('Последний вход')}
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((u) => (
                <tr>
                  <td class="num users__extra">{u.id}</td>
                  <td class="person-cell">
                    <a href={`/users/${u.id}`} class="ticket-link">
                      {u.full_name}
                    </a>
                    {u.department_id !== null && props.departments.has(u.department_id) ? (
                      <span class="sub">{props.departments.get(u.department_id)}</span>
                    ) : null}
                  </td>
                  <td class="fit">{roleLabel(u.role)}</td>
                  <td class="fit">
                    <UserStatusBadge status={u.status} />
                  </td>
                  <td class="fit nowrap users__extra">{u.phone ?? <span class="muted">—</span>}</td>
                  <td class="fit users__extra">{u.login ?? <span class="muted">—</span>}</td>
                  <td class="fit users__extra">
                    {u.last_login_at ? (
                      <When at={u.last_login_at} now={props.now} tz={props.tz} />
                    ) : (
                      <span class="muted">{t('не входил')}</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={query.page} pages={pages} href={(page) => usersHref(query, page)} htmx />
    </>
  )
}

/** The forms of the person's page, for errors shown beside them. */
export type UserForm = 'details' | 'role' | 'status' | 'sessions' | 'tokens' | 'block'

export interface UserViewProps {
  user: User
  csrf: string
  person: User
  departments: Department[]
  sessions: SessionInfo[]
  /** The person's API tokens (never the secrets). */
  tokens?: ApiTokenRow[] | undefined
  errors?: Partial<Record<UserForm, string>> | undefined
  /** What was just done, from the redirect after a form. */
  done?: string | undefined
  now: string
  tz: string
}

const doneTexts = (): Record<string, string> => ({
  details: t('Данные сохранены'),
  role: t('Роль изменена'),
  deactivated: t('Учётная запись отключена, её сеансы завершены'),
  reactivated: t('Учётная запись снова активна'),
  session: t('Сеанс завершён'),
  sessions: t('Все сеансы завершены'),
  unlocked: t('Ограничение входа снято: человек может войти сразу'),
  totp_reset: t('Двухфакторная защита сброшена, сеансы завершены: при входе человек подключит приложение заново'),
  token_revoked: t('Токен отозван'),
  blocked: t('Данные заблокированы: они больше нигде не показываются и не отправляются'),
  unblocked: t('Блокировка снята'),
})

export function UserPage(props: UserViewProps) {
  const { person } = props
  const department = props.departments.find((d) => d.id === person.department_id)
  const notice = props.done ? doneTexts()[props.done] : undefined
  return (
    <Layout title={person.full_name} user={props.user} csrf={props.csrf} section="users">
      <p class="crumbs">
        <a href="/users">{t('Пользователи')}</a>
      </p>
      <section class="card stack">
        <div class="ticket-head__top">
          <span class="ticket-no">{`№ ${person.id}`}</span>
          <UserStatusBadge status={person.status} />
          <span class="badge">{roleLabel(person.role)}</span>
        </div>
        <h1 class="ticket-title">{person.full_name}</h1>
        <Notice>{notice}</Notice>
        <dl class="facts">
          <Fact label={t('Отделение')} value={department?.name} />
          <Fact label={t('Должность')} value={person.position} />
          <Fact label={t('Кабинет')} value={person.room} />
          <Fact label={t('Телефон')} value={person.phone} />
          <Fact label={t('Эл. почта')} value={person.email} />
          <Fact label={t('Логин')} value={person.login} />
          <Fact
            label={t('Telegram')}
            value={
              person.telegram_chat_id === null
                ? null
                : person.telegram_username
                  ? `@${person.telegram_username}`
                  : t('привязан')
            }
          />
          <Fact label="MAX" value={person.max_user_id === null ? null : t('привязан')} />
          <Fact label={t('Зарегистрирован')} value={dateTime(person.created_at, props.tz)} />
          <Fact
            label={t('Последний вход')}
            value={person.last_login_at ? dateTime(person.last_login_at, props.tz) : null}
          />
          {person.deactivated_at ? (
            <Fact label={t('Отключён')} value={dateTime(person.deactivated_at, props.tz)} />
          ) : null}
        </dl>
        <p class="actions">
          <a class="button" href={`/users/${person.id}/consent`}>
            {t('Согласие на обработку ПДн')}
          </a>
          <a class="button" href={`/users/${person.id}/consent/form.pdf`}>
            {t('Бланк согласия (PDF)')}
          </a>
        </p>
      </section>
      <div class="admin-grid">
        {person.blocked_at === null ? <DetailsForm {...props} /> : null}
        <div class="stack">
          <RoleForm {...props} />
          <StatusForm {...props} />
          <BlockForm {...props} />
        </div>
      </div>
      <SessionsCard {...props} />
      {props.tokens ? (
        <section class="card stack">
          <h2>{t('API-токены')}</h2>
          <FormError message={props.errors?.tokens} />
          <ApiTokenTable
            tokens={props.tokens}
            csrf={props.csrf}
            revokeAction={`/users/${person.id}/tokens/revoke`}
            now={props.now}
            tz={props.tz}
          />
        </section>
      ) : null}
    </Layout>
  )
}

/** Blocking the person's data (152-ФЗ ст. 21): shown nowhere, sent nowhere, until unblocked. */
function BlockForm(props: UserViewProps) {
  const { person } = props
  if (person.blocked_at !== null) {
    return (
      <CardForm
        action={`/users/${person.id}/unblock`}
        csrf={props.csrf}
        title={t('Блокирование ПДн')}
        error={props.errors?.block}
        submit={t('Снять блокировку')}
      >
        <p>
          {t('Данные человека заблокированы с {date}: они не показываются и не отправляются.', {
            date: dateTime(person.blocked_at, props.tz),
          })}
        </p>
      </CardForm>
    )
  }
  return (
    <CardForm
      action={`/users/${person.id}/block`}
      csrf={props.csrf}
      title={t('Блокирование ПДн')}
      error={props.errors?.block}
      submit={t('Заблокировать данные')}
    >
      <p class="muted">
        {t(
          'ФИО, телефон и другие данные человека перестанут показываться на сайте, в API и выгрузках и отправляться в Telegram. Учётная запись не отключается.',
        )}
      </p>
      <label class="field">
        <span>{t('Основание (номер запроса, проверка)')}</span>
        <input name="reason" required maxlength={500} />
      </label>
    </CardForm>
  )
}

function DetailsForm(props: UserViewProps) {
  const { person } = props
  return (
    <CardForm
      action={`/users/${person.id}/details`}
      csrf={props.csrf}
      title={t('Данные')}
      error={props.errors?.details}
      submit={t('Сохранить')}
      primary
    >
      <label class="field">
        <span>{t('ФИО')}</span>
        <input name="full_name" value={person.full_name} required maxlength={200} />
      </label>
      <label class="field">
        <span>{t('Отделение')}</span>
        <select name="department">
          <option value="">{t('— не указано —')}</option>
          {props.departments
            .filter((d) => Number(d.active) === 1 || d.id === person.department_id)
            .map((d) => (
              <option value={String(d.id)} selected={d.id === person.department_id}>
                {d.name}
              </option>
            ))}
        </select>
      </label>
      <label class="field">
        <span>{t('Должность')}</span>
        <input name="position" value={person.position ?? ''} maxlength={200} />
      </label>
      <div class="grid-2">
        <label class="field">
          <span>{t('Кабинет')}</span>
          <input name="room" value={person.room ?? ''} maxlength={200} />
        </label>
        <label class="field">
          <span>{t('Телефон')}</span>
          <input name="phone" type="tel" value={person.phone ?? ''} maxlength={30} />
        </label>
      </div>
    </CardForm>
  )
}

function RoleForm(props: UserViewProps) {
  const { person } = props
  const self = person.id === props.user.id
  return (
    <CardForm
      action={`/users/${person.id}/role`}
      csrf={props.csrf}
      title={t('Роль')}
      error={props.errors?.role}
      submit={self ? undefined : t('Изменить роль')}
    >
      {self ? <p class="muted">{t('Собственную роль изменить нельзя.')}</p> : null}
      <label class="field">
        <span class="visually-hidden">{t('Роль')}</span>
        <select name="role" disabled={self}>
          {roles.map((r) => (
            <option value={r} selected={person.role === r}>
              {roleLabel(r)}
            </option>
          ))}
        </select>
      </label>
    </CardForm>
  )
}

function StatusForm(props: UserViewProps) {
  const { person } = props
  if (person.id === props.user.id) return null
  return (
    <div class="card stack">
      <h2>{t('Доступ')}</h2>
      <FormError message={props.errors?.status} />
      {person.status === 'active' ? (
        <form
          method="post"
          action={`/users/${person.id}/deactivate`}
          class="stack"
          data-confirm={t('Отключить учётную запись № {id}? Все её сеансы завершатся; заявки и история останутся.', {
            id: person.id,
          })}
        >
          <CsrfField token={props.csrf} />
          <p class="muted">{t('Человек не сможет войти и подавать заявки. История и заявки сохранятся.')}</p>
          <div class="actions">
            <button type="submit" class="button button--danger">
              {t('Отключить')}
            </button>
          </div>
        </form>
      ) : person.status === 'deactivated' ? (
        <form method="post" action={`/users/${person.id}/reactivate`} class="stack">
          <CsrfField token={props.csrf} />
          <p class="muted">{t('Учётная запись отключена. Её можно включить снова.')}</p>
          <div class="actions">
            <button type="submit" class="button button--success">
              {t('Включить')}
            </button>
          </div>
        </form>
      ) : (
        <p class="muted">
          {t('Регистрацию подтверждает или отклоняет куратор:')} <a href="/registrations">{t('Регистрации')}</a>
        </p>
      )}
      {person.status === 'active' && person.login !== null ? (
        <form method="post" action={`/users/${person.id}/unlock`} class="stack">
          <CsrfField token={props.csrf} />
          <p class="muted">
            {t(
              'После нескольких неверных паролей вход с того же адреса задерживается. Снимите ограничение, если человек вспомнил пароль.',
            )}
          </p>
          <div class="actions">
            <button type="submit" class="button">
              {t('Снять ограничение входа')}
            </button>
          </div>
        </form>
      ) : null}
      {person.totp_enabled === 1 || person.totp_secret !== null ? (
        <form method="post" action={`/users/${person.id}/totp-reset`} class="stack">
          <CsrfField token={props.csrf} />
          <p class="muted">
            {t(
              'Если телефон и резервные коды потеряны: сброс 2FA завершает сеансы человека, при входе он подключит приложение заново.',
            )}
          </p>
          <div class="actions">
            <button type="submit" class="button">
              {t('Сбросить 2FA')}
            </button>
          </div>
        </form>
      ) : null}
      {person.auth_source === 'ldap' ? (
        <p class="muted">{t('Пароль этой учётной записи задаётся в Active Directory')}</p>
      ) : person.status === 'active' && person.login !== null ? (
        <form method="post" action={`/users/${person.id}/password-reset`} class="stack">
          <CsrfField token={props.csrf} />
          <p class="muted">
            {t('Сброс пароля завершает сеансы человека и выдаёт одноразовую ссылку для установки нового пароля.')}
          </p>
          <div class="actions">
            <button type="submit" class="button">
              {t('Сбросить пароль')}
            </button>
          </div>
        </form>
      ) : null}
    </div>
  )
}

function SessionsCard(props: UserViewProps) {
  const { person, sessions } = props
  return (
    <section class="card stack sessions">
      <div class="page-head">
        <h2>{t('Активные сеансы')}</h2>
        {sessions.length > 0 ? (
          <form
            method="post"
            action={`/users/${person.id}/sessions/revoke-all`}
            data-confirm={t('Завершить все сеансы этого пользователя?')}
          >
            <CsrfField token={props.csrf} />
            <button type="submit" class="button button--danger">
              {t('Завершить все')}
            </button>
          </form>
        ) : null}
      </div>
      <FormError message={props.errors?.sessions} />
      <SessionTable
        sessions={sessions}
        csrf={props.csrf}
        action={`/users/${person.id}/sessions/revoke`}
        now={props.now}
        tz={props.tz}
      />
    </section>
  )
}

/** Live sessions with «Завершить» on each (also the profile's own list). */
export function SessionTable(props: {
  sessions: SessionInfo[]
  csrf: string
  action: string
  now: string
  tz: string
  current?: string
}) {
  if (props.sessions.length === 0) return <p class="muted">{t('Активных сеансов нет.')}</p>
  return (
    <div class="table-wrap">
      <table class="tickets sessions">
        <thead>
          <tr>
            <th scope="col" class="fit">
              {t('Начат')}
            </th>
            <th scope="col" class="fit">
              {t('Последнее действие')}
            </th>
            <th scope="col">{`${t('Браузер')}, IP`}</th>
            <th scope="col" class="fit">
              <span class="visually-hidden">{t('Действия')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.sessions.map((s) => (
            <tr>
              <td class="fit">{dateTime(s.created_at, props.tz)}</td>
              <td class="fit">
                <When at={s.last_seen_at} now={props.now} tz={props.tz} />
              </td>
              <td class="user-agent" title={s.user_agent ?? ''}>
                {s.user_agent ? browserOf(s.user_agent) : '—'}
                <span class="sub">{s.ip ?? '—'}</span>
              </td>
              <td class="fit">
                {s.id === props.current ? (
                  <span class="muted">{t('этот сеанс')}</span>
                ) : (
                  <form method="post" action={props.action}>
                    <CsrfField token={props.csrf} />
                    <input type="hidden" name="session" value={s.id} />
                    <button type="submit" class="button">
                      {t('Завершить')}
                    </button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

const browsers: ReadonlyArray<readonly [token: string, name: string]> = [
  ['YaBrowser', 'Яндекс Браузер'],
  ['Edg', 'Edge'],
  ['OPR', 'Opera'],
  ['Firefox', 'Firefox'],
  ['Chrome', 'Chrome'],
  ['Version', 'Safari'],
]
const systems: ReadonlyArray<readonly [pattern: RegExp, name: string]> = [
  [/Windows/, 'Windows'],
  [/Android/, 'Android'],
  [/iPhone|iPad/, 'iOS'],
  [/Mac OS/, 'macOS'],
  [/Linux/, 'Linux'],
]

/** «Chrome 131, Windows» from a user agent (the full text is in the title); unknown ones shortened. */
export function browserOf(userAgent: string): string {
  const system = systems.find(([pattern]) => pattern.test(userAgent))?.[1]
  for (const [token, name] of browsers) {
    const version = new RegExp(`${token}/(\\d+)`).exec(userAgent)?.[1]
    if (version) return system ? `${name} ${version}, ${system}` : `${name} ${version}`
  }
  return userAgent.length > 40 ? `${userAgent.slice(0, 40)}…` : userAgent
}
