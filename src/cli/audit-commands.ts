import { createWriteStream, existsSync } from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import type { Command } from 'commander'
import { consoleOperatorOf } from '#src/audit/journal.ts'
import { channelLabels, journalCsvStream, resultLabels } from '#src/audit/journal-csv.ts'
import type { JournalEntry, JournalFilter } from '#src/audit/read-journal.ts'
import type { CsvDelimiter } from '#src/export/csv.ts'
import { dayEndUtc, dayStartUtc, formatDateTime, parseDay } from '#src/format/zone-days.ts'
import { type CliContext, parseId, UsageError, withDatabase } from './context.ts'
import { countOf, messages, recordWords } from './messages.ts'
import { type Column, formatTable } from './output.ts'

interface AuditOptions {
  limit: string
  pdn_related?: true
  search?: string
  date_from?: string
  date_to?: string
  actor?: string
  action?: string
  export_csv?: string
  csvDelimiter: string
  json?: true
}

/** `helpdesk audit …`: the old view_audit_logs.py with the same flags, plus `audit verify`. */
export function registerAuditCommands(program: Command, context: CliContext): void {
  const command = program
    .command('audit')
    .description(
      'журнал аудита: просмотр, фильтры, CSV; verify — проверка целостности, checkpoint — контрольная точка, archive — архив старых записей',
    )
    .option('--limit <N>', 'сколько последних записей показать', '50')
    .option('--pdn_related', 'только действия с персональными данными (можно и --pdn-related)')
    .option('--search <текст>', 'текст в описании или коде действия')
    .option('--date_from <ГГГГ-ММ-ДД>', 'с этого дня включительно (можно и --date-from)')
    .option('--date_to <ГГГГ-ММ-ДД>', 'по этот день включительно (можно и --date-to)')
    .option('--actor <ID>', 'кто действовал: номер пользователя или system')
    .option('--action <код>', 'код действия (user.confirm) или его начало с точкой (user.)')
    .option('--export_csv <файл>', 'выгрузить записи в CSV; без --limit — все подходящие (можно и --export-csv)')
    .option('--csv-delimiter <;|,>', 'разделитель в CSV: ; для русского Excel или ,', ';')
    .option('--json', 'вывести JSON (для скриптов)')
    .addHelpText(
      'after',
      `
Дни считаются по времени больницы (TZ_DISPLAY, по умолчанию Москва).

Примеры:
  helpdesk audit
  helpdesk audit --pdn_related
  helpdesk audit --pdn_related --export_csv audit_export.csv
  helpdesk audit --search "регистрация"
  helpdesk audit --date_from 2023-01-01 --date_to 2023-01-31
  helpdesk audit --actor 12 --action user. --limit 200
  helpdesk audit verify
  helpdesk audit checkpoint
  helpdesk audit archive --yes`,
    )
    .action(async (opts: AuditOptions, cmd: Command) => {
      const limitGiven = cmd.getOptionValueSource('limit') !== 'default'
      const exporting = opts.export_csv !== undefined
      const delimiter = parseDelimiter(opts.csvDelimiter)
      // Bad flags are refused before the database is touched.
      parseFilter(opts, 'UTC', true)
      await withDatabase(context.output, async ({ config, db, actor }) => {
        const filter = parseFilter(opts, config.tzDisplay, !exporting || limitGiven)
        const { exportJournal, readJournal } = await import('#src/audit/read-journal.ts')
        const tz = config.tzDisplay
        if (opts.export_csv !== undefined) {
          const file = path.resolve(opts.export_csv)
          // The web's export path: page by page to the file, never the whole journal in memory.
          const { count, pages } = await exportJournal(db, actor, filter)
          await pipeline(
            Readable.fromWeb(journalCsvStream(pages, tz, delimiter) as WebReadableStream),
            createWriteStream(file),
          )
          context.output.err(`Выгружено записей: ${count} → ${file}`)
          return
        }
        const entries = await readJournal(db, actor, filter)
        if (opts.json) {
          context.output.out(JSON.stringify(entries, null, 2))
          return
        }
        if (entries.length === 0) {
          context.output.err('Записей по этим условиям нет')
          return
        }
        context.output.out(formatTable(entries, journalColumns(tz), context.output))
        context.output.err(`Показано записей: ${entries.length} (новые сверху)`)
      })
    })

  command
    .command('verify')
    .description('проверить цепочку хешей журнала и контрольные точки, назвать первую испорченную запись')
    .option(
      '--checkpoints <файл>',
      'файл контрольных точек (по умолчанию AUDIT_CHECKPOINT_FILE или DATA_DIR/audit-checkpoints.log, если он есть)',
    )
    .option(
      '--archive-dir <папка>',
      'где лежат архивы журнала (по умолчанию AUDIT_ARCHIVE_DIR или DATA_DIR/audit-archive)',
    )
    .addHelpText(
      'after',
      `
Контрольные точки (helpdesk audit checkpoint, ежедневно — сервер) хранят номер и хеш последней записи
вне базы: по ним видно, что журнал обрезали или переподписали украденным ключом.

Записи, перенесённые в архив (helpdesk audit archive), сверяются по файлам архива: их подпись, хеш
файла и цепочка до первой записи в базе.

Примеры:
  helpdesk audit verify
  helpdesk audit verify --checkpoints /var/log/helpdesk/audit-checkpoints.log
  helpdesk audit verify --archive-dir /mnt/archive/helpdesk`,
    )
    .action(async (opts: { checkpoints?: string; archiveDir?: string }) => {
      if (opts.checkpoints !== undefined && !existsSync(opts.checkpoints)) {
        throw new UsageError(`--checkpoints: файл ${path.resolve(opts.checkpoints)} не найден`)
      }
      if (opts.archiveDir !== undefined && !existsSync(opts.archiveDir)) {
        throw new UsageError(`--archive-dir: папка ${path.resolve(opts.archiveDir)} не найдена`)
      }
      await withDatabase(context.output, async ({ config, db, actor }) => {
        const [{ checkJournal }, { checkpointFileOf }, { archiveDirOf }] = await Promise.all([
          import('#src/audit/check-journal.ts'),
          import('#src/audit/checkpoints.ts'),
          import('#src/audit/archive.ts'),
        ])
        const file = opts.checkpoints === undefined ? checkpointFileOf(config) : path.resolve(opts.checkpoints)
        const result = await checkJournal(db, actor, {
          checkpointFile: file,
          checkpointFileRequired: opts.checkpoints !== undefined,
          timeZone: config.tzDisplay,
          archiveDir: opts.archiveDir === undefined ? archiveDirOf(config) : path.resolve(opts.archiveDir),
        })
        if (result.ok) {
          context.output.out(`Журнал аудита цел: ${countOf(result.count, recordWords)}, цепочка хешей сходится`)
        } else {
          context.output.err(`Ошибка: журнал аудита нарушен — ${result.reason} (проверено записей: ${result.count})`)
          context.exitCode = 1
        }
        const used = result.checkpoints
        if (used?.count === null) {
          context.output.out(`Файла контрольных точек ${used.file} нет: сверена только цепочка хешей`)
        } else if (used) {
          const set = used.superseded ? `, ${used.superseded} из них — прежней базы до восстановления из копии` : ''
          context.output.out(`Контрольные точки: ${used.file} (${used.count} шт.${set})`)
        }
        const archives = result.archives
        if (archives) {
          context.output.out(
            `В архивах: ${countOf(archives.rows, recordWords)}; файлов сверено: ${archives.verified} из ${archives.files}`,
          )
          for (const name of archives.missing) context.output.out(`Файла архива ${name} нет: его записи не сверены`)
        }
        if (result.uncheckedCheckpoints) {
          context.output.out(`Контрольных точек в архивах без файла: ${result.uncheckedCheckpoints} (не сверены)`)
        }
      })
    })

  command
    .command('archive')
    .description('перенести записи старше срока хранения (audit.retention_days) в подписанный файл архива')
    .option('--yes', 'действительно архивировать (без флага команда только говорит, что будет перенесено)')
    .addHelpText(
      'after',
      `
Записи старше срока хранения (настройка audit.retention_days, по умолчанию 3 года) пишутся в файл
AUDIT_ARCHIVE_DIR (по умолчанию DATA_DIR/audit-archive) — сжатые строки JSON с подписью ключом журнала —
и только после проверки файла удаляются из базы. Цепочка оставшихся записей продолжается от архива:
helpdesk audit verify сверяет и то, и другое. Храните архивы вне сервера (например, на томе для копий).
На PostgreSQL удаляет владелец таблиц (MIGRATION_DATABASE_URL): роль приложения удалять не может.

Примеры:
  helpdesk audit archive
  helpdesk audit archive --yes`,
    )
    .action(async (opts: { yes?: true }) => {
      await withDatabase(context.output, async ({ config, db, actor }) => {
        const [{ archiveDirOf, archiveJournal, journalArchiveDue }, { openDatabase }] = await Promise.all([
          import('#src/audit/archive.ts'),
          import('#src/db/database.ts'),
        ])
        const { out, err } = context.output
        const due = await journalArchiveDue(db)
        const dir = archiveDirOf(config)
        if (!opts.yes) {
          if (due.count === 0) {
            out(`Записей старше ${due.retentionDays} дней нет: архивировать нечего`)
            return
          }
          out(
            `К архивированию: ${countOf(due.count, recordWords)} старше ${formatDateTime(due.before, config.tzDisplay)} (по № ${due.lastId}) → ${dir}`,
          )
          err('Ошибка: ничего не перенесено — повторите команду с --yes, чтобы архивировать')
          context.exitCode = 1
          return
        }
        const owner = config.migrationDatabase ? openDatabase(config.migrationDatabase, { poolSize: 1 }) : db
        try {
          const made = await archiveJournal(db, owner, actor, { dir })
          if (!made) {
            out(`Записей старше ${due.retentionDays} дней нет: архивировать нечего`)
            return
          }
          const { archive } = made
          out(made.file)
          err(
            `Архив журнала: записи № ${archive.first_id}–${archive.last_id} (${countOf(archive.count, recordWords)}), SHA-256 ${archive.sha256}; удалено из базы: ${made.removed}`,
          )
        } finally {
          if (owner !== db) await owner.destroy()
        }
      })
    })

  command
    .command('checkpoint')
    .description('записать номер и хеш последней записи журнала в файл контрольных точек вне базы')
    .addHelpText(
      'after',
      `
Файл — AUDIT_CHECKPOINT_FILE (по умолчанию DATA_DIR/audit-checkpoints.log); строки только добавляются.
Сервер делает это сам раз в сутки; держите файл вне DATA_DIR или копируйте его на другую машину.

Пример:
  helpdesk audit checkpoint`,
    )
    .action(async () => {
      await withDatabase(context.output, async ({ config, db, actor }) => {
        const [{ checkpointFileOf, writeCheckpoint }, { audit }] = await Promise.all([
          import('#src/audit/checkpoints.ts'),
          import('#src/audit/journal.ts'),
        ])
        const file = checkpointFileOf(config)
        const checkpoint = await writeCheckpoint(db, file, 'cli')
        await audit(db, actor, {
          action: 'audit.checkpoint',
          objectType: 'audit_log',
          objectId: checkpoint.id,
          description: `Контрольная точка журнала аудита: запись № ${checkpoint.id}`,
          details: { id: checkpoint.id, hash: checkpoint.hash, count: checkpoint.count },
        })
        context.output.out(`Контрольная точка записана: запись № ${checkpoint.id}, хеш ${checkpoint.hash}`)
        context.output.err(`Файл: ${file}`)
      })
    })
}

function parseDelimiter(value: string): CsvDelimiter {
  if (value === ';' || value === ',') return value
  throw new UsageError(`--csv-delimiter: допустимы «;» или «,», получено «${value}»`)
}

function parseFilter(opts: AuditOptions, timeZone: string, applyLimit: boolean): JournalFilter {
  const filter: JournalFilter = {}
  if (applyLimit) filter.limit = parseId(opts.limit, '--limit')
  if (opts.pdn_related) filter.pdnOnly = true
  if (opts.search !== undefined && opts.search.trim() !== '') filter.search = opts.search.trim()
  if (opts.date_from !== undefined) filter.from = dayStartUtc(parseDayFlag('--date_from', opts.date_from), timeZone)
  if (opts.date_to !== undefined) filter.to = dayEndUtc(parseDayFlag('--date_to', opts.date_to), timeZone)
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) {
    throw new UsageError('--date_from позже --date_to')
  }
  if (opts.actor !== undefined) filter.actorId = opts.actor === 'system' ? 'system' : parseId(opts.actor, '--actor')
  if (opts.action !== undefined) {
    if (!/^[a-z0-9_.]+$/.test(opts.action))
      throw new UsageError(`--action: код вида user.confirm, получено «${opts.action}»`)
    filter.action = opts.action
  }
  return filter
}

/** The flag's date as it was typed, once parseDay accepts it. */
function parseDayFlag(flag: string, value: string): string {
  if (!parseDay(value)) throw new UsageError(messages.badDate(flag, value))
  return value
}

function actorText(entry: JournalEntry): string {
  if (entry.actor_id === null) return consoleOperatorOf(entry.details) ?? 'система'
  return entry.actor_name ? `${entry.actor_name} (${entry.actor_id})` : `№ ${entry.actor_id}`
}

function journalColumns(timeZone: string): Column<JournalEntry>[] {
  return [
    { header: '№', value: (e) => String(e.id), align: 'right' },
    { header: 'Время', value: (e) => formatDateTime(e.at, timeZone) },
    { header: 'Кто', value: actorText, shrink: true, min: 10 },
    { header: 'Канал', value: (e) => channelLabels[e.channel] },
    { header: 'Действие', value: (e) => e.action, min: 12 },
    { header: 'ПДн', value: (e) => (e.pdn_related ? 'да' : '') },
    {
      header: 'Описание',
      value: (e) => (e.result === 'success' ? e.description : `[${resultLabels[e.result]}] ${e.description}`),
      shrink: true,
      min: 20,
      style: (e) => (e.result === 'success' ? undefined : 'red'),
    },
  ]
}
