import { statfs } from 'node:fs/promises'

/**
 * Errors that say «not now» rather than «wrong»: the database went away (PostgreSQL restarted, a connection
 * killed, the server unreachable) or the disk is full. Every edge answers them with 503 — the request may
 * succeed when tried again — instead of a 500 that says the program is broken.
 */
export type Outage = 'database' | 'disk_full'

/** PostgreSQL: admin shutdown, crash shutdown, cannot connect now, too many connections; class 08 is connection exceptions. */
const PG_GONE = new Set(['57P01', '57P02', '57P03', '53300'])
const NETWORK_GONE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'])
/** ENOSPC and quota from the file system, SQLITE_FULL from SQLite, 53100 (disk_full) from PostgreSQL. */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL', '53100'])

/**
 * node-postgres names a lost connection only in its message: the server's socket ended, a client used
 * after its connection broke, no connection within `connectionTimeoutMillis`.
 */
const PG_GONE_MESSAGES =
  /^(Connection terminated|Client has encountered a connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect)/

/** Which outage an error reports, looking through `cause` and aggregated errors; undefined for any other error. */
export function outageOf(error: unknown, depth = 0): Outage | undefined {
  if (typeof error !== 'object' || error === null || depth > 5) return undefined
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined
  if (code !== undefined) {
    if (DISK_FULL.has(code)) return 'disk_full'
    if (PG_GONE.has(code) || NETWORK_GONE.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return 'database'
  }
  if (error instanceof Error && PG_GONE_MESSAGES.test(error.message)) return 'database'
  if ('cause' in error) {
    const outage = outageOf(error.cause, depth + 1)
    if (outage) return outage
  }
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const outage = outageOf(inner, depth + 1)
      if (outage) return outage
    }
  }
  return undefined
}

/** What a person (web) or a program (API `message`) is told; the code says the rest. */
export const outageMessage: Record<Outage, string> = {
  database: 'База данных недоступна, повторите попытку через минуту',
  disk_full: 'На сервере закончилось место на диске: изменения не сохранены, повторите попытку позже',
}

/**
 * Below this much free space in DATA_DIR the instance says it is not ready: SQLite's journal, uploads and
 * backups need room, and a load balancer should send people to an instance that can save their work.
 */
export const MIN_FREE_BYTES = 8 * 1024 * 1024

/** False when the file system of `dir` has less than `minFree` bytes left; true when it has, or cannot tell. */
export async function diskHasRoom(dir: string, minFree = MIN_FREE_BYTES): Promise<boolean> {
  try {
    const fs = await statfs(dir)
    return fs.bavail * fs.bsize >= minFree
  } catch {
    // No such folder (tests run without one) or no statfs: nothing known that should take the instance out.
    return true
  }
}
