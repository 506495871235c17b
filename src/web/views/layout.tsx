import { raw } from 'hono/html'
import type { Child } from 'hono/jsx'
import type { User } from '#src/db/schema.ts'
import { CSRF_HEADER } from '../csrf.ts'
import { roleLabel } from '../format.ts'
import { language, msg, t } from '../i18n.ts'
import { navCounts } from '../nav-counts.ts'
import { assetUrl } from '../static.ts'
import { Bell } from './bell.tsx'
import { CsrfField } from './parts.tsx'

export type Section =
  | 'home'
  | 'tickets'
  | 'new'
  | 'macros'
  | 'equipment'
  | 'kb'
  | 'plans'
  | 'approvals'
  | 'outages'
  | 'duty'
  | 'registrations'
  | 'categories'
  | 'departments'
  | 'groups'
  | 'users'
  | 'stats'
  | 'audit'
  | 'pdn'
  | 'profile'
  | 'none'

export interface LayoutProps {
  title: string
  /** The signed-in person; absent on the login page and refusals. */
  user?: User | undefined
  csrf?: string | undefined
  section?: Section
  /** The search box's current text. */
  q?: string | undefined
  children?: Child
}

type Role = User['role']
const staffRoles: readonly Role[] = ['executor', 'curator', 'admin']
const curatorRoles: readonly Role[] = ['curator', 'admin']

/** The left navigation: each entry for the roles that may open it (the routes check again). */
const navigation: ReadonlyArray<{ section: Section; href: string; label: string; roles?: readonly Role[] }> = [
  { section: 'home', href: '/', label: msg('Главная'), roles: staffRoles },
  { section: 'tickets', href: '/tickets', label: msg('Заявки') },
  { section: 'new', href: '/tickets/new', label: msg('Новая заявка') },
  { section: 'macros', href: '/macros', label: msg('Шаблоны ответов'), roles: staffRoles },
  { section: 'equipment', href: '/equipment', label: msg('Оборудование'), roles: staffRoles },
  { section: 'kb', href: '/kb', label: msg('База знаний') },
  { section: 'plans', href: '/plans', label: msg('Плановые работы'), roles: staffRoles },
  // Issue 14: only for those with tickets awaiting their decision (a head of a department, a curator).
  { section: 'approvals', href: '/approvals', label: msg('На согласовании') },
  { section: 'outages', href: '/outages', label: msg('Массовые сбои'), roles: staffRoles },
  { section: 'duty', href: '/duty', label: msg('Дежурства'), roles: staffRoles },
  { section: 'registrations', href: '/registrations', label: msg('Регистрации'), roles: curatorRoles },
  { section: 'categories', href: '/categories', label: msg('Категории'), roles: curatorRoles },
  { section: 'departments', href: '/departments', label: msg('Отделения'), roles: curatorRoles },
  { section: 'groups', href: '/groups', label: msg('Группы исполнителей'), roles: curatorRoles },
  { section: 'users', href: '/users', label: msg('Пользователи'), roles: ['admin'] },
  { section: 'stats', href: '/stats', label: msg('Статистика'), roles: staffRoles },
  { section: 'audit', href: '/audit', label: msg('Журнал аудита'), roles: ['admin'] },
  // Issue 10: settings, the access list, consents, requests, destruction — one hub for the admin.
  { section: 'pdn', href: '/pdn', label: msg('ПДн'), roles: ['admin'] },
  { section: 'profile', href: '/profile', label: msg('Профиль') },
]

/** The keys of the list and the ticket (app.js), shown by `?`; none acts while one types in a field. */
function Shortcuts(props: { staff: boolean }) {
  const keys: Array<[string, string]> = [
    ['/', t('поиск')],
    ['j / k', t('следующая / предыдущая заявка списка')],
    ['Enter', t('открыть заявку')],
    ...(props.staff ? ([['a', t('взять в работу')]] as Array<[string, string]>) : []),
    ['r', t('ответить заявителю')],
    ...(props.staff
      ? ([
          ['n', t('внутренняя заметка')],
          ['e', t('решить: написать результат')],
        ] as Array<[string, string]>)
      : []),
    ['Ctrl+Enter', t('отправить')],
    ['?', t('эта подсказка')],
  ]
  return (
    <dialog id="shortcuts" class="shortcuts" aria-labelledby="shortcuts-title">
      <form method="dialog">
        <h2 id="shortcuts-title">{t('Клавиши')}</h2>
        <dl>
          {keys.map(([key, what]) => (
            <>
              <dt>
                <kbd>{key}</kbd>
              </dt>
              <dd>{what}</dd>
            </>
          ))}
        </dl>
        <p class="muted small">{t('Не действуют, пока курсор в поле ввода.')}</p>
        <button type="submit" class="button">
          {t('Закрыть')}
        </button>
      </form>
    </dialog>
  )
}

// htmx must not inject its own <style> (the CSP allows only our stylesheet) nor evaluate code.
const htmxConfig = JSON.stringify({ includeIndicatorStyles: false, allowEval: false, allowScriptTags: false })

/** Every page: the left navigation, the top bar with search and the person, the content. */
export function Layout(props: LayoutProps) {
  const { user, csrf } = props
  const pending = navCounts()?.pendingRegistrations ?? 0
  const awaiting = navCounts()?.awaitingApproval ?? 0
  // Staff's bell (issue 13): on the pages the session middleware counted for (not on a bare refusal page).
  const unread = user && user.role !== 'requester' ? navCounts()?.unreadNotifications : undefined
  return (
    <>
      {raw('<!DOCTYPE html>')}
      {/* The theme the person chose; without one app.css follows the system's (prefers-color-scheme). */}
      <html lang={language()} data-theme={user?.theme === 'system' ? undefined : user?.theme}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="htmx-config" content={htmxConfig} />
          <title>{`${props.title} · ${t('ИТ-поддержка КГКБСМП')}`}</title>
          <link rel="icon" href={assetUrl('favicon.svg')} type="image/svg+xml" />
          <link rel="stylesheet" href={assetUrl('app.css')} />
          <script src={assetUrl('htmx.min.js')} defer />
          <script src={assetUrl('app.js')} defer />
        </head>
        <body
          class={user ? 'app' : 'app app--bare'}
          hx-headers={csrf ? JSON.stringify({ [CSRF_HEADER]: csrf }) : undefined}
        >
          <a class="skip" href="#main">
            {t('К содержимому')}
          </a>
          {user && csrf ? (
            <>
              <header class="topbar">
                {/* Folds the navigation on a desk; app.js shows it and keeps the choice (without JS: open). */}
                <button
                  type="button"
                  class="nav-toggle"
                  aria-controls="sidenav"
                  aria-expanded="true"
                  title={t('Скрыть или показать меню')}
                  hidden
                  data-nav-toggle
                >
                  <span aria-hidden="true">☰</span>
                  <span class="visually-hidden">{t('Меню')}</span>
                </button>
                {/* The title names the link on a phone too, where the name's text is hidden (axe: link-name). */}
                <a class="brand" href="/tickets" title={t('Поддержка КГКБСМП')}>
                  <span class="brand__mark" aria-hidden="true">
                    ИТ
                  </span>
                  <span class="brand__name">{t('Поддержка КГКБСМП')}</span>
                </a>
                <form class="search" method="get" action="/tickets">
                  <label class="visually-hidden" for="top-search">
                    {t('Поиск по заявкам')}
                  </label>
                  <input
                    id="top-search"
                    type="search"
                    name="q"
                    value={props.q ?? ''}
                    placeholder={t('Поиск: номер, текст…  ( / )')}
                    data-search
                  />
                </form>
                <div class="person">
                  <a class="person__name" href="/profile">
                    {user.full_name}
                  </a>
                  <span class="person__role">{roleLabel(user.role)}</span>
                </div>
                {unread === undefined ? null : <Bell unread={unread} />}
                <form method="post" action="/logout" class="logout">
                  <CsrfField token={csrf} />
                  <button type="submit" class="button button--ghost">
                    {t('Выйти')}
                  </button>
                </form>
              </header>
              <nav class="sidenav" id="sidenav" aria-label={t('Разделы')}>
                <ul>
                  {navigation
                    .filter((entry) => !entry.roles || entry.roles.includes(user.role))
                    .filter((entry) => entry.section !== 'approvals' || awaiting > 0)
                    .map((entry) => (
                      <li>
                        <a href={entry.href} aria-current={props.section === entry.section ? 'page' : undefined}>
                          {t(entry.label)}
                          {entry.section === 'registrations' && pending > 0 ? (
                            <span class="nav-count" title={t('Ждут решения: {n}', { n: pending })}>
                              {` ${pending}`}
                            </span>
                          ) : null}
                          {entry.section === 'approvals' ? (
                            <span class="nav-count" title={t('Ждут решения: {n}', { n: awaiting })}>
                              {` ${awaiting}`}
                            </span>
                          ) : null}
                        </a>
                      </li>
                    ))}
                </ul>
              </nav>
            </>
          ) : null}
          <main id="main" class="content" tabindex={-1}>
            {props.children}
          </main>
          {user ? <Shortcuts staff={staffRoles.includes(user.role)} /> : null}
        </body>
      </html>
    </>
  )
}
