import type { Department, Role, User } from '#src/db/schema.ts'
import { roleLabel } from '../format.ts'
import { t } from '../i18n.ts'
import { Layout } from './layout.tsx'
import { CardForm, PageHead } from './parts.tsx'

export interface NewUserValues {
  fullName?: string | undefined
  login?: string | undefined
  role?: string | undefined
  departmentId?: number | undefined
  position?: string | undefined
  phone?: string | undefined
  chatId?: string | undefined
}

/** «Новый пользователь»: no password is typed, the person sets one by the link shown after. */
export function NewUserPage(props: {
  user: User
  csrf: string
  roles: readonly Role[]
  departments: Department[]
  values: NewUserValues
  error?: string | undefined
}) {
  const v = props.values
  return (
    <Layout title={t('Новый пользователь')} user={props.user} csrf={props.csrf} section="users">
      <PageHead title={t('Новый пользователь')} />
      <CardForm
        action="/users/new"
        csrf={props.csrf}
        title={t('Данные пользователя')}
        error={props.error}
        submit={t('Создать и получить ссылку')}
        primary
      >
        <p class="muted">
          {t('Пароль не задаётся: после создания появится одноразовая ссылка для его установки (действует 24 часа).')}
        </p>
        <label class="field">
          <span>{t('ФИО')}</span>
          <input name="full_name" required maxlength={200} value={v.fullName ?? ''} />
        </label>
        <div class="grid-2">
          <label class="field">
            <span>{t('Логин')}</span>
            <input name="login" required maxlength={64} autocomplete="off" value={v.login ?? ''} />
          </label>
          <label class="field">
            <span>{t('Роль')}</span>
            <select name="role">
              {props.roles.map((r) => (
                <option value={r} selected={v.role === r}>
                  {roleLabel(r)}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label class="field">
          <span>{t('Отделение')}</span>
          <select name="department">
            <option value="">{t('Не указано')}</option>
            {props.departments.map((d) => (
              <option value={String(d.id)} selected={d.id === v.departmentId}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t('Должность')}</span>
          <input name="position" maxlength={200} value={v.position ?? ''} />
        </label>
        <div class="grid-2">
          <label class="field">
            <span>{t('Телефон')}</span>
            <input name="phone" type="tel" maxlength={30} value={v.phone ?? ''} />
          </label>
          <label class="field">
            <span>{t('Чат Telegram (необязательно)')}</span>
            <input name="chat_id" inputmode="numeric" maxlength={20} value={v.chatId ?? ''} />
          </label>
        </div>
      </CardForm>
    </Layout>
  )
}

/** The link to hand over, shown once: only its hash is kept. */
export function PasswordLinkIssuedPage(props: {
  user: User
  csrf: string
  person: User
  url: string
  sentToTelegram: boolean
  created: boolean
}) {
  const title = props.created ? t('Пользователь создан') : t('Пароль сброшен')
  return (
    <Layout title={title} user={props.user} csrf={props.csrf} section="users">
      <PageHead title={title} />
      <section class="card stack">
        <p>
          {t('Передайте эту ссылку пользователю {name} (логин {login}): по ней он установит пароль и войдёт.', {
            name: props.person.full_name,
            login: props.person.login ?? '',
          })}
        </p>
        <p>
          <code>{props.url}</code>
        </p>
        <p class="muted">
          {t('Ссылка одноразовая и действует 24 часа; она показывается только сейчас.')}{' '}
          {props.sentToTelegram ? t('Она также отправлена пользователю в Telegram.') : null}
        </p>
        <p>
          <a href={`/users/${props.person.id}`}>{t('К странице пользователя')}</a>
        </p>
      </section>
    </Layout>
  )
}
