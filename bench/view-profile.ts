/**
 * What a ticket view costs in process (no HTTP): `viewTicket` on random ids of a demo database, `--concurrent`
 * at a time (they share group commits as the server's requests do), with its CPU time and SQLite's share.
 *
 *   npx tsx bench/view-profile.ts --data-dir /tmp/hd-bench [--count 3000] [--concurrent 4]
 */
import { parseArgs } from 'node:util'
import { presentTicketDetail } from '#src/api/present.ts'
import { viewTicket } from '#src/tickets/view-ticket.ts'
import { measureCalls, openDemoDatabase } from './in-process.ts'

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    count: { type: 'string', default: '3000' },
    concurrent: { type: 'string', default: '4' },
  },
})
const dataDir = values['data-dir']
if (!dataDir) throw new Error('--data-dir is required')
const count = Number(values.count)
const concurrent = Number(values.concurrent)
const { db, actor } = await openDemoDatabase(dataDir)
const max = Number(
  (
    await db
      .selectFrom('tickets')
      .select((eb) => eb.fn.max('id').as('m'))
      .executeTakeFirstOrThrow()
  ).m,
)
const view = async () => {
  const detail = await viewTicket(db, actor, { ticketId: 1 + Math.floor(Math.random() * max) })
  return JSON.stringify(presentTicketDetail(detail))
}
await measureCalls(db, { noun: 'view', count, concurrent, warmUp: 100, once: view })
