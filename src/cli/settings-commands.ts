import type { Command } from 'commander'
import type { SettingKey } from '#src/settings/settings.ts'
import { type CliContext, UsageError, withDatabase } from './context.ts'
import { formatTable } from './output.ts'

/** `helpdesk settings list | get KEY | set KEY VALUE`: the «Настройки» page at the console. */
export function registerSettingsCommands(program: Command, context: CliContext): void {
  const settings = program
    .command('settings')
    .description('настройки: сроки, автозакрытие, ПДн в Telegram, хранение, комиссия, реквизиты')
    .addHelpText(
      'after',
      `
Примеры:
  helpdesk settings list
  helpdesk settings get tickets.auto_close_days
  helpdesk settings set tickets.auto_close_days 5
  helpdesk settings set privacy.no_pdn_in_telegram true
  helpdesk settings set pdn.commission '[{"name":"Иванов И. И.","position":"Главный врач"}]'`,
    )

  settings
    .command('list')
    .description('показать все настройки и их значения')
    .option('--json', 'вывести JSON (для скриптов)')
    .addHelpText('after', '\nПримеры:\n  helpdesk settings list\n  helpdesk settings list --json')
    .action(async (opts: { json?: true }) => {
      const { readSettings } = await import('#src/settings/change-setting.ts')
      const { settingKeys, settingLabels } = await import('#src/settings/setting-catalogue.ts')
      await withDatabase(context.output, async ({ db, actor }) => {
        const entries = await readSettings(db, actor, settingKeys)
        if (opts.json) {
          context.output.out(JSON.stringify(Object.fromEntries(entries.map((e) => [e.key, e.value])), null, 2))
          return
        }
        const columns = [
          { header: 'Ключ', value: (e: (typeof entries)[number]) => e.key },
          {
            header: 'Значение',
            value: (e: (typeof entries)[number]) => JSON.stringify(e.value),
            shrink: true,
            min: 12,
          },
          { header: 'Что это', value: (e: (typeof entries)[number]) => settingLabels[e.key], min: 12 },
        ]
        context.output.out(formatTable(entries, columns, context.output))
        context.output.err('Полное значение: helpdesk settings get КЛЮЧ')
      })
    })

  settings
    .command('get')
    .description('показать значение одной настройки (JSON)')
    .argument('<ключ>', 'ключ настройки (из settings list)')
    .addHelpText('after', '\nПример:\n  helpdesk settings get tickets.deadlines')
    .action(async (key: string) => {
      const settingKey = await parseKey(key)
      const { readSettings } = await import('#src/settings/change-setting.ts')
      await withDatabase(context.output, async ({ db, actor }) => {
        const [entry] = await readSettings(db, actor, [settingKey])
        context.output.out(JSON.stringify(entry?.value, null, 2))
      })
    })

  settings
    .command('set')
    .description('изменить настройку: значение — JSON, число или true/false; изменение в журнале аудита')
    .argument('<ключ>', 'ключ настройки (из settings list)')
    .argument('<значение>', 'новое значение: JSON, число или true/false')
    .addHelpText(
      'after',
      `
Примеры:
  helpdesk settings set tickets.auto_close_days 5
  helpdesk settings set privacy.no_pdn_in_telegram true
  helpdesk settings set org.requisites '{"name":"…","shortName":"…","inn":"4629000000","ogrn":"","address":"г. Курск","responsible":""}'`,
    )
    .action(async (key: string, text: string) => {
      const settingKey = await parseKey(key)
      const value = parseValue(text)
      // Refused before the database is opened: a wrong value changes nothing.
      const { settingProblems } = await import('#src/settings/setting-catalogue.ts')
      const problems = settingProblems(settingKey, value)
      if (problems.length > 0) {
        const list = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ')
        throw new UsageError(`${settingKey}: ${list}. Ничего не изменено`)
      }
      const { changeSetting } = await import('#src/settings/change-setting.ts')
      await withDatabase(context.output, async ({ db, actor }) => {
        const { changed } = await changeSetting(db, actor, settingKey, value)
        context.output.err(
          changed ? `Настройка ${settingKey} изменена` : `Настройка ${settingKey} уже такая: не изменена`,
        )
      })
    })
}

async function parseKey(key: string): Promise<SettingKey> {
  const { isSettingKey, settingKeys } = await import('#src/settings/setting-catalogue.ts')
  if (isSettingKey(key)) return key
  throw new UsageError(`неизвестная настройка «${key}». Возможные: ${settingKeys.join(', ')}`)
}

/** JSON, which a plain number and true/false already are. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new UsageError(
      `значение «${text.slice(0, 60)}» — не JSON: нужно число, true/false или JSON (текст в кавычках "…"). Ничего не изменено`,
    )
  }
}
