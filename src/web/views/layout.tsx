import { raw } from 'hono/html'
import type { Child } from 'hono/jsx'
import type { User } from '#src/db/schema.ts'
import { CSRF_HEADER } from '../csrf.ts'
import { assetUrl } from '../static.ts'
import { CsrfField } from './parts.tsx'

export type Section = 'tickets' | 'new' | 'none'

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

const roleLabels: Record<User['role'], string> = {
  requester: 'Пользователь',
  executor: 'Исполнитель',
  curator: 'Куратор',
  admin: 'Администратор',
}

// htmx must not inject its own <style> (the CSP allows only our stylesheet) nor evaluate code.
const htmxConfig = JSON.stringify({ includeIndicatorStyles: false, allowEval: false, allowScriptTags: false })

/** Every page: the left navigation, the top bar with search and the person, the content. */
export function Layout(props: LayoutProps) {
  const { user, csrf } = props
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="ru">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="htmx-config" content={htmxConfig} />
          <title>{`${props.title} · ИТ-поддержка КГКБСМП`}</title>
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
            К содержимому
          </a>
          {user && csrf ? (
            <>
              <header class="topbar">
                <a class="brand" href="/tickets">
                  <span class="brand__mark" aria-hidden="true">
                    ИТ
                  </span>
                  <span class="brand__name">Поддержка КГКБСМП</span>
                </a>
                <form class="search" method="get" action="/tickets">
                  <label class="visually-hidden" for="top-search">
                    Поиск по заявкам
                  </label>
                  <input
                    id="top-search"
                    type="search"
                    name="q"
                    value={props.q ?? ''}
                    placeholder="Поиск: номер, текст…  ( / )"
                    data-search
                  />
                </form>
                <div class="person">
                  <span class="person__name">{user.full_name}</span>
                  <span class="person__role">{roleLabels[user.role]}</span>
                </div>
                <form method="post" action="/logout" class="logout">
                  <CsrfField token={csrf} />
                  <button type="submit" class="button button--ghost">
                    Выйти
                  </button>
                </form>
              </header>
              <nav class="sidenav" aria-label="Разделы">
                <ul>
                  <li>
                    <a href="/tickets" aria-current={props.section === 'tickets' ? 'page' : undefined}>
                      Заявки
                    </a>
                  </li>
                  <li>
                    <a href="/tickets/new" aria-current={props.section === 'new' ? 'page' : undefined}>
                      Новая заявка
                    </a>
                  </li>
                </ul>
              </nav>
            </>
          ) : null}
          <main id="main" class="content">
            {props.children}
          </main>
        </body>
      </html>
    </>
  )
}
