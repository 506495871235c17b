import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { type CliContext, parseId, UsageError, withDatabase } from './context.ts'

/**
 * `helpdesk subjects export`: everything held about a person as their access answer (152-ФЗ ст. 14) — the ZIP
 * (data.json and the files they sent) where `--out` says, and the PDF for the person beside it — as
 * «Сформировать ответ» makes it on the web, journaled with the OS user and host. Adds to the `subjects` command.
 */
export function registerSubjectExportCommand(program: Command, context: CliContext): void {
  const subjects =
    program.commands.find((c) => c.name() === 'subjects') ??
    program.command('subjects').description('персональные данные субъектов: запросы, выгрузка, уничтожение')

  subjects
    .command('export')
    .description('выгрузить всё, что хранится о человеке (ответ на запрос доступа): ZIP и PDF')
    .requiredOption('--id <id>', 'номер пользователя')
    .requiredOption('--out <файл>', 'куда записать архив ZIP; PDF ложится рядом (то же имя, .pdf)')
    .addHelpText(
      'after',
      `
В архиве: data.json (профиль, согласия, заявки и сообщения, файлы, кто обращался к данным — другие люди
только по роли) и папка files с файлами, которые человек отправил. PDF — тот же ответ для человека.

Пример:
  helpdesk subjects export --id 123 --out otvet-123.zip`,
    )
    .action(async (opts: { id: string; out: string }) => {
      const userId = parseId(opts.id, '--id')
      if (opts.out.trim() === '') throw new UsageError('--out: укажите файл для архива')
      const zipFile = path.resolve(opts.out)
      const pdfFile = zipFile.replace(/(\.zip)?$/i, '.pdf')
      await withDatabase(context.output, async ({ config, db, actor }) => {
        const { exportSubjectData } = await import('#src/pdn/export-subject-data.ts')
        const documents = await exportSubjectData(db, actor, {
          userId,
          dataDir: config.dataDir,
          timeZone: config.tzDisplay,
        })
        mkdirSync(path.dirname(zipFile), { recursive: true })
        // The person's data: readable by the one who made it only.
        writeFileSync(zipFile, documents.zip, { mode: 0o600 })
        writeFileSync(pdfFile, documents.pdf, { mode: 0o600 })
        context.output.out(zipFile)
        context.output.out(pdfFile)
        context.output.err(`Данные пользователя № ${userId} выгружены: архив и PDF для ответа на запрос доступа`)
      })
    })
}
