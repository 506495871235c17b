import type { Command } from 'commander'
import { type CliContext, loadCliConfig, UsageError } from './context.ts'

/**
 * `helpdesk db grant --role NAME`: on PostgreSQL, gives the app's role (DATABASE_URL) what it needs on
 * tables it does not own. Run as the owner (MIGRATION_DATABASE_URL, or DATABASE_URL when that is the owner).
 */
export function registerDbCommands(program: Command, context: CliContext): void {
  const db = program.command('db').description('база данных PostgreSQL: права роли приложения')

  db.command('grant')
    .description('выдать роли приложения права на таблицы (журнал аудита — только чтение и добавление)')
    .requiredOption('--role <имя>', 'роль PostgreSQL, под которой работает приложение (пользователь DATABASE_URL)')
    .option('--print', 'только показать команды GRANT, не выполняя их')
    .addHelpText(
      'after',
      `
Команды выполняются от владельца таблиц: MIGRATION_DATABASE_URL (или DATABASE_URL, если он владелец).
С MIGRATION_DATABASE_URL serve и migrate выдают эти права сами после каждой миграции.

Примеры:
  MIGRATION_DATABASE_URL=postgres://helpdesk_owner@db/helpdesk helpdesk db grant --role helpdesk_app
  helpdesk db grant --role helpdesk_app --print | psql -U helpdesk_owner helpdesk`,
    )
    .action(async (opts: { role: string; print?: true }) => {
      if (!/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(opts.role)) {
        throw new UsageError(`--role: имя роли PostgreSQL (латинские буквы, цифры, _), получено «${opts.role}»`)
      }
      const config = await loadCliConfig()
      const owner = config.migrationDatabase ?? config.database
      if (owner.kind !== 'postgres')
        throw new UsageError('db grant — только для PostgreSQL (DATABASE_URL=postgres://…)')
      const { appRoleGrants, grantAppRole, currentRole } = await import('#src/db/app-role.ts')
      if (opts.print) {
        for (const statement of appRoleGrants(opts.role)) context.output.out(`${statement};`)
        return
      }
      const [{ openDatabase }, { migrateToLatest }, { audit, setAuditKey }, { cliActor }] = await Promise.all([
        import('#src/db/database.ts'),
        import('#src/db/migrate.ts'),
        import('#src/audit/journal.ts'),
        import('#src/users/actor.ts'),
      ])
      setAuditKey(config.auditKey)
      const handle = openDatabase(owner, { poolSize: 1 })
      try {
        await migrateToLatest(handle)
        if ((await currentRole(handle)) === opts.role) {
          throw new UsageError(`роль ${opts.role} — владелец таблиц: приложению нужна другая роль`)
        }
        const statements = await grantAppRole(handle, opts.role)
        await audit(handle, cliActor(), {
          action: 'db.grant',
          objectType: 'database',
          objectId: opts.role,
          description: `Роли приложения ${opts.role} выданы права на таблицы`,
          details: { role: opts.role },
        })
        for (const statement of statements) context.output.out(`${statement};`)
        context.output.err(`Права роли ${opts.role} выданы`)
      } finally {
        await handle.destroy()
      }
    })
}
