// A separate process that claims and completes jobs from a SQLite file until none are left, then
// prints the ids it got. Two of these at once prove that claims are exclusive across processes.
// Usage: node --import tsx test/support/claim-jobs-process.ts <sqlite file> <worker id>
// It prints `ready` once the database is open and starts when a line arrives on stdin, so that the
// parent can start two of them at the same moment however slowly each one boots.
import { once } from 'node:events'
import { openDatabase } from '#src/db/database.ts'
import { claimDueJobs, completeJob } from '#src/jobs/queue.ts'

const [file, workerId] = process.argv.slice(2)
if (!file || !workerId) throw new Error('usage: claim-jobs-process <file> <worker id>')
const db = openDatabase({ kind: 'sqlite', file })
process.stdout.write('ready\n')
await once(process.stdin, 'data')
process.stdin.pause()
const ids: number[] = []
for (;;) {
  const jobs = await claimDueJobs(db, 3, workerId)
  if (jobs.length === 0) break
  for (const job of jobs) {
    ids.push(job.id)
    await completeJob(db, job)
  }
  // A pause for "work" between claims: without it one process can keep SQLite's write lock to itself
  // (a busy waiter sleeps and misses each short gap), and the test would prove nothing about overlap.
  await new Promise((resolve) => setTimeout(resolve, 3))
}
await db.destroy()
process.stdout.write(`${JSON.stringify(ids)}\n`)
