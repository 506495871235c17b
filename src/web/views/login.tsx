import { CSRF_FIELD } from '../csrf.ts'
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
    <Layout title="Вход">
      <section class="card login">
        <div class="login__brand">
          <span class="brand__mark" aria-hidden="true">
            ИТ
          </span>
          <div>
            <h1>ИТ-поддержка</h1>
            <p class="muted">ОБУЗ КГКБСМП</p>
          </div>
        </div>
        <form method="post" action={`/login?next=${encodeURIComponent(props.next)}`} class="stack">
          <input type="hidden" name={CSRF_FIELD} value={props.token} />
          <FormError message={props.error} />
          <label class="field">
            <span>Логин</span>
            <input name="login" autocomplete="username" required autofocus value={props.login ?? ''} />
          </label>
          <label class="field">
            <span>Пароль</span>
            <input name="password" type="password" autocomplete="current-password" required />
          </label>
          <div class="actions">
            <button type="submit" class="button button--primary">
              Войти
            </button>
          </div>
        </form>
        <p class="muted small">
          Нет учётной записи? Зарегистрируйтесь в Telegram-боте ИТ-отдела — куратор подтвердит регистрацию.
        </p>
      </section>
    </Layout>
  )
}
