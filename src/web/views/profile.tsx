import type { ConsentRecordsTable, User } from '#src/db/schema.ts'
import type { SessionInfo } from '#src/users/session-list.ts'
import { date, roleLabel } from '../format.ts'
import { t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { MaxCard } from './max-link.tsx'
import { CardForm, DangerZone, Fact, FormError, Notice, PageHead } from './parts.tsx'
import { TelegramCard } from './telegram-link.tsx'
import { SessionTable } from './users.tsx'

type ConsentShown = Pick<ConsentRecordsTable, 'status' | 'channel' | 'created_at'>

export type ProfileForm = 'contacts' | 'language' | 'theme' | 'password' | 'sessions' | 'consent'

export interface ProfileViewProps {
  user: User
  csrf: string
  department: string | null
  /** The person's latest consent record, if any (staff created by an admin may have none). */
  consent?: ConsentShown | undefined
  sessions: SessionInfo[]
  /** The session this page is shown in: it cannot be ended from the list. */
  currentSession: string
  errors?: Partial<Record<ProfileForm, string>> | undefined
  /** What was just done, from the redirect after a form. */
  done?: string | undefined
  /** What the person typed into the contacts form, when it was refused. */
  draft?: { room?: string | undefined; phone?: string | undefined } | undefined
  now: string
  tz: string
  /** MAX_BOT_TOKEN is set: the «MAX» card is shown (and to whoever has MAX linked anyway). */
  maxEnabled?: boolean | undefined
}

const doneTexts = (): Record<string, string> => ({
  contacts: t('Контакты сохранены'),
  language: t('Язык интерфейса изменён'),
  theme: t('Тема оформления изменена'),
  password: t('Пароль изменён, другие сеансы завершены'),
  session: t('Сеанс завершён'),
  telegram_unlinked: t('Telegram отвязан'),
  max_unlinked: t('MAX отвязан'),
})

export function ProfilePage(props: ProfileViewProps) {
  const { user } = props
  const notice = props.done ? doneTexts()[props.done] : undefined
  return (
    <Layout title={t('Профиль')} user={user} csrf={props.csrf} section="profile">
      <PageHead title={t('Профиль')} />
      <Notice>{notice}</Notice>
      <section class="card stack">
        <h2>{user.full_name}</h2>
        <dl class="facts">
          <Fact label={t('Роль')} value={roleLabel(user.role)} />
          <Fact label={t('Отделение')} value={props.department} />
          <Fact label={t('Должность')} value={user.position} />
          <Fact label={t('Логин')} value={user.login} />
        </dl>
        <p class="muted small">{t('ФИО, отделение и должность исправляет администратор.')}</p>
        <p>
          <a href="/profile/2fa">{t('Двухфакторная защита')}</a>
          {': '}
          {user.totp_enabled === 1 ? t('включена') : t('не включена')}
        </p>
        <p>
          <a href="/profile/outage-notices">{t('Объявления о массовых сбоях')}</a>
        </p>
      </section>
      <div class="admin-grid">
        <ContactsForm {...props} />
        <div class="stack">
          <LanguageForm {...props} />
          <ThemeForm {...props} />
          <TelegramCard user={user} csrf={props.csrf} />
          {props.maxEnabled || user.max_user_id !== null ? <MaxCard user={user} csrf={props.csrf} /> : null}
        </div>
      </div>
      <div class="admin-grid">
        <PasswordForm {...props} />
        <section class="card stack">
          <h2>{t('Мои сеансы')}</h2>
          <FormError message={props.errors?.sessions} />
          <SessionTable
            sessions={props.sessions}
            csrf={props.csrf}
            action="/profile/sessions/revoke"
            current={props.currentSession}
            now={props.now}
            tz={props.tz}
          />
        </section>
      </div>
      <section class="card stack">
        <h2>{t('API-токены')}</h2>
        <p class="muted">{t('Токены для программ, которые работают с заявками от вашего имени через API.')}</p>
        <p>
          <a href="/profile/tokens">{t('Мои API-токены')}</a>
        </p>
      </section>
      <ConsentCard {...props} />
    </Layout>
  )
}

function ContactsForm(props: ProfileViewProps) {
  const { user, draft } = props
  return (
    <CardForm
      action="/profile/contacts"
      csrf={props.csrf}
      title={t('Контакты')}
      error={props.errors?.contacts}
      submit={t('Сохранить')}
      primary
    >
      <p class="muted small">{t('Их видит ИТ-отдел, когда приходит по вашей заявке.')}</p>
      <label class="field">
        <span>{t('Кабинет, корпус')}</span>
        <input name="room" value={draft?.room ?? user.room ?? ''} maxlength={200} autocomplete="off" />
      </label>
      <label class="field">
        <span>{t('Телефон')}</span>
        <input name="phone" type="tel" value={draft?.phone ?? user.phone ?? ''} maxlength={30} autocomplete="tel" />
      </label>
    </CardForm>
  )
}

function LanguageForm(props: ProfileViewProps) {
  const { user } = props
  return (
    <CardForm
      action="/profile/language"
      csrf={props.csrf}
      title={t('Язык интерфейса')}
      error={props.errors?.language}
      submit={t('Сменить язык')}
    >
      <fieldset class="language-switch">
        <legend class="visually-hidden">{t('Язык интерфейса')}</legend>
        <label class="chip">
          <input type="radio" name="language" value="ru" checked={user.language === 'ru'} />
          Русский
        </label>
        <label class="chip">
          <input type="radio" name="language" value="en" checked={user.language === 'en'} />
          English
        </label>
      </fieldset>
    </CardForm>
  )
}

/** Light or dark pages; «Как в системе» follows the computer's setting (the layout's `data-theme`, app.css). */
function ThemeForm(props: ProfileViewProps) {
  const { theme } = props.user
  const choices: Array<[User['theme'], string]> = [
    ['system', t('Как в системе')],
    ['light', t('Светлая')],
    ['dark', t('Тёмная')],
  ]
  return (
    <CardForm
      action="/profile/theme"
      csrf={props.csrf}
      title={t('Тема оформления')}
      error={props.errors?.theme}
      submit={t('Сменить тему')}
    >
      <fieldset class="language-switch">
        <legend class="visually-hidden">{t('Тема оформления')}</legend>
        {choices.map(([value, label]) => (
          <label class="chip">
            <input type="radio" name="theme" value={value} checked={theme === value} />
            {label}
          </label>
        ))}
      </fieldset>
    </CardForm>
  )
}

function PasswordForm(props: ProfileViewProps) {
  if (props.user.login === null) {
    return (
      <section class="card stack">
        <h2>{t('Пароль')}</h2>
        <p class="muted">
          {t('Вход по паролю для вашей учётной записи не настроен: входите по ссылке из бота (/login).')}
        </p>
      </section>
    )
  }
  return (
    <CardForm
      action="/profile/password"
      csrf={props.csrf}
      title={t('Смена пароля')}
      error={props.errors?.password}
      submit={t('Сменить пароль')}
      primary
    >
      <label class="field">
        <span>{t('Текущий пароль')}</span>
        <input name="current" type="password" autocomplete="current-password" required />
      </label>
      <label class="field">
        <span>{t('Новый пароль')}</span>
        <input name="next" type="password" autocomplete="new-password" required minlength={8} maxlength={256} />
      </label>
      <label class="field">
        <span>{t('Новый пароль ещё раз')}</span>
        <input name="repeat" type="password" autocomplete="new-password" required minlength={8} maxlength={256} />
      </label>
      <p class="muted small">
        {t('Не короче 8 символов; не из списка распространённых. После смены другие сеансы завершатся.')}
      </p>
    </CardForm>
  )
}

/** The consent to process ПДн and its withdrawal (152-ФЗ ст. 9 ч. 2): the account ends with it. */
function ConsentCard(props: ProfileViewProps) {
  const { consent } = props
  const error = props.errors?.consent
  if ((consent === undefined || consent.status === 'refused') && !error) return null
  const given = consent?.status === 'given'
  return (
    <section class="card stack consent-card">
      <h2>{t('Согласие на обработку персональных данных')}</h2>
      <FormError message={error} />
      {consent?.status === 'given' ? <p>{t('Дано {day}.', { day: date(consent.created_at, props.tz) })}</p> : null}
      {consent?.status === 'withdrawn' ? (
        <p>{t('Отозвано {day}.', { day: date(consent.created_at, props.tz) })}</p>
      ) : null}
      {given ? (
        <DangerZone
          summary={t('Отозвать согласие…')}
          action="/profile/consent/withdraw"
          confirm={t('Отозвать согласие? Учётная запись будет сразу отключена, вы выйдете из системы.')}
          csrf={props.csrf}
          submit={t('Отозвать согласие')}
        >
          <p class="muted small">
            {t(
              'Без согласия мы не можем обрабатывать ваши данные: учётная запись отключится сразу, данные будут уничтожены в установленный срок. Заявки останутся в истории.',
            )}
          </p>
        </DangerZone>
      ) : null}
    </section>
  )
}
