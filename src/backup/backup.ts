import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import Database from 'better-sqlite3'
import { sql } from 'kysely'
import { listArchives, verifyArchives } from '#src/audit/archive.ts'
import { type JournalHead, journalHead } from '#src/audit/checkpoints.ts'
import { chainJournal, GENESIS_HASH, setAuditKey, verifyJournal } from '#src/audit/journal.ts'
import type { Config, DatabaseConfig } from '#src/config.ts'
import { openDatabase } from '#src/db/database.ts'
import { migrationsCurrent } from '#src/db/migrate.ts'
import type { Db, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { damaged, extractBundle, writeBundle } from './bundle.ts'

/**
 * One backup of an installation (issue 11): the database (SQLite through its online backup API, PostgreSQL
 * through `pg_dump -Fc` of an exported snapshot), the attachments (DATA_DIR/files), the generated keys
 * (secrets.json: without them a restored journal reads as tampered with and links do not verify) and the
 * journal's archives, with a manifest — counts per table and the journal's head *of the same snapshot*,
 * the SHA-256 of every part — inside the bundle and beside it. Every backup is proven by a restore into a
 * scratch location before it counts (`verifyBundle`); a restore extracts and checks in a scratch folder
 * first and only then swaps the parts in (restore.ts), so a bad file never leaves a half-restored folder.
 */

export const MANIFEST_FORMAT = 'helpdesk-backup'

export interface PartHash {
  bytes: number
  sha256: string
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT
  formatVersion: 1
  /** The bundle's file name. */
  file: string
  createdAt: string
  appVersion: string
  /** The last migration the database has. */
  schema: string
  database: { kind: 'sqlite' | 'postgres'; part: string }
  /** Rows per table of the snapshot. */
  counts: Record<string, number>
  /** The journal's head in the snapshot. */
  journal: JournalHead
  encrypted: boolean
  /** Every part but the manifest: the path inside the bundle → size and SHA-256. */
  parts: Record<string, PartHash>
}

/** The parts' names inside a bundle. */
export const PART = {
  manifest: 'manifest.json',
  sqlite: 'database.sqlite',
  postgres: 'database.pgdump',
  secrets: 'secrets.json',
  files: 'files',
  archives: 'audit-archive',
} as const

export function backupDirOf(config: Pick<Config, 'dataDir' | 'backup'>): string {
  return config.backup?.dir ?? path.join(config.dataDir, 'backups')
}

/** `20261203-023000` from an instant, for file names (UTC: names sort and never repeat an hour at a clock change). */
export function fileStamp(at: string): string {
  return at
    .replace(/\.\d+Z$/, '')
    .replace(/[-:]/g, '')
    .replace('T', '-')
}

/** `helpdesk-20261203-023000.tar.age`. */
export function bundleFileName(at: string, encrypted: boolean): string {
  return `helpdesk-${fileStamp(at)}.tar${encrypted ? '.age' : ''}`
}

/** The instant a bundle's (or an older `.sqlite` backup's) name was stamped with; undefined for other names. */
export function bundleTime(name: string): Date | undefined {
  const match = /^helpdesk-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})\.(tar|tar\.age|sqlite)$/.exec(name)
  if (!match) return undefined
  const [, y, mo, d, h, mi, s] = match
  const at = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`)
  return Number.isNaN(at.getTime()) ? undefined : at
}

function appVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../package.json'), 'utf8'))
    if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') {
      return pkg.version
    }
  } catch {
    // A build laid out differently: the version is a courtesy, not a check.
  }
  return 'unknown'
}

// --- the database's snapshot ---------------------------------------------------------------------------

/** What the manifest says of the database, read inside the snapshot itself. */
interface Snapshot {
  schema: string
  counts: Record<string, number>
  journal: JournalHead
}

/** Rows per table, in one query (a `union all` of counts). */
async function countRows(db: Tx, kind: 'sqlite' | 'postgres'): Promise<Record<string, number>> {
  const tables =
    kind === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table'
          and name not like 'sqlite_%' order by name`.execute(db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db)
  if (tables.rows.length === 0) return {}
  const selects = tables.rows.map(({ name }) => sql`select ${name} as t, count(*) as n from ${sql.id(name)}`)
  const { rows } = await sql<{ t: string; n: number | string }>`${sql.join(selects, sql` union all `)}`.execute(db)
  return Object.fromEntries(rows.map((row) => [row.t, Number(row.n)]))
}

async function describe(db: Tx, kind: 'sqlite' | 'postgres'): Promise<Snapshot> {
  const counts = await countRows(db, kind)
  const last = await sql<{ name: string }>`select name from kysely_migration order by name desc limit 1`.execute(db)
  return { schema: last.rows[0]?.name ?? '', counts, journal: await journalHead(db as Db) }
}

/**
 * SQLite's online backup API, in steps of a few megabytes between which the server's writes go on (WAL:
 * a reader never blocks a writer). A write by another connection restarts the copy; when that keeps
 * happening (a busy hour), the rest is copied in one step, still a reader only.
 */
async function snapshotSqlite(live: string, target: string): Promise<Snapshot> {
  const source = new Database(live, { readonly: true, fileMustExist: true })
  try {
    source.pragma('busy_timeout = 5000')
    let restarts = 0
    let lastRemaining = Number.POSITIVE_INFINITY
    await source.backup(target, {
      progress: ({ totalPages, remainingPages }) => {
        if (remainingPages > lastRemaining) restarts++
        lastRemaining = remainingPages
        return restarts >= 3 ? totalPages : 2048
      },
    })
  } finally {
    source.close()
  }
  const copy = openDatabase({ kind: 'sqlite', file: target })
  try {
    return await describe(copy, 'sqlite')
  } finally {
    await copy.destroy()
  }
}

interface PgTools {
  dump: string
  restore: string
}

function pgTools(config: Config): PgTools {
  const dir = config.backup?.pgBinDir
  return {
    dump: dir ? path.join(dir, 'pg_dump') : 'pg_dump',
    restore: dir ? path.join(dir, 'pg_restore') : 'pg_restore',
  }
}

/** The URL without its password (which goes in PGPASSWORD: a command line is visible to every local user). */
function pgConnection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(url)
  const password = decodeURIComponent(parsed.password)
  parsed.password = ''
  return { dbname: parsed.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } }
}

/** Runs pg_dump / pg_restore; a failure is one line naming the tool and its first complaint. */
function runPgTool(tool: string, args: string[], url: string): Promise<string> {
  const { dbname, env } = pgConnection(url)
  return new Promise((resolve, reject) => {
    execFile(tool, [...args, `--dbname=${dbname}`], { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout)
      const code = 'code' in error ? error.code : undefined
      if (code === 'ENOENT') {
        return reject(
          new DomainError(
            'unavailable',
            `${path.basename(tool)} не найден: установите клиент PostgreSQL (postgresql-client) или задайте PG_BIN_DIR`,
          ),
        )
      }
      const first = stderr.split('\n').find((line) => line.trim() !== '') ?? error.message
      reject(new DomainError('unavailable', `${path.basename(tool)}: ${first.trim().slice(0, 300)}`))
    })
  })
}

/** The URL that owns the tables (MIGRATION_DATABASE_URL) when there is one: it dumps and restores everything. */
function ownerUrl(config: Config): string {
  const database = config.migrationDatabase ?? config.database
  if (database.kind !== 'postgres') throw new Error('not PostgreSQL')
  return database.url
}

/**
 * `pg_dump -Fc` of the snapshot a repeatable-read transaction exported: the counts and the head in the
 * manifest are read in that very transaction, so they describe exactly what the dump holds, however busy
 * the server. pg_dump is a process of its own; the app's writes go on.
 */
async function snapshotPostgres(config: Config, target: string): Promise<Snapshot> {
  const tools = pgTools(config)
  const url = ownerUrl(config)
  // The snapshot is exported by the role that dumps (the owner with MIGRATION_DATABASE_URL): it can read
  // every table, and importing another role's snapshot is not a thing to rely on.
  const db = openDatabase({ kind: 'postgres', url }, { poolSize: 1 })
  try {
    // Sealed first, so that the manifest's head is the journal's end (rows written meanwhile come unsealed
    // in the copy and are sealed where it is restored).
    await chainJournal(db)
    return await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (tx) => {
        const { rows } = await sql<{ id: string }>`select pg_export_snapshot() as id`.execute(tx)
        const snapshot = rows[0]?.id
        if (!snapshot) throw new Error('pg_export_snapshot returned nothing')
        const described = await describe(tx, 'postgres')
        await runPgTool(
          tools.dump,
          ['-Fc', '--no-owner', '--no-privileges', `--snapshot=${snapshot}`, '-f', target],
          url,
        )
        return described
      })
  } finally {
    await db.destroy()
  }
}

// --- hashes ----------------------------------------------------------------------------------------------

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')))
  })
}

/** Every regular file under `root/relative` (symbolic links followed), as paths relative to `root`. */
async function walk(root: string, relative: string): Promise<string[]> {
  const full = path.join(root, relative)
  const info = await stat(full)
  if (info.isFile()) return [relative]
  if (!info.isDirectory()) return []
  const found: string[] = []
  for (const name of (await readdir(full)).sort()) found.push(...(await walk(root, path.posix.join(relative, name))))
  return found
}

async function hashParts(root: string, entries: readonly string[]): Promise<Record<string, PartHash>> {
  const parts: Record<string, PartHash> = {}
  for (const entry of entries) {
    for (const file of await walk(root, entry)) {
      const full = path.join(root, file)
      parts[file] = { bytes: statSync(full).size, sha256: await sha256File(full) }
    }
  }
  return parts
}

/** The parts a manifest lists that are missing from `root` or differ; empty when all hold. */
export async function partsThatDiffer(root: string, manifest: Manifest): Promise<string[]> {
  const bad: string[] = []
  for (const [name, expected] of Object.entries(manifest.parts)) {
    const file = path.join(root, name)
    if (!existsSync(file) || statSync(file).size !== expected.bytes || (await sha256File(file)) !== expected.sha256) {
      bad.push(name)
    }
  }
  return bad
}

/** How many files of a folder part (`files`, `audit-archive`) a manifest lists. */
export function filesIn(manifest: Manifest, folder: typeof PART.files | typeof PART.archives): number {
  return Object.keys(manifest.parts).filter((p) => p.startsWith(`${folder}/`)).length
}

// --- making a bundle -------------------------------------------------------------------------------------

export interface BundleOptions {
  /** Where to write it; a timestamped name in BACKUP_DIR unless given. */
  target?: string
  scryptLogN?: number
}

export interface BundleMade {
  file: string
  bytes: number
  /** `<file>.manifest.json` beside the bundle. */
  manifestFile: string
  manifest: Manifest
}

/** Writes the installation's backup bundle. Nothing is left behind but the bundle and its manifest. */
export async function makeBundle(config: Config, options: BundleOptions = {}): Promise<BundleMade> {
  const database = config.database
  if (database.kind === 'sqlite' && database.file === ':memory:') {
    throw new DomainError('bad_request', 'База в памяти (DATABASE_URL=:memory:) не копируется')
  }
  const passphrase = config.backup?.passphrase
  const createdAt = now()
  const file = path.resolve(
    options.target ?? path.join(backupDirOf(config), bundleFileName(createdAt, passphrase !== undefined)),
  )
  if (existsSync(file)) throw new DomainError('conflict', `Файл ${file} уже существует`)
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const staging = await mkdtemp(path.join(path.dirname(file), '.staging-'))
  try {
    const part = database.kind === 'sqlite' ? PART.sqlite : PART.postgres
    const snapshot =
      database.kind === 'sqlite'
        ? await snapshotSqlite(database.file, path.join(staging, part))
        : await snapshotPostgres(config, path.join(staging, part))
    const entries: string[] = [part]
    const secrets = path.join(config.dataDir, 'secrets.json')
    if (existsSync(secrets)) {
      await writeFile(path.join(staging, PART.secrets), readFileSync(secrets), { mode: 0o600 })
      entries.push(PART.secrets)
    }
    // The folders go in through links: tar follows them, nothing is copied twice on the disk.
    const files = path.join(config.dataDir, 'files')
    if (existsSync(files)) {
      await symlink(files, path.join(staging, PART.files))
      entries.push(PART.files)
    }
    const archives = config.auditArchiveDir ?? path.join(config.dataDir, 'audit-archive')
    if (existsSync(archives)) {
      await symlink(archives, path.join(staging, PART.archives))
      entries.push(PART.archives)
    }
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      formatVersion: 1,
      file: path.basename(file),
      createdAt,
      appVersion: appVersion(),
      schema: snapshot.schema,
      database: { kind: database.kind, part },
      counts: snapshot.counts,
      journal: snapshot.journal,
      encrypted: passphrase !== undefined,
      parts: await hashParts(staging, entries),
    }
    await writeFile(path.join(staging, PART.manifest), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 })
    const bytes = await writeBundle(staging, [PART.manifest, ...entries], file, {
      passphrase,
      ...(options.scryptLogN !== undefined ? { scryptLogN: options.scryptLogN } : {}),
    })
    // Beside the bundle, readable without the passphrase: what it holds (no personal data: counts, hashes).
    const manifestFile = `${file}.manifest.json`
    const beside = { ...manifest, bundle: { bytes, sha256: await sha256File(file) } }
    await writeFile(manifestFile, `${JSON.stringify(beside, null, 2)}\n`, { mode: 0o600, flag: 'w' })
    return { file, bytes, manifestFile, manifest }
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

// --- reading and checking a bundle -----------------------------------------------------------------------

function parseManifest(file: string, text: string): Manifest {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw damaged(file, 'опись (manifest.json) повреждена')
  }
  const m = value as Partial<Manifest> | null
  if (
    typeof m !== 'object' ||
    m === null ||
    m.format !== MANIFEST_FORMAT ||
    typeof m.parts !== 'object' ||
    typeof m.counts !== 'object' ||
    typeof m.journal !== 'object' ||
    (m.database?.kind !== 'sqlite' && m.database?.kind !== 'postgres')
  ) {
    throw damaged(file, 'опись (manifest.json) не та')
  }
  return m as Manifest
}

/**
 * Extracts a bundle into a new scratch folder inside `parent` and checks every part's hash against the
 * manifest. Returns the folder (the caller removes it, or moves its parts into place).
 */
export async function openBundle(
  file: string,
  parent: string,
  passphrase: string | undefined,
): Promise<{ scratch: string; manifest: Manifest }> {
  mkdirSync(parent, { recursive: true, mode: 0o700 })
  const scratch = await mkdtemp(path.join(parent, `.restore-${randomBytes(3).toString('hex')}-`))
  try {
    const kind = await extractBundle(file, scratch, passphrase)
    if (kind === 'unknown' || kind === 'sqlite') {
      throw new DomainError('validation', `Файл ${file} не является резервной копией helpdesk`)
    }
    const manifestPath = path.join(scratch, PART.manifest)
    if (!existsSync(manifestPath)) throw damaged(file, 'в нём нет описи (manifest.json)')
    const manifest = parseManifest(file, readFileSync(manifestPath, 'utf8'))
    const bad = await partsThatDiffer(scratch, manifest)
    if (bad.length > 0) {
      throw damaged(
        file,
        `не сходятся с описью: ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ` и ещё ${bad.length - 3}` : ''}`,
      )
    }
    return { scratch, manifest }
  } catch (error) {
    await removeScratch(scratch)
    throw error
  }
}

/**
 * Removes a scratch folder. An extraction cut short by a bad byte still has file writes in flight, which can
 * put a file back into a folder being emptied (ENOTEMPTY): retried, as `rm` does for that error.
 */
export async function removeScratch(scratch: string): Promise<void> {
  await rm(scratch, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 })
}

export interface DatabaseCheck {
  journalCount: number
  head: JournalHead
  migrationsCurrent: boolean
}

/**
 * A restored database against its manifest: integrity (SQLite), the journal's chain with the installation's
 * key (and its archives from the bundle), the head and every table's count as the manifest has them.
 * `requireCurrent`: the schema must be this version's (a fresh backup; a restore may migrate after).
 */
export async function checkRestoredDatabase(
  db: Db,
  manifest: Manifest,
  options: { auditKey: string; archiveDir?: string; requireCurrent: boolean; what: string },
): Promise<DatabaseCheck> {
  const fail = (why: string) => new DomainError('validation', `${options.what}: ${why}`)
  if (manifest.database.kind === 'sqlite') {
    const { rows } = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db)
    const result = rows.map((r) => Object.values(r)[0]).join('; ')
    if (result !== 'ok') throw fail(`база повреждена (${result.slice(0, 200)})`)
  }
  const current = await migrationsCurrent(db)
  if (options.requireCurrent && !current) throw fail('схема базы не последней версии')
  setAuditKey(options.auditKey)
  const journal = await verifyJournal(db)
  if (!journal.ok) throw fail(`журнал аудита не проходит проверку — ${journal.reason}`)
  if (options.archiveDir && existsSync(options.archiveDir)) {
    const archives = await verifyArchives(await listArchives(db), options.archiveDir, new Set())
    if (archives.broken) throw fail(`архив журнала ${archives.broken.file}: ${archives.broken.reason}`)
  }
  // The copy holds the row the manifest names as the journal's last sealed one, unchanged; rows the copy caught
  // unsealed (PostgreSQL) were sealed by the check above and follow it, and the counts below hold their number.
  const head = await journalHead(db)
  const named =
    manifest.journal.id === 0
      ? { hash: GENESIS_HASH }
      : await db.selectFrom('audit_log').select('hash').where('id', '=', manifest.journal.id).executeTakeFirst()
  if (named?.hash !== manifest.journal.hash || head.id < manifest.journal.id) {
    throw fail(`последняя запись журнала № ${head.id}, а в описи № ${manifest.journal.id}`)
  }
  const counts = await countRows(db, manifest.database.kind)
  for (const [table, count] of Object.entries(manifest.counts)) {
    if (counts[table] !== count) {
      throw fail(`в таблице ${table} строк ${counts[table] ?? 0}, а в описи ${count}`)
    }
  }
  return { journalCount: journal.count, head, migrationsCurrent: current }
}

/** The audit key a restored journal is checked with: the installation's own unless it is the generated one. */
export function restoredAuditKey(config: Config, scratch: string): string {
  if (config.auditKeySource === 'env' || config.auditKeySource === 'file') return config.auditKey
  const secrets = path.join(scratch, PART.secrets)
  if (!existsSync(secrets)) return config.auditKey
  const parsed: unknown = JSON.parse(readFileSync(secrets, 'utf8'))
  if (typeof parsed === 'object' && parsed !== null && 'auditKey' in parsed && typeof parsed.auditKey === 'string') {
    return parsed.auditKey
  }
  return config.auditKey
}

/** A scratch PostgreSQL database beside the configured one, for a trial restore; null without CREATEDB. */
async function scratchPostgres(config: Config): Promise<{ url: string; drop(): Promise<void> } | null> {
  const url = ownerUrl(config)
  const name = `hd_verify_${randomBytes(6).toString('hex')}`
  const admin = openDatabase({ kind: 'postgres', url }, { poolSize: 1 })
  try {
    await sql`create database ${sql.id(name)}`.execute(admin)
  } catch {
    await admin.destroy()
    return null
  }
  const parsed = new URL(url)
  parsed.pathname = `/${name}`
  return {
    url: parsed.toString(),
    drop: async () => {
      try {
        await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin)
      } finally {
        await admin.destroy()
      }
    },
  }
}

/** pg_restore of a dump into an empty database, in one transaction (all or nothing), owned by whoever restores. */
export async function pgRestore(config: Config, dump: string, url: string): Promise<void> {
  await runPgTool(
    pgTools(config).restore,
    ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', dump],
    url,
  )
}

export interface Verification {
  verifiedAt: string
  manifest: Manifest
  check: DatabaseCheck | null
  /** PostgreSQL without the right to create a scratch database: the dump was only listed (pg_restore -l). */
  listedOnly: boolean
}

/**
 * Proves a bundle by restoring it into a scratch location beside it: every part's hash, the database's
 * integrity, migrations current, the journal's chain and archives, counts and head as the manifest says.
 */
export async function verifyBundle(file: string, config: Config): Promise<Verification> {
  const { scratch, manifest } = await openBundle(file, path.dirname(file), config.backup?.passphrase)
  try {
    const options = {
      // The installation checks its own fresh backup with its own key: the process's journal key is never
      // swapped under the server's concurrent writes.
      auditKey: config.auditKey,
      archiveDir: path.join(scratch, PART.archives),
      requireCurrent: true,
      what: `Проверка резервной копии ${path.basename(file)}`,
    }
    const part = path.join(scratch, manifest.database.part)
    const checkIn = async (database: DatabaseConfig): Promise<Verification> => {
      const db = openDatabase(database, { poolSize: 1 })
      try {
        return {
          verifiedAt: now(),
          manifest,
          check: await checkRestoredDatabase(db, manifest, options),
          listedOnly: false,
        }
      } finally {
        await db.destroy()
      }
    }
    if (manifest.database.kind === 'sqlite') return await checkIn({ kind: 'sqlite', file: part })
    const target = await scratchPostgres(config)
    if (!target) {
      await runPgTool(pgTools(config).restore, ['--list', part], ownerUrl(config))
      return { verifiedAt: now(), manifest, check: null, listedOnly: true }
    }
    try {
      await pgRestore(config, part, target.url)
      return await checkIn({ kind: 'postgres', url: target.url })
    } finally {
      await target.drop()
    }
  } finally {
    await removeScratch(scratch)
  }
}
