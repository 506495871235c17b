import { CSRF_FIELD } from '../csrf.ts'
import { t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { FormError } from './parts.tsx'

export interface LoginViewProps {
  token: string
  next: string
  login?: string
  error?: string | undefined
}

export function LoginPage(props: LoginViewProps) {
  return (
    <Layout title={t('Вход')}>
      <section class="card login">
        <div class="login__brand">
          <span class="brand__mark" aria-hidden="true">
            ИТ
          </span>
          <div>
            <h1>{t('ИТ-поддержка')}</h1>
            <p class="muted">{t('ОБУЗ КГКБСМП')}</p>
          </div>
        </div>
        <form method="post" action={`/login?next=${encodeURIComponent(props.next)}`} class="stack">
          <input type="hidden" name={CSRF_FIELD} value={props.token} />
          <FormError message={props.error} />
          <label class="field">
            <span>{t('Логин')}</span>
            <input name="login" autocomplete="username" required autofocus value={props.login ?? ''} />
          </label>
          <label class="field">
            <span>{t('Пароль')}</span>
            <input name="password" type="password" autocomplete="current-password" required />
          </label>
          <div class="actions">
            <button type="submit" class="button button--primary">
              {t('Войти')}
            </button>
          </div>
        </form>
        <p class="muted small">
          {t('Нет учётной записи? Зарегистрируйтесь в Telegram-боте ИТ-отдела — куратор подтвердит регистрацию.')}
        </p>
      </section>
    </Layout>
  )
}
