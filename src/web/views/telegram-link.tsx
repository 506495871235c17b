import { raw } from 'hono/html'
import type { User } from '#src/db/schema.ts'
import { dateTime } from '../format.ts'
import { t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { CsrfField, DangerZone, FormError, PageHead } from './parts.tsx'

export interface TelegramLinkViewProps {
  user: User
  csrf: string
  /** A code just issued: shown this once. */
  issued?: { code: string; expiresAt: string; command: string; link: string | null; qrSvg: string | null } | undefined
  error?: string | undefined
  tz: string
}

/** «Профиль → Привязка Telegram»: the one-time code, the deep link and its QR (our own SVG). */
export function TelegramLinkPage(props: TelegramLinkViewProps) {
  const { issued } = props
  return (
    <Layout title={t('Привязка Telegram')} user={props.user} csrf={props.csrf} section="profile">
      <PageHead title={t('Привязка Telegram')}>
        <a class="button" href="/profile">
          {t('Профиль')}
        </a>
      </PageHead>
      {issued ? (
        <section class="card stack">
          <h2>{t('Код привязки')}</h2>
          <p>
            <code class="link-code">{issued.code}</code>
          </p>
          <p class="muted small">
            {t('Код одноразовый и действует до {time}. Никому его не сообщайте.', {
              time: dateTime(issued.expiresAt, props.tz),
            })}
          </p>
          {issued.link ? (
            <>
              <p>
                {t('Откройте ссылку на телефоне с Telegram и нажмите «Запустить»:')}{' '}
                <a href={issued.link} rel="noopener noreferrer">
                  {issued.link}
                </a>
              </p>
              {issued.qrSvg ? <div class="qr">{raw(issued.qrSvg)}</div> : null}
              <p>
                {t('или отправьте боту команду')} <code>{issued.command}</code>
              </p>
            </>
          ) : (
            <p>
              {t('Найдите бота службы поддержки в Telegram и отправьте ему команду')} <code>{issued.command}</code>
            </p>
          )}
          <p class="muted small">{t('После привязки уведомления о заявках будут приходить в этот Telegram.')}</p>
        </section>
      ) : (
        <section class="card stack">
          <h2>Telegram</h2>
          <FormError message={props.error} />
          <p>
            <a href="/profile">{t('Вернуться в профиль')}</a>
          </p>
        </section>
      )}
    </Layout>
  )
}

/** The profile's «Telegram» card: whether a chat is linked (masked), «Привязать Telegram» and «Отвязать». */
export function TelegramCard(props: { user: User; csrf: string }) {
  const { user } = props
  const chat = user.telegram_chat_id
  const mayUnlink = user.login !== null && (user.password_hash !== null || user.auth_source === 'ldap')
  return (
    <section class="card stack">
      <h2>Telegram</h2>
      {chat !== null ? (
        <>
          <p>
            <span class="badge account account--active">{t('Привязан')}</span> {maskChat(chat)}
            {user.telegram_username ? ` · @${user.telegram_username}` : null}
          </p>
          <p class="muted small">
            {t('Чтобы войти на сайт без пароля, отправьте боту команду /login — он пришлёт одноразовую ссылку.')}
          </p>
        </>
      ) : (
        <>
          <p>
            <span class="badge account account--deactivated">{t('Не привязан')}</span>
          </p>
          <p class="muted small">
            {t('Привяжите Telegram, чтобы получать уведомления о заявках и подавать их через бота.')}
          </p>
        </>
      )}
      <form method="post" action="/profile/telegram/link" class="actions">
        <CsrfField token={props.csrf} />
        <button type="submit" class={chat === null ? 'button button--primary' : 'button'}>
          {chat === null ? t('Привязать Telegram') : t('Привязать другой Telegram')}
        </button>
      </form>
      {chat !== null && mayUnlink ? (
        <DangerZone
          summary={t('Отвязать Telegram…')}
          action="/profile/telegram/unlink"
          confirm={t('Отвязать Telegram? Уведомления о заявках перестанут приходить в Telegram.')}
          csrf={props.csrf}
          submit={t('Отвязать')}
        />
      ) : null}
    </section>
  )
}

/** The chat id's last three digits only: enough to recognise, nothing to copy from over a shoulder. */
function maskChat(chatId: string): string {
  return `••••${chatId.slice(-3)}`
}
