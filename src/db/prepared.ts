import type { Compilable, CompiledQuery } from 'kysely'
import { type Dialect, dialectOf } from './database.ts'
import type { Tx } from './schema.ts'

/** Where a prepared query's parameter comes from: the call's named value, or a constant of its shape. */
type Slot = { name: string } | { value: unknown }

class Placeholder {
  readonly name: string
  constructor(name: string) {
    this.name = name
  }
}

interface Compiled {
  sql: string
  query: CompiledQuery['query']
  slots: Slot[]
}

/**
 * A query of a fixed shape (no lists of varying length, no optional conditions), built and compiled by Kysely
 * once per dialect rather than at every call: a call only fills in its named values. On the hot paths (a
 * ticket view runs a dozen small queries) the builders and the compiler cost about as much as SQLite's work.
 *
 *   const ticketById = prepared((db, p: { id: number }) => db.selectFrom('tickets').selectAll().where('id', '=', p.id))
 *   const ticket = await ticketById.first(tx, { id: 7 })
 *
 * `build` receives placeholders in place of the values: it must only pass them on to Kysely as values (never
 * test, compare or compute with them), which the first compilation checks by finding every one of them.
 */
export function prepared<P extends Record<string, unknown>, R>(build: (db: Tx, params: P) => Compilable<R>) {
  const compiled = new Map<Dialect, Compiled>()

  function compile(db: Tx): Compiled {
    const dialect = dialectOf(db)
    const known = compiled.get(dialect)
    if (known) return known
    const names = new Set<string>()
    const params = new Proxy({} as P, {
      get(_, name) {
        if (typeof name !== 'string') return undefined
        names.add(name)
        return new Placeholder(name)
      },
    })
    const query = build(db, params).compile()
    const slots = query.parameters.map(
      (value): Slot => (value instanceof Placeholder ? { name: value.name } : { value }),
    )
    const used = new Set(slots.flatMap((slot) => ('name' in slot ? [slot.name] : [])))
    const lost = [...names].filter((name) => !used.has(name))
    if (lost.length > 0) throw new Error(`prepared query: ${lost.join(', ')} not passed on as values`)
    const made = { sql: query.sql, query: query.query, slots }
    compiled.set(dialect, made)
    return made
  }

  async function execute(db: Tx, params: P): Promise<R[]> {
    const { sql, query, slots } = compile(db)
    const parameters = slots.map((slot) => ('name' in slot ? params[slot.name] : slot.value))
    const result = await db.executeQuery<R>({ sql, query, parameters, queryId: { queryId: '' } })
    return result.rows
  }

  return {
    execute,
    async first(db: Tx, params: P): Promise<R | undefined> {
      return (await execute(db, params))[0]
    },
  }
}
