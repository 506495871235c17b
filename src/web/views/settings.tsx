import type { Child } from 'hono/jsx'
import type { Role, User } from '#src/db/schema.ts'
import type { SettingProblem } from '#src/settings/setting-catalogue.ts'
import type { SettingKey } from '#src/settings/settings.ts'
import { msg, t } from '../i18n.ts'
import { EscalationSettings } from './duty-settings.tsx'
import { Layout } from './layout.tsx'
import { CsrfField, FormError, Notice, PageHead } from './parts.tsx'

/** What a setting's form shows: the value in force, or what the person typed when it was refused. */
export type SettingDrafts = Record<SettingKey, unknown>

export interface SettingsRefusal {
  key: SettingKey
  problems: SettingProblem[]
}

export interface SettingsProps {
  user: User
  csrf: string
  values: SettingDrafts
  refusal?: SettingsRefusal | undefined
  outcome?: string | undefined
  /** AUTH_REQUIRE_2FA: set in the environment, shown here only. */
  require2fa: readonly Role[]
}

const priorities = [
  ['critical', msg('Критический')],
  ['high', msg('Высокий')],
  ['normal', msg('Обычный')],
  ['low', msg('Низкий')],
] as const

const requisiteFields = [
  ['name', msg('Полное наименование'), 300],
  ['shortName', msg('Краткое наименование'), 100],
  ['inn', msg('ИНН'), 10],
  ['ogrn', msg('ОГРН'), 13],
  ['address', msg('Адрес'), 300],
  ['responsible', msg('Ответственный за организацию обработки ПДн (должность, ФИО)'), 300],
] as const

const numberSettings: ReadonlyArray<{ key: SettingKey; label: string; hint: string; min: number; max?: number }> = [
  {
    key: 'tickets.auto_close_days',
    label: msg('Автозакрытие решённой заявки без ответа заявителя, дней'),
    hint: msg('От 1 до 90'),
    min: 1,
    max: 90,
  },
  {
    key: 'audit.retention_days',
    label: msg('Хранение журнала аудита, дней'),
    hint: msg('Не меньше 365 (год)'),
    min: 365,
  },
  {
    key: 'retention.closed_tickets_years',
    label: msg('Закрытые заявки с ПДн хранятся, лет после закрытия'),
    hint: msg('От 1 до 75'),
    min: 1,
    max: 75,
  },
  {
    key: 'retention.deactivated_users_years',
    label: msg('Данные отключённых пользователей хранятся, лет после отключения'),
    hint: msg('От 1 до 75'),
    min: 1,
    max: 75,
  },
  {
    key: 'retention.rejected_registrations_days',
    label: msg('Отклонённые регистрации хранятся, дней'),
    hint: msg('От 1 до 3650'),
    min: 1,
    max: 3650,
  },
  {
    key: 'retention.withdrawn_consent_days',
    label: msg('После отзыва согласия данные уничтожаются в течение, дней'),
    hint: msg('От 1 до 30 (ст. 21 ч. 5 152-ФЗ)'),
    min: 1,
    max: 30,
  },
]

/** `messenger.preferred`: where a person linked to both messengers gets notices (src/notify/chat-key.ts). */
const messengerChoices = [
  ['last_used', msg('В тот, откуда человек писал последним')],
  ['telegram', msg('Telegram')],
  ['max', msg('MAX')],
] as const

const roleNames: Record<Role, string> = {
  requester: msg('пользователи'),
  executor: msg('исполнители'),
  curator: msg('кураторы'),
  admin: msg('администраторы'),
}

/** Blank rows offered under the commission for new members. */
export const COMMISSION_BLANK_ROWS = 2

/** «Настройки» (admin): every run-time setting as a form of its own; a refusal is shown beside its field. */
export function SettingsPage(props: SettingsProps) {
  const problem = (key: SettingKey, path: string): string | undefined =>
    props.refusal?.key === key ? props.refusal.problems.find((p) => p.path === path)?.message : undefined
  const text = (value: unknown): string => (value === undefined || value === null ? '' : String(value))
  const record = (value: unknown): Record<string, unknown> =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
  const deadlines = record(props.values['tickets.deadlines'])
  const requisites = record(props.values['org.requisites'])
  const hours = record(props.values['tickets.working_hours'])
  const clock = record(hours.clock)
  const commission = Array.isArray(props.values['pdn.commission']) ? props.values['pdn.commission'] : []

  return (
    <Layout title={t('Настройки')} user={props.user} csrf={props.csrf} section="pdn">
      <PageHead title={t('Настройки')}>
        <a class="button" href="/pdn">
          {t('Персональные данные')}
        </a>
      </PageHead>
      <Notice>{props.outcome}</Notice>
      <p class="muted">{t('Каждое изменение записывается в журнал аудита со старым и новым значением.')}</p>
      <div class="stack">
        <SettingForm
          settingKey="privacy.no_pdn_in_telegram"
          csrf={props.csrf}
          title={t('Мессенджеры')}
          error={problem('privacy.no_pdn_in_telegram', '')}
        >
          <label>
            <input
              type="checkbox"
              name="value"
              value="1"
              checked={props.values['privacy.no_pdn_in_telegram'] === true}
            />{' '}
            {t('ПДн не передаются в Telegram')}
          </label>
          <p class="hint">
            {t('Бот сообщает только номер заявки, её статус и ссылку — без ФИО и текста (149-ФЗ ст. 10 ч. 8).')}
          </p>
        </SettingForm>

        <SettingForm
          settingKey="messenger.preferred"
          csrf={props.csrf}
          title={t('Куда приходят уведомления')}
          error={problem('messenger.preferred', '')}
        >
          <label class="field">
            <span>{t('Человеку, у которого привязаны и Telegram, и MAX, уведомления приходят')}</span>
            <select name="value" aria-invalid={problem('messenger.preferred', '') ? 'true' : undefined}>
              {messengerChoices.map(([value, label]) => (
                <option value={value} selected={props.values['messenger.preferred'] === value}>
                  {t(label)}
                </option>
              ))}
            </select>
          </label>
          <p class="hint">
            {t(
              'Если человек не привязан к выбранному мессенджеру или остановил там бота, уведомление придёт в другой.',
            )}
          </p>
        </SettingForm>

        <SettingForm
          settingKey="tickets.deadlines"
          csrf={props.csrf}
          title={t('Сроки по приоритетам, минут')}
          error={problem('tickets.deadlines', '')}
        >
          <div class="table-wrap">
            <table class="tickets catalogue">
              <thead>
                <tr>
                  <th scope="col">{t('Приоритет')}</th>
                  <th scope="col">{t('Реакция, минут')}</th>
                  <th scope="col">{t('Решение, минут')}</th>
                </tr>
              </thead>
              <tbody>
                {priorities.map(([priority, label]) => {
                  const row = record(deadlines[priority])
                  return (
                    <tr>
                      <th scope="row">{t(label)}</th>
                      {(['responseMinutes', 'resolutionMinutes'] as const).map((field) => {
                        const path = `${priority}.${field}`
                        const error = problem('tickets.deadlines', path)
                        return (
                          <td>
                            <input
                              name={path}
                              inputmode="numeric"
                              value={text(row[field])}
                              aria-label={`${t(label)}: ${field === 'responseMinutes' ? t('реакция') : t('решение')}`}
                              aria-invalid={error ? 'true' : undefined}
                            />
                            <FormError message={error} />
                          </td>
                        )
                      })}
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
          <p class="hint">{t('Категория может задать свои сроки; эти действуют для остальных.')}</p>
        </SettingForm>

        <SettingForm
          settingKey="tickets.working_hours"
          csrf={props.csrf}
          title={t('Рабочие часы и часы сроков')}
          error={problem('tickets.working_hours', '')}
        >
          <div class="button-row">
            {(['start', 'end'] as const).map((field) => (
              <label class="field">
                <span>{field === 'start' ? t('Начало рабочего дня') : t('Конец рабочего дня')}</span>
                <input
                  type="time"
                  name={field}
                  required
                  value={text(hours[field])}
                  aria-invalid={problem('tickets.working_hours', field) ? 'true' : undefined}
                />
                <FormError message={problem('tickets.working_hours', field)} />
              </label>
            ))}
            <label class="field">
              <span>{t('Часовой пояс')}</span>
              <input
                name="timeZone"
                required
                value={text(hours.timeZone)}
                aria-invalid={problem('tickets.working_hours', 'timeZone') ? 'true' : undefined}
              />
              <FormError message={problem('tickets.working_hours', 'timeZone')} />
            </label>
          </div>
          <div class="button-row">
            {priorities.map(([priority, label]) => (
              <label class="field">
                <span>{t(label)}</span>
                <select name={`clock.${priority}`}>
                  <option value="always" selected={clock[priority] === 'always'}>
                    {t('Круглосуточно')}
                  </option>
                  <option value="working" selected={clock[priority] === 'working'}>
                    {t('В рабочие часы')}
                  </option>
                </select>
              </label>
            ))}
          </div>
          <p class="hint">
            {t(
              'Сроки приоритетов «в рабочие часы» считают только рабочие часы рабочих дней производственного календаря: заявка, поданная в пятницу вечером, не просрочена в понедельник утром.',
            )}
          </p>
        </SettingForm>

        <EscalationSettings
          csrf={props.csrf}
          rules={props.values['escalation.rules']}
          headOfIt={props.values['escalation.head_of_it']}
          problem={problem}
        />

        {numberSettings.map((s) => (
          <SettingForm settingKey={s.key} csrf={props.csrf} title={t(s.label)} error={problem(s.key, '')}>
            <label class="field">
              <span>{t(s.hint)}</span>
              <input
                name="value"
                inputmode="numeric"
                required
                value={text(props.values[s.key])}
                aria-invalid={problem(s.key, '') ? 'true' : undefined}
              />
            </label>
          </SettingForm>
        ))}

        <SettingForm
          settingKey="pdn.commission"
          csrf={props.csrf}
          title={t('Комиссия по уничтожению ПДн')}
          error={problem('pdn.commission', '')}
        >
          <p class="hint">{t('Из этого списка выбираются подписывающие акт об уничтожении (Приказ РКН № 179).')}</p>
          <div class="table-wrap">
            <table class="tickets catalogue">
              <thead>
                <tr>
                  <th scope="col">{t('ФИО')}</th>
                  <th scope="col">{t('Должность')}</th>
                  <th scope="col" class="fit">
                    {t('Удалить')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {[...commission, ...Array.from({ length: COMMISSION_BLANK_ROWS }, () => ({}))].map((member, i) => {
                  const row = record(member)
                  const blank = i >= commission.length
                  return (
                    <tr>
                      {(['name', 'position'] as const).map((field) => {
                        const error = problem('pdn.commission', `${i}.${field}`)
                        return (
                          <td>
                            <input
                              name={`${field}.${i}`}
                              maxlength={200}
                              value={text(row[field])}
                              placeholder={
                                blank ? (field === 'name' ? t('Новый член комиссии') : t('Должность')) : undefined
                              }
                              aria-label={`${field === 'name' ? t('ФИО') : t('Должность')} ${i + 1}`}
                              aria-invalid={error ? 'true' : undefined}
                            />
                            <FormError message={error} />
                          </td>
                        )
                      })}
                      <td class="fit">
                        {blank ? null : (
                          <label>
                            <input type="checkbox" name={`remove.${i}`} value="1" />
                            <span class="visually-hidden">{t('Удалить из комиссии')}</span>
                          </label>
                        )}
                      </td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
        </SettingForm>

        <SettingForm
          settingKey="org.requisites"
          csrf={props.csrf}
          title={t('Реквизиты оператора ПДн')}
          error={problem('org.requisites', '')}
        >
          <p class="hint">{t('Печатаются в согласиях, ответах на запросы и актах об уничтожении.')}</p>
          {requisiteFields.map(([field, label, max]) => {
            const error = problem('org.requisites', field)
            return (
              <label class="field">
                <span>{t(label)}</span>
                <input
                  name={field}
                  maxlength={max}
                  value={text(requisites[field])}
                  aria-invalid={error ? 'true' : undefined}
                />
                <FormError message={error} />
              </label>
            )
          })}
        </SettingForm>

        <section class="card stack form-narrow">
          <h2>{t('Двухфакторная аутентификация')}</h2>
          <p>
            {props.require2fa.length === 0
              ? t('Второй фактор ни для кого не обязателен.')
              : t('Второй фактор (TOTP) обязателен: {roles}.', {
                  roles: props.require2fa.map((r) => t(roleNames[r])).join(', '),
                })}
          </p>
          <p class="hint">
            {t('Задаётся переменной окружения AUTH_REQUIRE_2FA при запуске сервера; здесь только показывается.')}
          </p>
        </section>
      </div>
    </Layout>
  )
}

/** One setting's own form: saving it never touches another. */
function SettingForm(props: {
  settingKey: SettingKey
  csrf: string
  title: string
  error: string | undefined
  children: Child
}) {
  return (
    <form method="post" action="/settings" class="card stack form-narrow" id={`setting-${props.settingKey}`}>
      <CsrfField token={props.csrf} />
      <input type="hidden" name="key" value={props.settingKey} />
      <h2>{props.title}</h2>
      <FormError message={props.error} />
      {props.children}
      <div class="actions">
        <button type="submit" class="button button--primary">
          {t('Сохранить')}
        </button>
      </div>
    </form>
  )
}
