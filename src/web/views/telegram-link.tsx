import { raw } from 'hono/html'
import type { User } from '#src/db/schema.ts'
import { dateTime } from '../format.ts'
import { msg, t } from '../i18n.ts'
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

/**
 * What a messenger's link page and profile card say, and where the card posts (`<base>/link`, `<base>/unlink`):
 * Telegram's below, MAX's in max-link.tsx.
 */
export interface MessengerLinkTexts {
  /** The messenger's name, the same in every language. */
  name: string
  base: string
  title: string
  openLink: string
  findBot: string
  after: string
  invite: string
  link: string
  linkAnother: string
  unlink: string
  unlinkConfirm: string
}

const telegramTexts: MessengerLinkTexts = {
  name: 'Telegram',
  base: '/profile/telegram',
  title: msg('Привязка Telegram'),
  openLink: msg('Откройте ссылку на телефоне с Telegram и нажмите «Запустить»:'),
  findBot: msg('Найдите бота службы поддержки в Telegram и отправьте ему команду'),
  after: msg('После привязки уведомления о заявках будут приходить в этот Telegram.'),
  invite: msg('Привяжите Telegram, чтобы получать уведомления о заявках и подавать их через бота.'),
  link: msg('Привязать Telegram'),
  linkAnother: msg('Привязать другой Telegram'),
  unlink: msg('Отвязать Telegram…'),
  unlinkConfirm: msg('Отвязать Telegram? Уведомления о заявках перестанут приходить в Telegram.'),
}

/** «Профиль → Привязка Telegram»: the one-time code, the deep link and its QR (our own SVG). */
export function TelegramLinkPage(props: TelegramLinkViewProps) {
  return <MessengerLinkPage {...props} texts={telegramTexts} />
}

/** A messenger's link page: the one-time code, the deep link and its QR, or the command alone. */
export function MessengerLinkPage(props: TelegramLinkViewProps & { texts: MessengerLinkTexts }) {
  const { issued, texts } = props
  return (
    <Layout title={t(texts.title)} user={props.user} csrf={props.csrf} section="profile">
      <PageHead title={t(texts.title)}>
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
                {t(texts.openLink)}{' '}
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
              {t(texts.findBot)} <code>{issued.command}</code>
            </p>
          )}
          <p class="muted small">{t(texts.after)}</p>
        </section>
      ) : (
        <section class="card stack">
          <h2>{texts.name}</h2>
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
  return (
    <MessengerCard
      csrf={props.csrf}
      texts={telegramTexts}
      chat={user.telegram_chat_id}
      username={user.telegram_username}
      mayUnlink={user.login !== null && (user.password_hash !== null || user.auth_source === 'ldap')}
    />
  )
}

/** A messenger's profile card: linked (the id masked) or not, «Привязать …» and, where allowed, «Отвязать …». */
export function MessengerCard(props: {
  csrf: string
  texts: MessengerLinkTexts
  /** The messenger's own id of the person's chat, if linked. */
  chat: string | null
  username: string | null
  /** Whether the person may unlink it (the use case refuses the same cases). */
  mayUnlink: boolean
}) {
  const { chat, texts } = props
  return (
    <section class="card stack">
      <h2>{texts.name}</h2>
      {chat !== null ? (
        <>
          <p>
            <span class="badge account account--active">{t('Привязан')}</span> {maskChat(chat)}
            {props.username ? ` · @${props.username}` : null}
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
          <p class="muted small">{t(texts.invite)}</p>
        </>
      )}
      <form method="post" action={`${texts.base}/link`} class="actions">
        <CsrfField token={props.csrf} />
        <button type="submit" class={chat === null ? 'button button--primary' : 'button'}>
          {chat === null ? t(texts.link) : t(texts.linkAnother)}
        </button>
      </form>
      {chat !== null && props.mayUnlink ? (
        <DangerZone
          summary={t(texts.unlink)}
          action={`${texts.base}/unlink`}
          confirm={t(texts.unlinkConfirm)}
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
