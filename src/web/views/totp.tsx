import { raw } from 'hono/html'
import type { User } from '#src/db/schema.ts'
import { t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { CardForm, Notice, PageHead } from './parts.tsx'

export interface TotpViewProps {
  user: User
  csrf: string
  /** A pending enrolment to show: the QR code (our own SVG, no outside request) and the secret as text. */
  enrolment?: { secret: string; qrSvg: string } | undefined
  /** Recovery codes just issued: shown this once. */
  recoveryCodes?: string[] | undefined
  /** AUTH_REQUIRE_2FA names this person's role: it cannot be turned off. */
  required: boolean
  error?: string | undefined
  done?: string | undefined
}

/** «Профиль → Двухфакторная защита». */
export function TotpPage(props: TotpViewProps) {
  const enabled = props.user.totp_enabled === 1
  return (
    <Layout title={t('Двухфакторная защита')} user={props.user} csrf={props.csrf} section="profile">
      <PageHead title={t('Двухфакторная защита')}>
        <a class="button" href="/profile">
          {t('Профиль')}
        </a>
      </PageHead>
      <Notice>{props.done === 'off' ? t('Двухфакторная защита отключена') : undefined}</Notice>
      {props.recoveryCodes ? (
        <RecoveryCodes codes={props.recoveryCodes} />
      ) : props.enrolment ? (
        <CardForm
          action="/profile/2fa/confirm"
          csrf={props.csrf}
          title={t('Подключение приложения')}
          error={props.error}
          submit={t('Подтвердить')}
          primary
        >
          <p>
            {t(
              'Отсканируйте QR-код приложением-аутентификатором (Яндекс Ключ, Google Authenticator, FreeOTP, Aegis) или введите ключ вручную, затем введите код из приложения.',
            )}
          </p>
          <div class="qr">{raw(props.enrolment.qrSvg)}</div>
          <p>
            {t('Ключ')}: <code>{props.enrolment.secret}</code>
          </p>
          <label class="field">
            <span>{t('Код из приложения')}</span>
            <input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength={6} required />
          </label>
        </CardForm>
      ) : enabled ? (
        <CardForm
          action="/profile/2fa/disable"
          csrf={props.csrf}
          title={t('Двухфакторная защита включена')}
          error={props.error}
          submit={props.required ? undefined : t('Отключить')}
        >
          {props.required ? (
            <p class="muted">{t('Для Вашей роли двухфакторная защита обязательна.')}</p>
          ) : (
            <label class="field">
              <span>{t('Код из приложения или резервный код')}</span>
              <input name="code" autocomplete="off" maxlength={32} required />
            </label>
          )}
        </CardForm>
      ) : (
        <CardForm
          action="/profile/2fa/begin"
          csrf={props.csrf}
          title={t('Двухфакторная защита не включена')}
          error={props.error}
          submit={t('Подключить')}
          primary
        >
          <p>{t('При входе, кроме пароля, потребуется код из приложения на телефоне.')}</p>
        </CardForm>
      )}
    </Layout>
  )
}

function RecoveryCodes(props: { codes: string[] }) {
  const text = `${props.codes.join('\n')}\n`
  return (
    <section class="card stack">
      <h2>{t('Резервные коды')}</h2>
      <p>
        {t(
          'Двухфакторная защита включена. Сохраните резервные коды: каждый можно использовать один раз, если телефона нет под рукой. Больше они не будут показаны.',
        )}
      </p>
      <pre>{text}</pre>
      <div class="actions">
        <a
          class="button button--primary"
          href={`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`}
          download="helpdesk-recovery-codes.txt"
        >
          {t('Скачать')}
        </a>
        <a class="button" href="/profile">
          {t('Профиль')}
        </a>
      </div>
    </section>
  )
}
