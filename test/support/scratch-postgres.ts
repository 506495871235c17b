// A PostgreSQL cluster of the test's own (TESTING.md F6): started with initdb/pg_ctl on a free loopback
// port, so that the test may kill its connections and restart it without touching the shared server.
import { execFile } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Debian's layout (`postgresql-NN`); PG_BIN names another folder with initdb and pg_ctl. */
function findBinaries(): string | undefined {
  const candidates = process.env.PG_BIN
    ? [process.env.PG_BIN]
    : existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql')
          .sort((a, b) => Number(b) - Number(a))
          .map((version) => `/usr/lib/postgresql/${version}/bin`)
      : []
  return candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')))
}

export const pgBinaries = findBinaries()

export interface ScratchPostgres {
  port: number
  /** `postgres://postgres@127.0.0.1:<port>/<database>` */
  url(database: string): string
  /** `pg_ctl restart -m fast|immediate`: every connection is cut; back when it returns. */
  restart(mode: 'fast' | 'immediate'): Promise<void>
  stop(mode?: 'fast' | 'immediate'): Promise<void>
  start(): Promise<void>
  /** Stops the cluster (immediately) and removes its folder. */
  destroy(): Promise<void>
}

/**
 * initdb refuses to run as root: as root, the cluster's folder is given to the `postgres` account and the
 * binaries run through `runuser`; as anyone else they run as that user.
 */
export async function startScratchPostgres(port: number): Promise<ScratchPostgres> {
  const bin = pgBinaries
  if (!bin) throw new Error('PostgreSQL binaries (initdb, pg_ctl) not found: set PG_BIN')
  const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-pg-'))
  const data = path.join(dir, 'data')
  const asRoot = userInfo().uid === 0
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()))
  }
  const pg = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]) : run(path.join(bin, tool), args)
  await pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'])
  // Sockets in the cluster's own folder; TCP on loopback only. Durability as in production (fsync on).
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=50`
  const ctl = (args: string[]) => pg('pg_ctl', ['-D', data, '-w', '-t', '60', '-l', path.join(dir, 'log'), ...args])
  const start = async () => {
    await ctl(['-o', options, 'start'])
  }
  await start()
  return {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    restart: async (mode) => {
      await ctl(['-m', mode, '-o', options, 'restart'])
    },
    stop: async (mode = 'fast') => {
      await ctl(['-m', mode, 'stop'])
    },
    start,
    destroy: async () => {
      await ctl(['-m', 'immediate', 'stop']).catch(() => undefined)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
