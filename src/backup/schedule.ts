import type { Config } from '#src/config.ts'
import type { Db } from '#src/db/schema.ts'
import { nowDate } from '#src/db/time.ts'
import type { Schedule } from '#src/jobs/schedules.ts'
import type { Logger } from '#src/logger.ts'
import { systemActor } from '#src/users/actor.ts'
import { backupStartedSince } from './backup-log.ts'
import { nextScheduled } from './rules.ts'
import { runBackup } from './run-backup.ts'

export interface BackupSchedule extends Schedule {
  /** Resolves when no backup of this schedule is running (tests, a graceful stop). */
  idle(): Promise<void>
}

/**
 * The nightly backup as a schedule of the worker, so that only the holder of the scheduler lease makes it.
 * The worker asks every half minute; the backup is due when BACKUP_SCHEDULE's next instant (cron, in
 * TZ_DISPLAY) has passed. It runs beside the worker's loop, not in it: notices and jobs go on while a large
 * attachments folder is written. A slot another instance already took (the lease moved) is not repeated.
 */
export function backupSchedule(
  config: Config,
  logger: Logger,
  options: { scryptLogN?: number } = {},
): BackupSchedule | undefined {
  const pattern = config.backup?.schedule
  if (!pattern) return undefined
  const timeZone = config.tzDisplay
  let next = nextScheduled(pattern, timeZone, nowDate())
  let running: Promise<void> | undefined
  return {
    name: 'backup',
    everyMs: 30_000,
    run: async (db: Db) => {
      const at = nowDate()
      if (running || !next || at < next) return 0
      const slot = next.toISOString()
      next = nextScheduled(pattern, timeZone, at)
      if (await backupStartedSince(db, slot)) return 0
      running = runBackup(db, config, {
        trigger: 'schedule',
        actor: systemActor(),
        ...(options.scryptLogN !== undefined ? { scryptLogN: options.scryptLogN } : {}),
      })
        .then(
          (done) =>
            logger.info(
              {
                file: done.file,
                bytes: done.bytes,
                rotated: done.rotated.length,
                listedOnly: done.verification.listedOnly,
              },
              'backup made and verified',
            ),
          (error: unknown) => logger.error({ err: error }, 'backup failed'),
        )
        .finally(() => {
          running = undefined
        })
      return 1
    },
    idle: async () => {
      await running
    },
  }
}
