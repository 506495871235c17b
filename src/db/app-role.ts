import { type MigrationResult, sql } from 'kysely'
import type { Config } from '#src/config.ts'
import { dialectOf, openDatabase } from './database.ts'
import { migrateToLatest } from './migrate.ts'
import type { Db } from './schema.ts'

/**
 * PostgreSQL with two roles (COMPLIANCE.md §4, issue 8): the owner of the tables runs the migrations
 * (MIGRATION_DATABASE_URL), the app connects as a role that only uses them (DATABASE_URL). Whoever
 * owns a table can drop or disable its triggers, so the app's role owning nothing is what keeps the
 * journal append-only even for someone who takes over the running app.
 */

/**
 * Tables the app reads but never changes: Kysely's, and the journal's archives (written by the owner,
 * `helpdesk audit archive`, since an archive is what lets the owner delete journal rows).
 */
const READ_ONLY = ['kysely_migration', 'kysely_migration_lock', 'audit_archives'] as const

/** Quoted as PostgreSQL identifiers (for the statements printed to the operator). */
function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/**
 * What the app's role needs: ordinary DML everywhere, but only SELECT and INSERT on the journal, and UPDATE of
 * its two seal columns (no DELETE or TRUNCATE: the trigger refuses them, and any update but the sealing of an
 * unsealed row; an owner could drop the trigger, the app cannot), and reading Kysely's migration tables (the
 * migrator checks them at every start).
 */
export function appRoleGrants(role: string, schema = 'public'): string[] {
  const r = ident(role)
  const s = ident(schema)
  return [
    `grant usage on schema ${s} to ${r}`,
    `revoke create on schema ${s} from ${r}`,
    `grant select, insert, update, delete on all tables in schema ${s} to ${r}`,
    `revoke update, delete, truncate, references, trigger on ${s}.audit_log from ${r}`,
    // Sealing a row written unchained (the chainer, src/audit/journal.ts); the trigger refuses anything else.
    `grant update (prev_hash, hash) on ${s}.audit_log to ${r}`,
    ...READ_ONLY.map((t) => `revoke insert, update, delete, truncate on ${s}.${t} from ${r}`),
    `grant usage, select on all sequences in schema ${s} to ${r}`,
  ]
}

/** Issues the grants as the connected (owner) role, in one transaction. */
export async function grantAppRole(owner: Db, role: string): Promise<string[]> {
  if (dialectOf(owner) !== 'postgres') throw new Error('grants are for PostgreSQL')
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(owner)
  const statements = appRoleGrants(role, rows[0]?.schema ?? 'public')
  await owner.transaction().execute(async (tx) => {
    for (const statement of statements) await sql.raw(statement).execute(tx)
  })
  return statements
}

export async function currentRole(db: Db): Promise<string> {
  const { rows } = await sql<{ role: string }>`select current_user as role`.execute(db)
  const role = rows[0]?.role
  if (!role) throw new Error('no current_user')
  return role
}

/**
 * Brings the schema up to date. Without MIGRATION_DATABASE_URL the app's own connection migrates (one
 * role owns everything, as in development). With it, the owner migrates and then grants the app's role
 * (DATABASE_URL's user) what it needs, so tables added by a migration are usable at once.
 */
export async function migrateDatabase(db: Db, config: Pick<Config, 'migrationDatabase'>): Promise<MigrationResult[]> {
  if (!config.migrationDatabase) return migrateToLatest(db)
  const owner = openDatabase(config.migrationDatabase, { poolSize: 1 })
  try {
    const results = await migrateToLatest(owner)
    const [ownerRole, appRole] = await Promise.all([currentRole(owner), currentRole(db)])
    if (ownerRole !== appRole) await grantAppRole(owner, appRole)
    return results
  } finally {
    await owner.destroy()
  }
}
