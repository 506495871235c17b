import pg from 'pg'

/**
 * PostgreSQL test databases put back as they were cloned, for the next test of the same file. Cloning the
 * migrated template and dropping the clone cost half a second a test (measured: 0.25–0.5 s for
 * `create database … template`, 0.2–0.3 s for `drop database`, ten megabytes of WAL each), most of the
 * PostgreSQL suite's time; emptying the tables and putting the template's rows back costs a few dozen
 * milliseconds.
 *
 * A database is recycled only when its schema is the template's still: the fingerprint of its catalogue
 * (tables, columns, constraints, triggers and whether they are enabled, functions, grants, settings) is
 * compared with the pristine clone's, and a test that altered anything (a tampering test disabling a
 * trigger, a grant to the app role) leaves a database that is dropped as before.
 */
export interface Pristine {
  fingerprint: string
  /** Empties every table, puts the template's rows and sequences back. One round trip, simple protocol. */
  reset: string
}

/** Reads what a fresh clone holds, before any test has used it. */
export async function capturePristine(url: string): Promise<Pristine> {
  return withClient(url, async (client) => {
    const tables = await client.query<{ name: string; columns: string[] }>(
      `select quote_ident(c.relname) as name,
         array_agg(quote_ident(a.attname) order by a.attnum) filter (where a.attgenerated = '') as columns
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
       where n.nspname = current_schema() and c.relkind in ('r', 'p')
       group by c.relname order by c.relname`,
    )
    // The journal's triggers fire always (replication too): they are set aside for the reset, inside it.
    const always = await client.query<{ table: string; name: string }>(
      `select tgrelid::regclass::text as table, quote_ident(tgname) as name from pg_trigger
       where not tgisinternal and tgenabled = 'A'`,
    )
    const statements = ['set lock_timeout = 5000', 'begin', 'set local session_replication_role = replica']
    for (const { table, name } of always.rows) statements.push(`alter table ${table} disable trigger ${name}`)
    for (const { name } of tables.rows) statements.push(`delete from ${name}`)
    // Every table's rows in one query: `select (select json_agg(t)::text from a t), (…)`.
    const contents = await client.query({
      text: `select ${tables.rows.map(({ name }) => `(select json_agg(t)::text from ${name} t)`).join(', ')}`,
      rowMode: 'array',
    })
    for (const [i, { name, columns }] of tables.rows.entries()) {
      const json = (contents.rows[0] as Array<string | null>)[i]
      if (!json) continue
      const list = columns.join(', ')
      statements.push(
        `insert into ${name} (${list}) overriding system value select ${list} from json_populate_recordset(null::${name}, ${literal(json)})`,
      )
    }
    const sequences = await client.query<{ name: string; last_value: string; is_called: boolean }>(
      `select quote_ident(c.relname) as name, (pg_sequence_last_value(c.oid) is not null) as is_called,
         coalesce(pg_sequence_last_value(c.oid), s.seqstart) as last_value
       from pg_class c join pg_sequence s on s.seqrelid = c.oid
       where c.relnamespace = current_schema()::regnamespace`,
    )
    for (const { name, last_value, is_called } of sequences.rows) {
      statements.push(`select setval(${literal(name)}, ${last_value}, ${is_called})`)
    }
    for (const { table, name } of always.rows) statements.push(`alter table ${table} enable always trigger ${name}`)
    statements.push('commit')
    return { fingerprint: await fingerprintOf(client), reset: statements.join(';\n') }
  })
}

/** Puts a used database back as `pristine`; false (and nothing to rely on) when its schema was changed. */
export async function recycle(url: string, pristine: Pristine): Promise<boolean> {
  try {
    return await withClient(url, async (client) => {
      if ((await fingerprintOf(client)) !== pristine.fingerprint) return false
      await client.query(pristine.reset)
      return true
    })
  } catch {
    // A connection of the test still holds a lock, or the database is gone: it is dropped instead.
    return false
  }
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end()
  }
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

/** What a test could change of a database's schema and rights, as one hash. */
async function fingerprintOf(client: pg.Client): Promise<string> {
  const result = await client.query<{ md5: string }>(
    `with rels as (
       select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
     )
     select md5(string_agg(x, E'\\n' order by x)) as md5 from (
       select concat_ws(':', 'rel', c.oid::regclass, c.relkind, c.relacl, c.relowner::regrole, c.relrowsecurity)
         from pg_class c where c.oid in (select oid from rels)
       union all select concat_ws(':', 'col', a.attrelid::regclass, a.attname, format_type(a.atttypid, a.atttypmod),
           a.attnotnull, a.attgenerated, a.attidentity, pg_get_expr(d.adbin, d.adrelid), a.attacl)
         from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
         where a.attrelid in (select oid from rels) and a.attnum > 0 and not a.attisdropped
       union all select concat_ws(':', 'con', conrelid::regclass, conname, pg_get_constraintdef(oid))
         from pg_constraint where conrelid in (select oid from rels)
       union all select concat_ws(':', 'idx', indexrelid::regclass, pg_get_indexdef(indexrelid))
         from pg_index where indrelid in (select oid from rels)
       union all select concat_ws(':', 'trg', tgrelid::regclass, tgname, tgenabled, tgfoid::regproc)
         from pg_trigger where not tgisinternal
       union all select concat_ws(':', 'fn', p.oid::regprocedure, md5(p.prosrc), p.proacl, p.proowner::regrole)
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname not in ('pg_catalog', 'information_schema')
       union all select concat_ws(':', 'ns', nspname, nspacl, nspowner::regrole) from pg_namespace
       union all select concat_ws(':', 'ext', extname, extversion) from pg_extension
       union all select concat_ws(':', 'pol', polrelid::regclass, polname) from pg_policy
       union all select concat_ws(':', 'rule', ev_class::regclass, rulename) from pg_rewrite
         where ev_class in (select oid from rels) and rulename <> '_RETURN'
       union all select concat_ws(':', 'defacl', defaclrole::regrole, defaclacl) from pg_default_acl
       union all select concat_ws(':', 'set', setrole, setconfig) from pg_db_role_setting
         where setdatabase = (select oid from pg_database where datname = current_database())
       union all select concat_ws(':', 'db', datacl, datdba::regrole) from pg_database where datname = current_database()
     ) f(x)`,
  )
  return result.rows[0]?.md5 ?? ''
}
