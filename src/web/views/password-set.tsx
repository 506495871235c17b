import { t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { CsrfField, FormError } from './parts.tsx'

export interface PasswordSetViewProps {
  action: string
  csrf: string
  login: string
  fullName: string
  /** The consent text to confirm, where the person has not consented to it. */
  consent: { version: number; text: string } | null
  hours: number
  error?: string | undefined
}

/** The «установить пароль» page of a one-time link: the new password twice and, where due, the consent. */
export function PasswordSetPage(props: PasswordSetViewProps) {
  return (
    <Layout title={t('Установка пароля')}>
      <section class="card login">
        <div class="login__brand">
          <span class="brand__mark" aria-hidden="true">
            ИТ
          </span>
          <div>
            <h1>{t('Установка пароля')}</h1>
            <p class="muted">{t('ИТ-поддержка КГКБСМП')}</p>
          </div>
        </div>
        <p>{t('{name}, задайте пароль для входа с логином {login}.', { name: props.fullName, login: props.login })}</p>
        <form method="post" action={props.action} class="stack">
          <CsrfField token={props.csrf} />
          <FormError message={props.error} />
          <input type="hidden" name="login" autocomplete="username" value={props.login} />
          <label class="field">
            <span>{t('Новый пароль')}</span>
            <input name="password" type="password" autocomplete="new-password" required autofocus />
          </label>
          <label class="field">
            <span>{t('Новый пароль ещё раз')}</span>
            <input name="repeat" type="password" autocomplete="new-password" required />
          </label>
          {props.consent ? (
            <details class="consent-text">
              <summary>
                {t('Текст согласия на обработку персональных данных (версия {version})', props.consent)}
              </summary>
              {props.consent.text.split(/\n{2,}/).map((paragraph) => (
                <p>{paragraph}</p>
              ))}
            </details>
          ) : null}
          {props.consent ? (
            <label>
              <input type="checkbox" name="consent" value="1" required />{' '}
              {t('Я даю согласие на обработку моих персональных данных на условиях, изложенных выше')}
            </label>
          ) : null}
          <div class="actions">
            <button type="submit" class="button button--primary">
              {t('Сохранить пароль и войти')}
            </button>
          </div>
        </form>
        <p class="muted small">
          {t('Ссылка одноразовая и действует {hours} часа с момента выдачи.', { hours: props.hours })}{' '}
          <a href="/login">{t('Войти по логину и паролю')}</a>
        </p>
      </section>
    </Layout>
  )
}
