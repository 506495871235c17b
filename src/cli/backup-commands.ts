import path from 'node:path'
import type { Command } from 'commander'
import type { Config } from '#src/config.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { type CliContext, loadCliConfig, UsageError, withDatabase } from './context.ts'
import { messages } from './messages.ts'

/** `helpdesk backup [FILE]` and `helpdesk restore FILE` (SQLite; PostgreSQL has pg_dump). */
export function registerBackupCommands(program: Command, context: CliContext): void {
  program
    .command('backup')
    .description('резервная копия базы SQLite (по умолчанию в DATA_DIR/backups), сразу проверенная')
    .argument('[файл]', 'куда записать копию')
    .addHelpText('after', '\nПримеры:\n  helpdesk backup\n  helpdesk backup /mnt/backup/helpdesk-вечер.sqlite')
    .action(async (target: string | undefined) => {
      refuseOnPostgres(await loadCliConfig())
      const [{ createBackup, verifyBackupFile }, { appendCheckpoint, checkpointFileOf }] = await Promise.all([
        import('#src/backup/sqlite-backup.ts'),
        import('#src/audit/checkpoints.ts'),
      ])
      await withDatabase(context.output, async ({ config, db, actor }) => {
        const result = await createBackup(db, config, actor, target)
        const verified = await verifyBackupFile(result.file)
        // The copy's head is a true state of the journal: an anchor as good as the daily one.
        const checkpoints = checkpointFileOf(config)
        await appendCheckpoint(checkpoints, { at: now(), ...result.head, reason: 'backup' })
        context.output.out(result.file)
        context.output.err(
          `Резервная копия создана и проверена: ${formatBytes(result.bytes)}, записей журнала: ${verified.count}`,
        )
        context.output.err(
          `Последняя запись журнала в копии: № ${result.head.id}, хеш ${result.head.hash} — в ${result.manifest} и ${checkpoints}`,
        )
      })
    })

  program
    .command('restore')
    .description('восстановить базу SQLite из резервной копии (сервер должен быть остановлен)')
    .argument('<файл>', 'файл резервной копии (helpdesk backup)')
    .addHelpText(
      'after',
      `
Перед заменой копия проверяется (это база helpdesk, журнал аудита цел); заменяемая база
сохраняется в DATA_DIR/backups/helpdesk-before-restore-….sqlite.

Пример:
  helpdesk restore data/backups/helpdesk-20261126-140305.sqlite`,
    )
    .action(async (source: string) => {
      const config = await loadCliConfig()
      refuseOnPostgres(config)
      const [{ restoreBackup }, { audit }, { checkpointFileOf, writeCheckpoint }] = await Promise.all([
        import('#src/backup/sqlite-backup.ts'),
        import('#src/audit/journal.ts'),
        import('#src/audit/checkpoints.ts'),
      ])
      await refuseWhileServing(context, config)
      const plan = await restoreBackup(config, source)
      await withDatabase(context.output, async ({ config, db, actor }) => {
        // Checkpoints of the replaced journal past the backup's head no longer apply; this line says so.
        await writeCheckpoint(db, checkpointFileOf(config), 'restore')
        await audit(db, actor, {
          action: 'backup.restore',
          objectType: 'backup',
          objectId: path.basename(source),
          description: 'База данных восстановлена из резервной копии',
          details: { file: path.basename(source), safetyCopy: plan.safetyCopy ? path.basename(plan.safetyCopy) : null },
        })
      })
      context.output.out(`База восстановлена из ${path.resolve(source)} (записей журнала: ${plan.journalCount})`)
      if (plan.safetyCopy) context.output.err(`Прежняя база сохранена: ${plan.safetyCopy}`)
    })
}

function refuseOnPostgres(config: Config): void {
  if (config.database.kind === 'postgres') throw new UsageError(messages.postgresBackup)
}

/**
 * A running server holds the scheduler lease (renewed every few seconds) and answers /healthz;
 * either means the database is in use and must not be swapped under it.
 */
async function refuseWhileServing(context: CliContext, config: Config): Promise<void> {
  const running = new DomainError('conflict', 'Сервер запущен: остановите его и повторите восстановление')
  const leaseHeld = await withDatabase(context.output, async ({ db }) => {
    const lease = await db.selectFrom('leases').select('name').where('expires_at', '>', now()).executeTakeFirst()
    return lease !== undefined
  })
  if (leaseHeld) throw running
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
  const answered = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${config.port}/healthz`, {
    signal: AbortSignal.timeout(1000),
  }).then(
    () => true,
    () => false,
  )
  if (answered) throw running
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} КБ`
  return `${(bytes / 1024 / 1024).toFixed(1)} МБ`
}
