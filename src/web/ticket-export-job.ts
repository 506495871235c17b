import { randomBytes } from 'node:crypto'
import { readdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { z } from 'zod'
import type { Db, Job, Tx } from '#src/db/schema.ts'
import { nowDate } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { writeDurably } from '#src/files/durable-write.ts'
import { enqueueJob } from '#src/jobs/queue.ts'
import type { Schedule } from '#src/jobs/schedules.ts'
import { type JobHandler, PermanentJobError } from '#src/jobs/worker.ts'
import { isStaff } from '#src/tickets/rules.ts'
import { type Actor, actorFromUser } from '#src/users/actor.ts'
import { inLanguage } from './i18n.ts'
import {
  type ExportFormat,
  type ExportSource,
  exportFilter,
  exportFormats,
  journalExport,
  ticketCsv,
  ticketXlsx,
} from './ticket-export.ts'

/**
 * Exports too big to stream in their request (issue 13): the request journals the export and queues a job
 * in one transaction; the worker writes the file into DATA_DIR/exports under an unguessable name; the
 * person's page waits for it (/tickets/exports/:token) and offers it to them alone for a day, after which
 * the hourly sweep removes it.
 */

export const TICKET_EXPORT_JOB = 'ticket.export'

/** How long a made file is offered (and kept) after its job finished. */
export const EXPORT_KEEP_MS = 24 * 60 * 60_000

/** 128 random bits, hex: the file's name and the page's address. */
const TOKEN = /^[0-9a-f]{32}$/

const payloadSchema = z.object({
  userId: z.number().int().positive(),
  token: z.string().regex(TOKEN),
  format: z.enum(exportFormats),
  /** The list's address parameters, parsed again (and so validated) by the job as the list parses them. */
  query: z.string().max(8_000),
  rows: z.number().int().min(0),
})
type ExportPayload = z.infer<typeof payloadSchema>

export function exportsDirOf(dataDir: string): string {
  return path.join(dataDir, 'exports')
}

function fileOf(dataDir: string, payload: Pick<ExportPayload, 'token' | 'format'>): string {
  return path.join(exportsDirOf(dataDir), `${payload.token}.${payload.format}`)
}

/** The job's key: finds the export by its token (the `jobs.unique_key` index). */
function keyOf(token: string): string {
  return `ticket-export:${token}`
}

export interface QueueExportInput {
  format: ExportFormat
  /** The list's address parameters (`status=new&q=…`). */
  query: string
  /** How many rows matched when it was asked for (journaled). */
  rows: number
}

/**
 * Queues a background export of the actor's list, journaled as it is asked for; returns its token. The same
 * list in the same format asked for again while it is being made (a second click) is that export, not another.
 */
export async function queueTicketExport(db: Db, actor: Actor, input: QueueExportInput): Promise<string> {
  const userId = actor.id
  if (userId === null) throw new Error('a background export belongs to a person')
  return transact(db, async (tx) => {
    const waiting = await tx
      .selectFrom('jobs')
      .select('payload')
      .where('kind', '=', TICKET_EXPORT_JOB)
      .where('status', 'in', ['pending', 'running'])
      .execute()
    const same = waiting
      .map((job) => payloadSchema.safeParse(JSON.parse(job.payload)).data)
      .find((p) => p?.userId === userId && p.format === input.format && p.query === input.query)
    if (same) return same.token
    const token = randomBytes(16).toString('hex')
    const payload: ExportPayload = { userId, token, format: input.format, query: input.query, rows: input.rows }
    await journalExport(tx, actor, { format: input.format, rows: input.rows, background: true })
    await enqueueJob(tx, { kind: TICKET_EXPORT_JOB, payload: { ...payload }, uniqueKey: keyOf(token) })
    return token
  })
}

/**
 * Writes a queued export's file with what its owner may see when it runs (a role taken away since narrows
 * it); an owner no longer active gets nothing. Rows are read on `readDb` when given (the read-only handle),
 * the file is written durably: a failure leaves no half file behind, and the worker tries the job again.
 */
export function ticketExportJob(readDb?: Db): JobHandler {
  return async (raw, { db, config }) => {
    const parsed = payloadSchema.safeParse(raw)
    if (!parsed.success) throw new PermanentJobError('ticket export: malformed payload')
    const payload = parsed.data
    const user = await db.selectFrom('users').selectAll().where('id', '=', payload.userId).executeTakeFirst()
    if (user?.status !== 'active') throw new PermanentJobError('ticket export: its owner is no longer active')
    const actor = actorFromUser(user, 'web')
    const source: ExportSource = {
      reads: readDb ?? db,
      actor,
      filter: exportFilter(new URLSearchParams(payload.query), config.tzDisplay, isStaff(actor)),
      tz: config.tzDisplay,
    }
    await inLanguage(user.language, () =>
      writeDurably(
        fileOf(config.dataDir, payload),
        payload.format === 'csv' ? Readable.fromWeb(ticketCsv(source) as WebReadableStream) : ticketXlsx(source),
      ),
    )
  }
}

export type ExportState = 'waiting' | 'ready' | 'failed' | 'gone'

export interface TicketExport {
  jobId: number
  state: ExportState
  ownerId: number
  format: ExportFormat
  rows: number
  query: string
  /** Where the file is (when `ready`). */
  file: string
  /** When its file was made (when `ready`). */
  finishedAt: string | null
  /** Until when it is offered (when `ready`). */
  until: string | null
}

/** A background export by its token, whoever it belongs to; undefined for a token of none. */
export async function findTicketExport(
  db: Tx,
  dataDir: string,
  token: string,
  at: Date = nowDate(),
): Promise<TicketExport | undefined> {
  if (!TOKEN.test(token)) return undefined
  const job = await db
    .selectFrom('jobs')
    .selectAll()
    .where('unique_key', '=', keyOf(token))
    .where('kind', '=', TICKET_EXPORT_JOB)
    .executeTakeFirst()
  if (!job) return undefined
  const parsed = payloadSchema.safeParse(JSON.parse(job.payload))
  if (!parsed.success) return undefined
  const payload = parsed.data
  const file = fileOf(dataDir, payload)
  const until = job.finished_at === null ? null : new Date(Date.parse(job.finished_at) + EXPORT_KEEP_MS)
  return {
    jobId: job.id,
    state: await stateOf(job, file, until, at),
    ownerId: payload.userId,
    format: payload.format,
    rows: payload.rows,
    query: payload.query,
    file,
    finishedAt: job.finished_at,
    until: until?.toISOString() ?? null,
  }
}

async function stateOf(job: Job, file: string, until: Date | null, at: Date): Promise<ExportState> {
  if (job.status === 'failed') return 'failed'
  if (job.status !== 'done') return 'waiting'
  if (until === null || until <= at) return 'gone'
  return (await isFile(file)) ? 'ready' : 'gone'
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile()
  } catch {
    return false
  }
}

/**
 * Removes the files of DATA_DIR/exports older than EXPORT_KEEP_MS (and a crashed write's leftovers as
 * old); the page of such an export says it is gone. Returns how many files went.
 */
export async function sweepTicketExports(dataDir: string, at: Date = nowDate()): Promise<number> {
  const dir = exportsDirOf(dataDir)
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return 0
  }
  let removed = 0
  for (const name of names) {
    const file = path.join(dir, name)
    try {
      const info = await stat(file)
      if (!info.isFile() || info.mtimeMs > at.getTime() - EXPORT_KEEP_MS) continue
      await rm(file, { force: true })
      removed++
    } catch {
      // Gone meanwhile (another instance's sweep): nothing to do.
    }
  }
  return removed
}

/** The hourly sweep of old export files (run at the start of the scheduler's holder too). */
export function ticketExportSweepSchedule(dataDir: string): Schedule {
  return { name: 'ticket-exports-old', everyMs: 60 * 60_000, run: () => sweepTicketExports(dataDir) }
}
