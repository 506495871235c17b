/**
 * Ticket lists timed in-process on demo data, one at a time: the median and the slowest of `--runs` calls of
 * each filter × sort (the first page and its capped count, as the API asks them).
 *
 *   npx tsx bench/list-plans.ts --data-dir /tmp/hd-bench [--runs 15]
 *   DATABASE_URL=postgres://… npx tsx bench/list-plans.ts [--runs 15]
 */
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { openDatabase } from '#src/db/database.ts'
import { listTickets, type TicketFilter } from '#src/tickets/ticket-store.ts'
import { type Actor, actorFromUser } from '#src/users/actor.ts'

const { values } = parseArgs({
  options: { 'data-dir': { type: 'string' }, runs: { type: 'string', default: '15' } },
})
const runs = Number(values.runs)
const url = process.env.DATABASE_URL
const dataDir = values['data-dir']
if (!url && !dataDir) throw new Error('--data-dir (SQLite) or DATABASE_URL (PostgreSQL) is required')
const db = openDatabase(
  url ? { kind: 'postgres', url } : { kind: 'sqlite', file: path.join(dataDir ?? '', 'helpdesk.sqlite') },
)
// The reader sees every ticket: an admin, or on a fresh demo (which has none) a curator.
const reader = await db
  .selectFrom('users')
  .selectAll()
  .where('role', 'in', ['admin', 'curator'])
  .orderBy('role')
  .executeTakeFirstOrThrow()
const actor = actorFromUser(reader, 'api')
type Column = 'assignee_id' | 'requester_id' | 'category_id' | 'group_id'
/** The value of `column` with the most tickets (`desc`) or the fewest (`asc`). */
const byTickets = async (column: Column, order: 'asc' | 'desc') => {
  const row = await db
    .selectFrom('tickets')
    .select(column)
    .where(column, 'is not', null)
    .groupBy(column)
    .orderBy((eb) => eb.fn.countAll(), order)
    .limit(1)
    .executeTakeFirstOrThrow()
  return Number(row[column])
}
const busiest = (column: Column) => byTickets(column, 'desc')
const rarest = (column: Column) => byTickets(column, 'asc')
const executor = await busiest('assignee_id')
const requester = await busiest('requester_id')
const fewRequester = await rarest('requester_id')
const category = await busiest('category_id')
const fewCategory = await rarest('category_id')
const group = await busiest('group_id')
const executorActor = actorFromUser(
  await db.selectFrom('users').selectAll().where('id', '=', executor).executeTakeFirstOrThrow(),
  'api',
)
const cases: Array<[string, TicketFilter, Actor?]> = []
for (const sort of ['-created_at', '-updated_at'] as const) {
  cases.push(
    [`all, ${sort}`, { sort }],
    [`status new+in_progress, ${sort}`, { status: ['new', 'in_progress'], sort }],
    [
      `status closed + normal + department 3, ${sort}`,
      { status: ['closed'], priority: ['normal'], departmentId: 3, sort },
    ],
    [`busiest executor, ${sort}`, { assigneeId: executor, sort }],
    [`busiest executor, open, ${sort}`, { assigneeId: executor, status: ['in_progress', 'waiting'], sort }],
    [`busiest requester, ${sort}`, { requesterId: requester, sort }],
    [`rarest requester, ${sort}`, { requesterId: fewRequester, sort }],
    [`busiest category, ${sort}`, { categoryId: category, sort }],
    [`rarest category, ${sort}`, { categoryId: fewCategory, sort }],
    [`busiest group, ${sort}`, { groupId: group, sort }],
    [`priority high + department 3, ${sort}`, { priority: ['high'], departmentId: 3, sort }],
    [`department 3, ${sort}`, { departmentId: 3, sort }],
    // An admin answers for no ticket and is in no group: «мои» matches nothing, the worst case of a rare filter.
    [`mine (the ${reader.role}'s), ${sort}`, { scope: 'mine', sort }],
    // The busiest executor's: theirs, and their groups' unassigned.
    [`mine (the busiest executor's), ${sort}`, { scope: 'mine', sort }, executorActor],
    [
      `mine (the busiest executor's), open, ${sort}`,
      { scope: 'mine', status: ['new', 'in_progress'], sort },
      executorActor,
    ],
    [`overdue, ${sort}`, { overdue: true, sort }],
  )
}
process.stdout.write(`| list | median ms | max ms |\n|---|---|---|\n`)
for (const [name, filter, reader = actor] of cases) {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    await listTickets(db, reader, { ...filter, perPage: 25 })
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)] ?? 0
  process.stdout.write(`| ${name} | ${median.toFixed(1)} | ${(times.at(-1) ?? 0).toFixed(1)} |\n`)
}
await db.destroy()
