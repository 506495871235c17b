import { t } from '../i18n.ts'
import { LoginCard } from './login.tsx'
import { FormError } from './parts.tsx'

export interface LoginCodeViewProps {
  token: string
  next: string
  /** A recovery code instead of the app's six digits. */
  recovery: boolean
  error?: string | undefined
}

/** The login's second step: the code from the authenticator app, or a recovery code. */
export function LoginCodePage(props: LoginCodeViewProps) {
  const next = encodeURIComponent(props.next)
  return (
    <LoginCard
      title={t('Код из приложения')}
      heading={t('Двухфакторная защита')}
      subtitle={t('ОБУЗ КГКБСМП')}
      action={`/login/code?next=${next}`}
      csrf={props.token}
      footnote={
        props.recovery ? (
          <a href={`/login/code?next=${next}`}>{t('Ввести код из приложения')}</a>
        ) : (
          <a href={`/login/code?recovery=1&next=${next}`}>{t('Ввести резервный код')}</a>
        )
      }
    >
      <FormError message={props.error} />
      <label class="field">
        <span>{props.recovery ? t('Резервный код') : t('Код из приложения')}</span>
        <input
          name="code"
          required
          autofocus
          autocomplete={props.recovery ? 'off' : 'one-time-code'}
          inputmode={props.recovery ? 'text' : 'numeric'}
          maxlength={props.recovery ? 32 : 6}
        />
      </label>
    </LoginCard>
  )
}
