import { existsSync } from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import type { RestoreTarget } from '#src/backup/restore.ts'
import type { Config } from '#src/config.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { type CliContext, loadCliConfig, UsageError, withDatabase } from './context.ts'
import { formatTable } from './output.ts'

const ENCRYPTION_HELP = `
Копия — один файл: база (SQLite — онлайн-копия; PostgreSQL — pg_dump -Fc), вложения (DATA_DIR/files),
ключи (secrets.json), архивы журнала аудита и опись (manifest.json: версии, число строк, последняя запись
журнала, SHA-256 каждой части). С BACKUP_PASSPHRASE или BACKUP_KEY_FILE файл зашифрован age
(…tar.age): открыть вручную — age -d helpdesk-….tar.age > копия.tar и ввести парольную фразу; без них —
обычный tar, НЕ зашифрован. Опись лежит и рядом: <файл>.manifest.json. Каждая копия сразу проверяется
пробным восстановлением во временную папку.`

/** `helpdesk backup`, `helpdesk backups list`, `helpdesk restore`. */
export function registerBackupCommands(program: Command, context: CliContext): void {
  program
    .command('backup')
    .description('резервная копия: база, вложения, ключи, архивы журнала (в BACKUP_DIR), сразу проверенная')
    .argument('[файл]', 'куда записать копию (как --out)')
    .option('--out <файл>', 'куда записать копию (по умолчанию BACKUP_DIR/helpdesk-ГГГГММДД-ччммсс.tar[.age])')
    .addHelpText(
      'after',
      `${ENCRYPTION_HELP}

Примеры:
  helpdesk backup
  BACKUP_KEY_FILE=/etc/helpdesk/backup.key helpdesk backup --out /mnt/backup/helpdesk-вечер.tar.age`,
    )
    .action(async (positional: string | undefined, options: { out?: string }) => {
      if (positional !== undefined && options.out !== undefined && positional !== options.out) {
        throw new UsageError('Укажите файл один раз: либо аргументом, либо --out')
      }
      const target = options.out ?? positional
      const [{ runBackup }, { filesIn, PART }, { appendCheckpoint, checkpointFileOf }] = await Promise.all([
        import('#src/backup/run-backup.ts'),
        import('#src/backup/backup.ts'),
        import('#src/audit/checkpoints.ts'),
      ])
      await withDatabase(context.output, async ({ config, db, actor }) => {
        const done = await runBackup(db, config, {
          trigger: 'cli',
          actor,
          ...(target !== undefined ? { target } : {}),
        })
        const head = done.manifest.journal
        // The copy's head is a true state of the journal: an anchor as good as the daily one.
        const checkpoints = checkpointFileOf(config)
        await appendCheckpoint(checkpoints, { at: now(), ...head, reason: 'backup' })
        const files = filesIn(done.manifest, PART.files)
        context.output.out(done.file)
        context.output.err(
          `Резервная копия создана и проверена: ${formatBytes(done.bytes)}, записей журнала: ${done.verification.check?.journalCount ?? head.count}, вложений: ${files}`,
        )
        if (done.verification.listedOnly) {
          context.output.err(
            'Пробное восстановление в PostgreSQL не выполнено (нет права CREATEDB): копия проверена по описи и pg_restore --list',
          )
        }
        context.output.err(
          `Последняя запись журнала в копии: № ${head.id}, хеш ${head.hash} — в ${done.manifestFile} и ${checkpoints}`,
        )
        if (!done.manifest.encrypted) {
          context.output.err('Внимание: копия НЕ зашифрована — задайте BACKUP_PASSPHRASE или BACKUP_KEY_FILE')
        }
      })
    })

  program
    .command('backups')
    .description('резервные копии: список')
    .command('list')
    .description('копии в BACKUP_DIR: файл, время, размер, зашифрована ли, проверена ли')
    .action(async () => {
      const [{ listBackupRecords }, { backupDirOf, bundleTime }, { formatDateTime }, { readdir, stat }] =
        await Promise.all([
          import('#src/backup/backup-log.ts'),
          import('#src/backup/backup.ts'),
          import('#src/format/zone-days.ts'),
          import('node:fs/promises'),
        ])
      await withDatabase(context.output, async ({ config, db }) => {
        const dir = backupDirOf(config)
        const records = await listBackupRecords(db, 1000)
        const byName = new Map(records.filter((r) => r.file).map((r) => [path.basename(r.file ?? ''), r]))
        const names = existsSync(dir) ? (await readdir(dir)).filter((name) => bundleTime(name)) : []
        const rows = await Promise.all(
          names.map(async (name) => {
            const record = byName.get(name)
            return {
              name,
              at: bundleTime(name) ?? new Date(0),
              bytes: (await stat(path.join(dir, name))).size,
              encrypted: name.endsWith('.age') ? 'да' : 'нет',
              verified: record?.verified_at ? 'да' : record ? 'нет' : '—',
            }
          }),
        )
        rows.sort((a, b) => b.at.getTime() - a.at.getTime())
        if (rows.length === 0) {
          context.output.err(`В ${dir} резервных копий нет`)
          return
        }
        context.output.out(
          formatTable(
            rows,
            [
              { header: 'Файл', value: (r) => r.name, shrink: true },
              { header: 'Время', value: (r) => formatDateTime(r.at.toISOString(), config.tzDisplay) },
              { header: 'Размер', value: (r) => formatBytes(r.bytes), align: 'right' },
              { header: 'Зашифрована', value: (r) => r.encrypted },
              { header: 'Проверена', value: (r) => r.verified },
            ],
            context.output,
          ),
        )
        const latest = records[0]
        if (latest?.ok === 0) {
          context.output.err(`Последняя попытка не удалась (${latest.started_at}): ${latest.error ?? ''}`)
        }
      })
    })

  program
    .command('restore')
    .description('восстановить из резервной копии: базу, вложения, ключи, архивы журнала (сервер остановлен)')
    .argument('<файл>', 'файл резервной копии (helpdesk backup)')
    .option('--to <папка>', 'восстановить в эту папку как в DATA_DIR (по умолчанию — в настроенный DATA_DIR)')
    .addHelpText(
      'after',
      `
Копия сначала расшифровывается, распаковывается и проверяется во временной папке (опись и SHA-256,
целостность базы, цепочка журнала аудита); только потом прежние данные переименовываются в
DATA_DIR/backups/helpdesk-before-restore-… (не удаляются), а части копии встают на их место.
Неверная парольная фраза или повреждённый файл — одна строка об ошибке, ничего не изменено.
PostgreSQL восстанавливается (pg_restore) только в ПУСТУЮ базу DATABASE_URL.
Подходит и для нового сервера: пустой DATA_DIR, BACKUP_PASSPHRASE (или BACKUP_KEY_FILE) той копии.
Старые копии только базы (….sqlite) тоже восстанавливаются.

Примеры:
  BACKUP_PASSPHRASE='…' helpdesk restore /mnt/backup/helpdesk-20261203-023000.tar.age
  helpdesk restore data/backups/helpdesk-20261203-023000.tar --to /srv/helpdesk-проверка`,
    )
    .action(async (source: string, options: { to?: string }) => {
      const config = await loadCliConfig()
      const [{ restoreInstallation, restoreTargetOf }, { audit, setAuditKey }, { checkpointFileOf, writeCheckpoint }] =
        await Promise.all([
          import('#src/backup/restore.ts'),
          import('#src/audit/journal.ts'),
          import('#src/audit/checkpoints.ts'),
        ])
      if (!existsSync(path.resolve(source)))
        throw new DomainError('not_found', `Файл ${path.resolve(source)} не найден`)
      const target = restoreTargetOf(config, options.to)
      await refuseWhileServing(config, target)
      const report = await restoreInstallation(config, source, target)
      const journal = async (session: { config: Config; db: import('#src/db/schema.ts').Db }) => {
        // Checkpoints of the replaced journal past the backup's head no longer apply; this line says so.
        await writeCheckpoint(session.db, checkpointFileOf(session.config), 'restore')
        const { cliActor } = await import('#src/users/actor.ts')
        await audit(session.db, cliActor(), {
          action: 'backup.restore',
          objectType: 'backup',
          objectId: path.basename(source),
          description: report.legacy
            ? 'База данных восстановлена из резервной копии'
            : `Восстановлено из резервной копии: база, вложений ${report.files}${report.secrets ? ', ключи' : ''}${report.archives > 0 ? `, архивов журнала ${report.archives}` : ''}`,
          details: {
            file: path.basename(source),
            aside: report.aside ? path.basename(report.aside) : null,
            files: report.files,
            secrets: report.secrets,
            archives: report.archives,
            journalId: report.head?.id ?? null,
          },
        })
      }
      if (options.to === undefined) {
        await withDatabase(context.output, async ({ config: fresh, db }) => journal({ config: fresh, db }))
      } else {
        // The folder restored into is an installation of its own: its keys, its database.
        const [{ loadConfig }, { openDatabase }, { migrateDatabase }] = await Promise.all([
          import('#src/config.ts'),
          import('#src/db/database.ts'),
          import('#src/db/app-role.ts'),
        ])
        const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: target.dataDir }
        delete env.AUDIT_CHECKPOINT_FILE
        delete env.AUDIT_ARCHIVE_DIR
        if (config.database.kind === 'sqlite') delete env.DATABASE_URL
        const restored = loadConfig(env)
        setAuditKey(restored.auditKey)
        const db = openDatabase(restored.database, { poolSize: 2 })
        try {
          await migrateDatabase(db, restored)
          await journal({ config: restored, db })
        } finally {
          await db.destroy()
        }
      }
      const out = context.output
      out.out(`База восстановлена из ${path.resolve(source)} (записей журнала: ${report.journalCount})`)
      if (!report.legacy) {
        out.out(
          `Вложений: ${report.files}; ключи (secrets.json): ${report.secrets ? 'восстановлены' : 'не было в копии'}; архивов журнала: ${report.archives}`,
        )
        if (report.manifest)
          out.out(
            `Копия от ${report.manifest.createdAt}, версия ${report.manifest.appVersion}, схема ${report.manifest.schema}`,
          )
      }
      if (report.aside) out.err(`Прежние данные сохранены: ${report.aside}`)
    })
}

/**
 * A running server holds the scheduler lease (renewed every few seconds) and answers /healthz; either
 * means the database is in use and must not be swapped under it. Read without migrating: an empty
 * PostgreSQL database must stay empty for pg_restore, a fresh folder gets no database of its own.
 */
async function refuseWhileServing(config: Config, target: RestoreTarget): Promise<void> {
  const running = new DomainError('conflict', 'Сервер запущен: остановите его и повторите восстановление')
  if (await leaseHeld(target)) throw running
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
  const answered = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${config.port}/healthz`, {
    signal: AbortSignal.timeout(1000),
  }).then(
    () => true,
    () => false,
  )
  if (answered) throw running
}

async function leaseHeld(target: RestoreTarget): Promise<boolean> {
  const at = now()
  if (target.database.kind === 'sqlite') {
    if (!existsSync(target.database.file)) return false
    const { default: Database } = await import('better-sqlite3')
    // Read-write, though only read: a read-only connection would leave the WAL's -wal and -shm files behind.
    const raw = new Database(target.database.file, { fileMustExist: true })
    try {
      const table = raw.prepare("select 1 from sqlite_master where type = 'table' and name = 'leases'").get()
      if (!table) return false
      return raw.prepare('select 1 from leases where expires_at > ?').get(at) !== undefined
    } finally {
      raw.close()
    }
  }
  const [{ openDatabase }, { sql }] = await Promise.all([import('#src/db/database.ts'), import('kysely')])
  const db = openDatabase(target.database, { poolSize: 1 })
  try {
    const { rows } = await sql<{ t: string | null }>`select to_regclass('leases')::text as t`.execute(db)
    if (!rows[0]?.t) return false
    const lease = await db.selectFrom('leases').select('name').where('expires_at', '>', at).executeTakeFirst()
    return lease !== undefined
  } finally {
    await db.destroy()
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} КБ`
  return `${(bytes / 1024 / 1024).toFixed(1)} МБ`
}
