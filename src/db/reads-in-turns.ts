import { setImmediate } from 'node:timers/promises'
import { dialectOf } from './database.ts'
import type { Tx } from './schema.ts'

/**
 * Runs independent reads and gives their results in order. On PostgreSQL they run at once over the pool.
 * better-sqlite3 answers synchronously, so back to back (even under `Promise.all`) its reads hold the event loop
 * for their sum — a quarter's statistics, seven scans, held it ~250 ms: on SQLite they run one at a time with a
 * turn of the event loop before each, so other requests are answered in between.
 */
export async function readsInTurns<T extends readonly unknown[]>(
  db: Tx,
  reads: { readonly [K in keyof T]: () => Promise<T[K]> },
): Promise<T> {
  if (dialectOf(db) === 'postgres') return (await Promise.all(reads.map((read) => read()))) as unknown as T
  const results: unknown[] = []
  for (const read of reads) {
    await setImmediate()
    results.push(await read())
  }
  return results as unknown as T
}
