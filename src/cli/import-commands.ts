import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Command } from 'commander'
import { importKinds as kinds, kindTitles } from '#src/import/columns.ts'
import type { ImportResult } from '#src/import/import-file.ts'
import { type CliContext, UsageError, withDatabase } from './context.ts'
import { type Output, paint } from './output.ts'

const actionWords = { create: 'создать', update: 'изменить', unchanged: 'без изменений' } as const

/**
 * `helpdesk import departments|categories|users FILE [--dry-run]` (issue 11). Exit codes: 0 done (or a clean
 * dry run), 1 the file has bad rows (nothing changed), 2 the file itself cannot be used (not a table, wrong
 * columns) or the command was mistyped.
 */
export function registerImportCommand(program: Command, context: CliContext): void {
  program
    .command('import')
    .description(
      'импорт отделений, категорий, сотрудников, оборудования или графика дежурств из CSV или XLSX (одна транзакция, журналируется)',
    )
    .argument('<что>', `что импортировать: ${kinds.join(', ')}`)
    .argument('<файл>', 'файл .csv (UTF-8 или Windows-1251, разделитель ; или ,) или .xlsx (первый лист)')
    .option('--dry-run', 'только показать, что будет создано, изменено и какие строки ошибочны; ничего не менять')
    .option('--json', 'вывести результат JSON (для скриптов)')
    .addHelpText(
      'after',
      `
Столбцы (первая строка файла; регистр и пробелы не важны):
  departments  Название*; Порядок
  categories   Название*; Родитель; Группа исполнителей; Приоритет по умолчанию (низкий, обычный,
               высокий, критический); Описание; Срок реакции, мин; Срок решения, мин; Порядок
  users        ФИО*; Отделение; Должность; Телефон; Табельный номер; Telegram id; Кабинет
               (нужен табельный номер или Telegram id: по ним повторный импорт узнаёт людей)
  duty         Группа*; Дежурный* (ФИО или табельный номер); Дата*; С*; До*; Смена (дневная, ночная,
               другая); Примечание — время по часам больницы, конец раньше начала — утро следующего дня

Любая ошибочная строка отменяет импорт всего файла. Повторный импорт того же файла ничего не меняет.
Шаблоны: веб, «Пользователи → Импорт».

Примеры:
  helpdesk import departments otdeleniya.csv --dry-run
  helpdesk import users sotrudniki.xlsx --dry-run
  helpdesk import users sotrudniki.xlsx
  helpdesk import duty grafik-mart.xlsx --dry-run`,
    )
    .action(async (what: string, file: string, opts: { dryRun?: true; json?: true }) => {
      const kind = kinds.find((k) => k === what)
      if (kind === undefined)
        throw new UsageError(`неизвестно, что импортировать: «${what}»; возможно: ${kinds.join(', ')}`)
      const bytes = await readInput(file)
      await withDatabase(context.output, async (session) => {
        const { importFile } = await import('#src/import/import-file.ts')
        const result = await importFile(session.db, session.actor, {
          kind,
          file: { fileName: path.basename(file), bytes },
          dryRun: opts.dryRun === true,
        })
        if (opts.json) context.output.out(JSON.stringify(result, null, 2))
        else report(context.output, result)
        if (result.counts.bad > 0) context.exitCode = 1
      })
    })
}

async function readInput(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new UsageError(`файл не найден: ${file}`)
    if (code === 'EISDIR') throw new UsageError(`это папка, а не файл: ${file}`)
    if (code === 'EACCES') throw new UsageError(`нет прав читать файл: ${file}`)
    throw error
  }
}

function report(output: Output, result: ImportResult): void {
  const { counts, plan } = result
  if (result.dryRun) {
    for (const row of plan.rows) {
      const detail = row.fields.length > 0 ? ` (${row.fields.join(', ')})` : ''
      const note = row.note ? ` — ${row.note}` : ''
      output.out(`строка ${row.line}: ${actionWords[row.action]} — ${row.label}${detail}${note}`)
    }
  }
  for (const row of plan.bad) output.err(paint(output, 'red', `строка ${row.line}: ошибка — ${row.reason}`))
  const summary = `создать ${counts.created}, изменить ${counts.updated}, без изменений ${counts.unchanged}, ошибочных строк ${counts.bad}`
  const file =
    result.table.format === 'csv' ? `CSV, ${result.table.encoding}, разделитель «${result.table.delimiter}»` : 'XLSX'
  if (result.dryRun) {
    output.err(`Пробный прогон (${file}), ничего не изменено: ${summary}`)
    if (counts.bad > 0) output.err('Исправьте ошибочные строки: с ними импорт не выполнится.')
    return
  }
  if (!result.applied) {
    output.err(
      paint(
        output,
        'red',
        `Импорт отменён: в файле ошибочных строк — ${counts.bad}, ничего не изменено. Исправьте их и запустите снова.`,
      ),
    )
    return
  }
  output.out(
    `Импорт ${kindTitles[result.kind]} выполнен: создано ${counts.created}, изменено ${counts.updated}, без изменений ${counts.unchanged}`,
  )
}
