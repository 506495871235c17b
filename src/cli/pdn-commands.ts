import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Command } from 'commander'
import { type CliContext, withDatabase } from './context.ts'
import { formatTable } from './output.ts'

/** `helpdesk pdn …`: documents about personal data; today the list of people with access to ПДн. */
export function registerPdnCommands(program: Command, context: CliContext): void {
  const pdn = program
    .command('pdn')
    .description('персональные данные: перечень лиц, имеющих доступ к ПДн')
    .addHelpText(
      'after',
      '\nПримеры:\n  helpdesk pdn access-list\n  helpdesk pdn access-list --export_csv access-list.csv',
    )

  pdn
    .command('access-list')
    .description('перечень лиц, имеющих доступ к ПДн (ПП № 1119 п. 13): роль, доступ, с какого дня, кем дан')
    .option('--export_csv <файл>', 'выгрузить в CSV (UTF-8 с BOM, разделитель «;»); то же: --export-csv')
    .option('--json', 'вывести JSON (для скриптов)')
    .addHelpText(
      'after',
      `
Чтение перечня записывается в журнал аудита как действие с ПДн.

Примеры:
  helpdesk pdn access-list
  helpdesk pdn access-list --export_csv access-list.csv
  helpdesk pdn access-list --json`,
    )
    .action(async (opts: { export_csv?: string; json?: true }) => {
      const [{ accessList, staffRoleLabels }, { accessListCsv }, { formatDateTime }] = await Promise.all([
        import('#src/pdn/access-list.ts'),
        import('#src/pdn/access-list-documents.ts'),
        import('#src/format/zone-days.ts'),
      ])
      const format = opts.export_csv !== undefined ? 'csv' : 'view'
      await withDatabase(context.output, async ({ config, db, actor }) => {
        const list = await accessList(db, actor, format)
        const tz = config.tzDisplay
        if (opts.export_csv !== undefined) {
          const file = path.resolve(opts.export_csv)
          await writeFile(file, accessListCsv(list, tz), { mode: 0o600 })
          context.output.err(`Выгружено лиц: ${list.rows.length} → ${file}`)
          return
        }
        if (opts.json) {
          context.output.out(JSON.stringify(list, null, 2))
          return
        }
        if (list.rows.length === 0) {
          context.output.err('Работников с доступом к ПДн нет')
          return
        }
        type Row = (typeof list.rows)[number]
        const columns = [
          { header: '№', value: (r: Row) => String(r.userId), align: 'right' as const },
          { header: 'ФИО', value: (r: Row) => r.fullName, shrink: true, min: 12 },
          { header: 'Роль', value: (r: Row) => staffRoleLabels[r.role] },
          { header: 'С какого дня', value: (r: Row) => formatDateTime(r.since, tz).slice(0, 10) },
          { header: 'Кем предоставлен', value: (r: Row) => r.approvedBy ?? '—', shrink: true, min: 10 },
        ]
        context.output.out(formatTable(list.rows, columns, context.output))
        context.output.err(
          `Всего лиц: ${list.rows.length}. Что кому доступно — в --export_csv и на странице /pdn/access-list`,
        )
      })
    })
}
