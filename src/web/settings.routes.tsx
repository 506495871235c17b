import { Hono } from 'hono'
import { DomainError, isDomainError } from '#src/errors.ts'
import { changeSetting, readSettings } from '#src/settings/change-setting.ts'
import { isSettingKey, type SettingProblem, settingKeys } from '#src/settings/setting-catalogue.ts'
import type { SettingKey } from '#src/settings/settings.ts'
import { onlyWith, outcomeOf, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { type FormFields, readForm } from './forms.ts'
import { requireSession } from './session.ts'
import { escalationFormValue } from './views/duty-settings.tsx'
import { COMMISSION_BLANK_ROWS, type SettingDrafts, SettingsPage, type SettingsRefusal } from './views/settings.tsx'

/** The most commission rows a form is read for (the setting allows 20; blank rows come on top). */
const MAX_COMMISSION_ROWS = 40

/**
 * /settings (admin): every run-time setting, each in a form of its own posted to POST /settings with its
 * key. A value the schema refuses is shown again as typed, with the Russian reason beside its field.
 */
export function settingsRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.use(onlyWith('settings.manage', 'Настройки'))

  routes.get('/', async (c) => renderSettings(c, { outcome: outcomeOf(c) }))

  routes.post('/', async (c) => {
    const form = await readForm(c)
    const key = form.text('key', 100) ?? ''
    if (!isSettingKey(key)) throw new DomainError('validation', 'Неизвестная настройка')
    const value = formValue(key, form)
    try {
      await changeSetting(c.get('deps').db, c.get('actor'), key, value)
    } catch (error) {
      if (!isDomainError(error) || error.code !== 'validation') throw error
      const problems = (error.details?.problems as SettingProblem[] | undefined) ?? [
        { path: '', message: error.message },
      ]
      return renderSettings(c, { refusal: { key, problems }, draft: value })
    }
    return c.redirect(`/settings?done=saved#setting-${key}`, 303)
  })

  return routes
}

async function renderSettings(
  c: WebContext,
  extras: { outcome?: string | undefined; refusal?: SettingsRefusal; draft?: unknown },
) {
  const { db, config } = c.get('deps')
  const entries = await readSettings(db, c.get('actor'), settingKeys)
  const values = Object.fromEntries(entries.map((e) => [e.key, e.value])) as SettingDrafts
  if (extras.refusal) values[extras.refusal.key] = extras.draft
  return c.html(
    <SettingsPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      values={values}
      refusal={extras.refusal}
      outcome={extras.outcome}
      require2fa={config.require2fa ?? []}
    />,
    extras.refusal ? 422 : 200,
  )
}

/** The form's fields as the setting's value, typed where a field is a number; the schema judges the rest. */
function formValue(key: SettingKey, form: FormFields): unknown {
  switch (key) {
    case 'privacy.no_pdn_in_telegram':
      return form.text('value', 10) === '1'
    case 'messenger.preferred':
      return form.text('value', 20) ?? ''
    case 'escalation.rules':
    case 'escalation.head_of_it':
      return escalationFormValue(key, form)
    case 'tickets.deadlines': {
      const row = (priority: string) => ({
        responseMinutes: numberOf(form.text(`${priority}.responseMinutes`, 20)),
        resolutionMinutes: numberOf(form.text(`${priority}.resolutionMinutes`, 20)),
      })
      return { low: row('low'), normal: row('normal'), high: row('high'), critical: row('critical') }
    }
    case 'tickets.working_hours':
      return {
        start: form.text('start', 10) ?? '',
        end: form.text('end', 10) ?? '',
        timeZone: (form.text('timeZone', 100) ?? '').trim(),
        clock: Object.fromEntries(
          ['low', 'normal', 'high', 'critical'].map((priority) => [priority, form.text(`clock.${priority}`, 20) ?? '']),
        ),
      }
    case 'pdn.commission': {
      const members: Array<{ name: string; position: string }> = []
      for (let i = 0; i < MAX_COMMISSION_ROWS + COMMISSION_BLANK_ROWS; i++) {
        const name = (form.text(`name.${i}`, 300) ?? '').trim()
        const position = (form.text(`position.${i}`, 300) ?? '').trim()
        if (form.text(`remove.${i}`, 10) === '1' || (name === '' && position === '')) continue
        members.push({ name, position })
      }
      return members
    }
    case 'org.requisites':
      return Object.fromEntries(
        ['name', 'shortName', 'inn', 'ogrn', 'address', 'responsible'].map((field) => [
          field,
          form.text(field, 400) ?? '',
        ]),
      )
    default:
      return numberOf(form.text('value', 20))
  }
}

/** A whole number as typed becomes a number; anything else stays text for the schema to refuse by name. */
function numberOf(text: string | undefined): unknown {
  const trimmed = (text ?? '').trim()
  return /^-?\d{1,15}$/.test(trimmed) ? Number(trimmed) : trimmed
}
