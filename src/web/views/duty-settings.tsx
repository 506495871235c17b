import type { SettingKey } from '#src/settings/settings.ts'
import type { FormFields } from '../forms.ts'
import { msg, t } from '../i18n.ts'
import { CsrfField, FormError } from './parts.tsx'

const priorities = [
  ['critical', msg('Критический')],
  ['high', msg('Высокий')],
  ['normal', msg('Обычный')],
  ['low', msg('Низкий')],
] as const

const fields = [
  ['warnAtPercent', msg('Предупредить исполнителя, % срока')],
  ['curatorAfterMinutes', msg('Куратору, минут после просрочки')],
  ['headAfterMinutes', msg('Руководителю ИТ, минут после просрочки')],
] as const

/**
 * «Эскалация» on the «Настройки» page (src/duty): per priority when the assignee is warned and when the curator
 * on duty and the head of IT are called; and who the head of IT is. Two forms, one per setting.
 */
export function EscalationSettings(props: {
  csrf: string
  rules: unknown
  headOfIt: unknown
  problem: (key: SettingKey, path: string) => string | undefined
}) {
  const record = (value: unknown): Record<string, unknown> =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
  const rules = record(props.rules)
  const text = (value: unknown) => (value === undefined || value === null ? '' : String(value))
  return (
    <>
      <form method="post" action="/settings" class="card stack form-narrow" id="setting-escalation.rules">
        <CsrfField token={props.csrf} />
        <input type="hidden" name="key" value="escalation.rules" />
        <h2>{t('Эскалация по приоритетам')}</h2>
        <FormError message={props.problem('escalation.rules', '')} />
        <div class="table-wrap">
          <table class="tickets catalogue">
            <thead>
              <tr>
                <th scope="col">{t('Приоритет')}</th>
                {fields.map(([, label]) => (
                  <th scope="col">{t(label)}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {priorities.map(([priority, label]) => {
                const row = record(rules[priority])
                return (
                  <tr>
                    <th scope="row">{t(label)}</th>
                    {fields.map(([field, fieldLabel]) => {
                      const path = `${priority}.${field}`
                      const error = props.problem('escalation.rules', path)
                      return (
                        <td>
                          <input
                            name={path}
                            inputmode="numeric"
                            value={text(row[field])}
                            aria-label={`${t(label)}: ${t(fieldLabel)}`}
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
        <p class="hint">
          {t(
            'При просрочке срока решения вызывается дежурный группы; критическая заявка, поданная в нерабочее время, — сразу, и далее каждые 10 минут, пока кто-то не нажмёт «Принял».',
          )}
        </p>
        <div class="actions">
          <button type="submit" class="button button--primary">
            {t('Сохранить')}
          </button>
        </div>
      </form>
      <form method="post" action="/settings" class="card stack form-narrow" id="setting-escalation.head_of_it">
        <CsrfField token={props.csrf} />
        <input type="hidden" name="key" value="escalation.head_of_it" />
        <h2>{t('Руководитель ИТ для эскалации')}</h2>
        <FormError message={props.problem('escalation.head_of_it', '')} />
        <label class="field">
          <span>{t('Номер пользователя; пусто — все администраторы')}</span>
          <input name="value" inputmode="numeric" value={text(props.headOfIt)} />
        </label>
        <div class="actions">
          <button type="submit" class="button button--primary">
            {t('Сохранить')}
          </button>
        </div>
      </form>
    </>
  )
}

/** The two forms' fields as the settings' values: numbers where typed as whole numbers, the schema judges the rest. */
export function escalationFormValue(key: 'escalation.rules' | 'escalation.head_of_it', form: FormFields): unknown {
  const numberOf = (value: string | undefined): unknown => {
    const trimmed = (value ?? '').trim()
    return /^-?\d{1,15}$/.test(trimmed) ? Number(trimmed) : trimmed
  }
  if (key === 'escalation.head_of_it') {
    const value = (form.text('value', 20) ?? '').trim()
    return value === '' ? null : numberOf(value)
  }
  return Object.fromEntries(
    priorities.map(([priority]) => [
      priority,
      Object.fromEntries(fields.map(([field]) => [field, numberOf(form.text(`${priority}.${field}`, 20))])),
    ]),
  )
}
