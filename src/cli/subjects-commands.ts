import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { type CliContext, parseId, UsageError, withDatabase } from './context.ts'

/**
 * `helpdesk subjects destroy`: the destruction of one person's data with the act of Приказ РКН № 179
 * (src/pdn/destroy-subject.ts), signed by the whole commission from the settings. Without `--yes` it
 * only says what it would do. The `subjects` command may already carry other subcommands (a person's
 * requests): this adds to it.
 */
export function registerSubjectCommands(program: Command, context: CliContext): void {
  const subjects =
    program.commands.find((c) => c.name() === 'subjects') ??
    program.command('subjects').description('персональные данные субъектов: запросы, выгрузка, уничтожение')

  subjects
    .command('destroy')
    .description('уничтожить персональные данные человека (обезличивание) и составить акт')
    .requiredOption('--id <id>', 'номер пользователя')
    .requiredOption('--reason <текст>', 'причина уничтожения, как её напечатать в акте')
    .option('--delete-texts', 'удалить и тексты обращений (заголовки, тексты заявок, сообщения)')
    .option('--out <файл>', 'куда записать акт (PDF); по умолчанию DATA_DIR/acts/act-N.pdf')
    .option('--yes', 'действительно уничтожить (без флага команда только описывает, что сделает)')
    .addHelpText(
      'after',
      `
Акт подписывают все члены комиссии из настройки pdn.commission; выгрузка из журнала записывается
рядом с актом (act-N-journal.pdf). Оба документа хранятся и в базе («Акты уничтожения» на сайте).

Примеры:
  helpdesk subjects destroy --id 123 --reason "Отзыв согласия на обработку ПДн"
  helpdesk subjects destroy --id 123 --reason "Требование субъекта" --delete-texts --yes`,
    )
    .action(async (opts: { id: string; reason: string; deleteTexts?: true; out?: string; yes?: true }) => {
      const userId = parseId(opts.id, '--id')
      const reason = opts.reason.trim()
      if (reason === '') throw new UsageError('--reason: укажите причину уничтожения')
      await withDatabase(context.output, async ({ config, db, actor }) => {
        const [{ destroySubject }, { getSetting }, { DomainError }] = await Promise.all([
          import('#src/pdn/destroy-subject.ts'),
          import('#src/settings/settings.ts'),
          import('#src/errors.ts'),
        ])
        const user = await db
          .selectFrom('users')
          .select(['id', 'status', 'role', 'pseudonymised_at'])
          .where('id', '=', userId)
          .executeTakeFirst()
        if (!user) throw new DomainError('not_found', `Пользователь № ${userId} не найден`)
        if (user.pseudonymised_at !== null) {
          throw new DomainError('conflict', `Данные пользователя № ${userId} уже уничтожены`)
        }
        const commission = await getSetting(db, 'pdn.commission')
        if (commission.length === 0) {
          throw new DomainError('validation', 'Состав комиссии не задан: helpdesk settings set pdn.commission …')
        }
        if (!opts.yes) {
          const { out, err } = context.output
          out(
            `Будут уничтожены персональные данные пользователя № ${userId} (роль ${user.role}, статус ${user.status}):`,
          )
          out('  ФИО, телефон, Telegram, должность, кабинет, отделение, логин, почта, вложения, сканы согласий,')
          out('  сеансы, токены и ссылки входа; учётная запись станет «Субъект № N».')
          out(`  Тексты обращений: ${opts.deleteTexts ? 'будут удалены' : 'сохранятся'}.`)
          out(`  Акт подпишут: ${commission.map((m) => `${m.position} ${m.name}`).join('; ')}.`)
          err('Ошибка: ничего не уничтожено — повторите команду с --yes, чтобы уничтожить данные')
          context.exitCode = 1
          return
        }
        const result = await destroySubject(db, actor, config, {
          userId,
          reason,
          commission,
          deleteTexts: opts.deleteTexts === true,
        })
        const act = await db
          .selectFrom('destruction_acts')
          .select(['act_pdf', 'extract_pdf'])
          .where('id', '=', result.actId)
          .executeTakeFirstOrThrow()
        const file = path.resolve(opts.out ?? path.join(config.dataDir, 'acts', `act-${result.actId}.pdf`))
        const extract = file.replace(/(\.pdf)?$/i, '-journal.pdf')
        mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
        writeFileSync(file, act.act_pdf, { mode: 0o600 })
        writeFileSync(extract, act.extract_pdf, { mode: 0o600 })
        context.output.out(file)
        context.output.err(
          `Данные пользователя № ${userId} уничтожены, составлен акт № ${result.actId}; удалено файлов: ${result.filesRemoved}`,
        )
        context.output.err(`Выгрузка из журнала: ${extract}`)
        if (!result.purged) {
          context.output.err(
            'Внимание: журнал упреждающей записи SQLite занят другим процессом; старые копии страниц уйдут при следующей контрольной точке',
          )
        }
        if (result.backups.length > 0) {
          context.output.err(
            `Резервные копии до акта (уничтожаются по сроку их хранения): ${result.backups.length}, перечислены в акте`,
          )
        }
      })
    })
}
