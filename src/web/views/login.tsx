import type { Child } from 'hono/jsx'
import { t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { CsrfField, FormError } from './parts.tsx'

export interface LoginViewProps {
  token: string
  next: string
  login?: string
  error?: string | undefined
}

/**
 * A sign-in page (password or Telegram link): the brand and heading (`title` unless given), a form posting
 * to `action` with its `children` fields and «Войти», then a `footnote`.
 */
export function LoginCard(props: {
  title: string
  heading?: string
  subtitle: string
  action: string
  csrf: string
  footnote: Child
  children: Child
}) {
  return (
    <Layout title={props.title}>
      <section class="card login">
        <div class="login__brand">
          <span class="brand__mark" aria-hidden="true">
            ИТ
          </span>
          <div>
            <h1>{props.heading ?? props.title}</h1>
            <p class="muted">{props.subtitle}</p>
          </div>
        </div>
        <form method="post" action={props.action} class="stack">
          <CsrfField token={props.csrf} />
          {props.children}
          <div class="actions">
            <button type="submit" class="button button--primary">
              {t('Войти')}
            </button>
          </div>
        </form>
        <p class="muted small">{props.footnote}</p>
      </section>
    </Layout>
  )
}

export function LoginPage(props: LoginViewProps) {
  return (
    <LoginCard
      title={t('Вход')}
      heading={t('ИТ-поддержка')}
      subtitle={t('ОБУЗ КГКБСМП')}
      action={`/login?next=${encodeURIComponent(props.next)}`}
      csrf={props.token}
      footnote={t(
        'Нет учётной записи? Зарегистрируйтесь в боте ИТ-отдела (Telegram или MAX) — куратор подтвердит регистрацию.',
      )}
    >
      <FormError message={props.error} />
      <label class="field">
        <span>{t('Логин')}</span>
        <input name="login" autocomplete="username" required autofocus value={props.login ?? ''} />
      </label>
      <label class="field">
        <span>{t('Пароль')}</span>
        <input name="password" type="password" autocomplete="current-password" required />
      </label>
    </LoginCard>
  )
}
