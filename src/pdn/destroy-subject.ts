import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { removeStoredFile } from '#src/attachments/file-store.ts'
import { audit, auditSealed } from '#src/audit/journal.ts'
import type { Config } from '#src/config.ts'
import { dialectOf } from '#src/db/database.ts'
import type { Db, Tx, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { renderInThread } from '#src/documents/pdf-thread.ts'
import { DomainError } from '#src/errors.ts'
import { chatOfUser } from '#src/notify/chat-key.ts'
import { getSetting } from '#src/settings/settings.ts'
import { reindexTicket } from '#src/tickets/ticket-search.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { requiredText } from '#src/users/fields.ts'
import { loginSubject } from '#src/users/login-throttle.ts'
import { type CommissionMember, renderDestructionAct, renderJournalExtract, subjectLabel } from './destruction-act.ts'

/**
 * Destruction of a person's data by pseudonymisation (152-ФЗ ст. 21, COMPLIANCE.md §3, Приказ РКН № 179):
 * the identifying fields are erased and the account becomes «Субъект № N», so that tickets and the journal
 * keep their shape; their attachments and consent scans go from the database and the files folder; their
 * free text stays unless the admin asks to delete it. The act and the journal extract are made in the same
 * transaction. Afterwards nothing of it is left in the database file, its WAL or the full-text index
 * (SQLite: secure_delete and FTS5 secure-delete, then a TRUNCATE checkpoint; PostgreSQL: VACUUM).
 */

export const DESTRUCTION_REASON_MAX = 1000
/** Acts are kept 3 years (Приказ РКН № 179 п. 5). */
export const ACT_KEEP_YEARS = 3
export const DELETED_TEXT = '[текст удалён при уничтожении персональных данных]'

export interface DestroySubjectInput {
  userId: number
  /** Why, in Russian, as the act prints it. */
  reason: string
  /** The people who sign the act: members of the commission in the settings. */
  commission: readonly CommissionMember[]
  /** «Удалить тексты обращений»: the titles and texts of their tickets and their messages go too. */
  deleteTexts: boolean
}

export interface DestroyedSubject {
  actId: number
  userId: number
  categories: string[]
  filesRemoved: number
  backups: string[]
  /**
   * False when the old copies could not be purged yet (SQLite: a reader kept the WAL; or called inside a
   * transaction): the next checkpoint purges them.
   */
  purged: boolean
}

type DestroyConfig = Pick<Config, 'dataDir' | 'tzDisplay'>

/** Destroys one person's data with an admin's approval and makes the act. */
export async function destroySubject(
  db: Db,
  actor: Actor,
  config: DestroyConfig,
  input: DestroySubjectInput,
): Promise<DestroyedSubject> {
  await authorize(
    db,
    actor,
    'pdn.destroy',
    {
      action: 'pdn.destroy',
      objectType: 'user',
      objectId: input.userId,
      subjectId: input.userId,
      pdn: true,
      description: `Отказано в уничтожении ПДн пользователя № ${input.userId}`,
    },
    'Уничтожать персональные данные может только администратор',
  )
  const reason = requiredText(input.reason, {
    label: 'Причина уничтожения',
    max: DESTRUCTION_REASON_MAX,
    empty: 'Укажите причину уничтожения',
  })
  if (input.commission.length === 0) {
    throw new DomainError('validation', 'Выберите членов комиссии, подписывающих акт')
  }
  const backups = backupsBefore(config.dataDir)
  const done = await transact(db, async (tx) => {
    const members = await getSetting(tx, 'pdn.commission')
    for (const person of input.commission) {
      if (!members.some((m) => m.name === person.name && m.position === person.position)) {
        throw new DomainError('validation', 'В акте могут быть только члены комиссии из настроек')
      }
    }
    const user = await tx.selectFrom('users').selectAll().where('id', '=', input.userId).executeTakeFirst()
    if (!user) throw new DomainError('not_found', 'Пользователь не найден')
    if (user.pseudonymised_at !== null) throw new DomainError('conflict', 'Данные этого человека уже уничтожены')
    if (user.id === actor.id) throw new DomainError('conflict', 'Нельзя уничтожить собственные данные')
    const at = now()
    const erased = await eraseSubject(tx, user, at, input.deleteTexts)
    const categories = categoriesOf(user, erased)
    const row = await auditSealed(tx, actor, {
      action: 'pdn.destroy',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      pdn: true,
      description: `Уничтожены персональные данные пользователя № ${user.id} (обезличивание)`,
      details: {
        fields: erased.fields,
        attachments: erased.attachmentIds.length,
        consentFiles: erased.consentFiles,
        answerDocuments: erased.answerDocuments,
        textsDeleted: input.deleteTexts,
        ticketsRewritten: erased.ticketsRewritten,
        messagesRewritten: erased.messagesRewritten,
        ...erased.revoked,
      },
    })
    const operator = await getSetting(tx, 'org.requisites')
    const keepUntil = new Date(at)
    keepUntil.setUTCFullYear(keepUntil.getUTCFullYear() + ACT_KEEP_YEARS)
    const act = await tx
      .insertInto('destruction_acts')
      .values({
        user_id: user.id,
        created_at: at,
        created_by: actor.id,
        reason,
        categories: JSON.stringify(categories),
        commission: JSON.stringify(input.commission),
        texts_deleted: input.deleteTexts ? 1 : 0,
        audit_ids: JSON.stringify([Number(row.id)]),
        backups: JSON.stringify(backups),
        act_pdf: Buffer.alloc(0),
        extract_pdf: Buffer.alloc(0),
        keep_until: keepUntil.toISOString(),
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    const facts = {
      actId: act.id,
      userId: user.id,
      at,
      operator,
      commission: input.commission,
      categories,
      reason,
      backups,
      filesRemoved: erased.files.length,
      textsDeleted: input.deleteTexts,
      tz: config.tzDisplay,
    }
    // Drawn off the event loop (pdfkit lays out synchronously); the same module's exports, in the PDF thread.
    const documents = new URL('./destruction-act.ts', import.meta.url)
    const actPdf = await renderInThread(documents, renderDestructionAct.name, [facts])
    const extractPdf = await renderInThread(documents, renderJournalExtract.name, [facts, [row]])
    await tx
      .updateTable('destruction_acts')
      .set({ act_pdf: actPdf, extract_pdf: extractPdf })
      .where('id', '=', act.id)
      .execute()
    await tx
      .updateTable('destruction_queue')
      .set({ done_at: at, act_id: act.id })
      .where('user_id', '=', user.id)
      .where('done_at', 'is', null)
      .execute()
    await audit(tx, actor, {
      action: 'pdn.destruction_act',
      objectType: 'destruction_act',
      objectId: act.id,
      subjectId: user.id,
      pdn: true,
      description: `Составлен акт № ${act.id} об уничтожении ПДн пользователя № ${user.id}`,
      details: { auditIds: [Number(row.id)], commission: input.commission.length, backups: backups.length },
    })
    return { actId: act.id, userId: user.id, categories, files: erased.files }
  })
  let filesRemoved = 0
  for (const sha256 of done.files) {
    if (await removeStoredFile(config.dataDir, sha256, () => fileStillWanted(db, sha256))) filesRemoved++
  }
  const purged = await purgeFreedSpace(db, input.deleteTexts)
  return { actId: done.actId, userId: done.userId, categories: done.categories, filesRemoved, backups, purged }
}

interface Erased {
  /** The identifying fields that held a value. */
  fields: string[]
  attachmentIds: number[]
  consentFiles: number
  /** Documents of answers to their requests whose contents were erased. */
  answerDocuments: number
  /** File hashes no longer referred to by the person's rows (removed after the commit if nobody else has them). */
  files: string[]
  ticketsRewritten: number
  messagesRewritten: number
  revoked: Record<string, number>
}

const identifying = [
  'full_name',
  'login',
  'phone',
  'position',
  'room',
  'department_id',
  'telegram_chat_id',
  'telegram_username',
  'max_user_id',
  'email',
  'employee_number',
  'external_dn',
  'totp_secret',
  'password_hash',
  'rejection_reason',
] as const satisfies ReadonlyArray<keyof User>

const categoryLabels: Partial<Record<(typeof identifying)[number], string>> = {
  full_name: 'фамилия, имя, отчество',
  phone: 'номер телефона',
  position: 'должность',
  room: 'кабинет (место работы)',
  department_id: 'отделение',
  telegram_chat_id: 'идентификатор пользователя Telegram',
  telegram_username: 'имя пользователя Telegram',
  max_user_id: 'идентификатор пользователя MAX',
  login: 'логин учётной записи',
  email: 'адрес электронной почты',
  employee_number: 'табельный номер',
  external_dn: 'учётная запись в каталоге Active Directory',
}

function categoriesOf(user: User, erased: Erased): string[] {
  const list: string[] = []
  for (const field of identifying) {
    const label = categoryLabels[field]
    if (label && erased.fields.includes(field)) list.push(label)
  }
  if (erased.attachmentIds.length > 0) list.push(`вложения к заявкам (файлов: ${erased.attachmentIds.length})`)
  if (erased.consentFiles > 0) list.push('сведения о согласии на обработку ПДн (сканы, IP-адреса, идентификаторы)')
  else list.push('сведения о согласии на обработку ПДн (IP-адреса, идентификаторы сообщений)')
  if (erased.answerDocuments > 0) {
    list.push(`копии данных в ответах на запросы субъекта (документов: ${erased.answerDocuments})`)
  }
  if (erased.messagesRewritten > 0 || erased.ticketsRewritten > 0) {
    list.push(`тексты обращений (заявок: ${erased.ticketsRewritten}, сообщений: ${erased.messagesRewritten})`)
  }
  list.push('сеансы входа, токены API, ссылки входа и привязки')
  if (user.status === 'active' || user.status === 'pending') list.push('учётная запись отключена')
  return list
}

/** Erases the person's identifying data and what hangs on it, in the caller's transaction. */
async function eraseSubject(tx: Tx, user: User, at: string, deleteTexts: boolean): Promise<Erased> {
  const fields = identifying.filter((f) => user[f] !== null && user[f] !== '')
  const copies = [user.full_name, user.phone, user.login, user.telegram_username, user.email].filter(
    (v): v is string => typeof v === 'string' && v.trim().length >= 4,
  )

  const attachments = await tx
    .selectFrom('attachments')
    .select(['id', 'sha256'])
    .where('uploader_id', '=', user.id)
    .execute()
  if (attachments.length > 0) {
    await tx
      .deleteFrom('attachments')
      .where(
        'id',
        'in',
        attachments.map((a) => a.id),
      )
      .execute()
  }
  const consentScans = await tx
    .selectFrom('consent_records')
    .select('evidence_file')
    .where('user_id', '=', user.id)
    .where('evidence_file', 'is not', null)
    .execute()
  await tx
    .updateTable('consent_records')
    .set({ evidence: null, evidence_file: null, evidence_file_name: null, evidence_file_type: null })
    .where('user_id', '=', user.id)
    .execute()
  const files = [
    ...new Set([
      ...attachments.map((a) => a.sha256),
      ...consentScans.flatMap((c) => (c.evidence_file === null ? [] : [c.evidence_file])),
    ]),
  ]

  await tx
    .updateTable('users')
    .set({
      full_name: subjectLabel(user.id),
      login: null,
      password_hash: null,
      phone: null,
      position: null,
      room: null,
      department_id: null,
      telegram_chat_id: null,
      telegram_username: null,
      telegram_blocked_at: null,
      max_user_id: null,
      max_blocked_at: null,
      messenger: null,
      totp_secret: null,
      totp_enabled: 0,
      totp_last_step: null,
      rejection_reason: null,
      block_reason: null,
      email: null,
      employee_number: null,
      external_dn: null,
      failed_logins: 0,
      locked_until: null,
      status: user.status === 'rejected' ? 'rejected' : 'deactivated',
      deactivated_at: user.deactivated_at ?? (user.status === 'rejected' ? null : at),
      pseudonymised_at: at,
      updated_at: at,
    })
    .where('id', '=', user.id)
    .execute()

  // The answers given to their requests are copies of their data (PDF and ZIP): the rows stay as a record
  // of what was given (name, hash, date), the contents go.
  const answered = await tx
    .updateTable('subject_request_documents')
    .set({ content: Buffer.alloc(0) })
    .where('request_id', 'in', tx.selectFrom('subject_requests').select('id').where('subject_id', '=', user.id))
    .executeTakeFirst()

  // Where they were: their tickets' place is their room.
  await tx.updateTable('tickets').set({ location: null }).where('requester_id', '=', user.id).execute()

  const revoked = await removeAccess(tx, user, at)
  await scrubCopies(tx, user, copies)

  let ticketsRewritten = 0
  let messagesRewritten = 0
  if (deleteTexts) {
    const own = await tx.selectFrom('tickets').select('id').where('requester_id', '=', user.id).execute()
    const written = await tx
      .selectFrom('ticket_messages')
      .select(['id', 'ticket_id'])
      .where('author_id', '=', user.id)
      .execute()
    if (own.length > 0) {
      await tx
        .updateTable('tickets')
        .set({ title: DELETED_TEXT, description: DELETED_TEXT, rating_comment: null })
        .where('requester_id', '=', user.id)
        .execute()
    }
    if (written.length > 0) {
      await tx.updateTable('ticket_messages').set({ body: DELETED_TEXT }).where('author_id', '=', user.id).execute()
    }
    ticketsRewritten = own.length
    messagesRewritten = written.length
    const touched = new Set([...own.map((t) => t.id), ...written.map((m) => m.ticket_id)])
    for (const ticketId of touched) await reindexTicket(tx, ticketId)
  }
  return {
    fields,
    attachmentIds: attachments.map((a) => a.id),
    consentFiles: consentScans.length,
    answerDocuments: Number(answered.numUpdatedRows),
    files,
    ticketsRewritten,
    messagesRewritten,
    revoked,
  }
}

/** Sessions, tokens, links, codes and the bot's memory of the person go (not merely revoked). */
async function removeAccess(tx: Tx, user: User, at: string): Promise<Record<string, number>> {
  const count = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows)
  const sessions = count(await tx.deleteFrom('sessions').where('user_id', '=', user.id).executeTakeFirst())
  const tokens = count(await tx.deleteFrom('api_tokens').where('user_id', '=', user.id).executeTakeFirst())
  await tx.deleteFrom('login_links').where('user_id', '=', user.id).execute()
  await tx.deleteFrom('password_links').where('user_id', '=', user.id).execute()
  await tx.deleteFrom('telegram_links').where('user_id', '=', user.id).execute()
  await tx.deleteFrom('totp_recovery_codes').where('user_id', '=', user.id).execute()
  await tx.deleteFrom('dashboard_visits').where('user_id', '=', user.id).execute()
  await tx.deleteFrom('group_members').where('user_id', '=', user.id).execute()
  await tx.deleteFrom('idempotency_keys').where('user_id', '=', user.id).execute()
  await tx.deleteFrom('form_submissions').where('user_id', '=', user.id).execute()
  // Their own canned responses (issue 13) may be signed with their name: they go too; shared ones stay.
  await tx.deleteFrom('macros').where('owner_id', '=', user.id).execute()
  // Their personal saved views likewise (a search may name a person); the shared ones stay for everyone.
  await tx.deleteFrom('saved_views').where('owner_id', '=', user.id).where('shared', '=', 0).execute()
  // What they followed and what their bell held: which tickets a person looked after is theirs to lose too.
  await tx.deleteFrom('ticket_watchers').where('user_id', '=', user.id).execute()
  await tx.deleteFrom('web_notifications').where('user_id', '=', user.id).execute()
  if (user.login) await tx.deleteFrom('login_throttle').where('subject', '=', loginSubject(user.login)).execute()
  for (const chat of [chatOfUser(user, 'telegram'), chatOfUser(user, 'max')]) {
    if (chat === null) continue
    await tx.deleteFrom('bot_conversations').where('chat_id', '=', chat).execute()
    await tx.deleteFrom('telegram_albums').where('chat_id', '=', chat).execute()
    await tx.deleteFrom('telegram_messages').where('chat_id', '=', chat).execute()
    // Notices to their chat keep their row (history of what was sent) without the chat or the text.
    await tx
      .updateTable('outbox')
      .set({ recipient: '', payload: '{}' })
      .where('recipient', '=', chat)
      .where('status', 'in', ['sent', 'failed'])
      .execute()
    await tx
      .updateTable('outbox')
      .set({ recipient: '', payload: '{}', status: 'failed', last_error: 'subject destroyed', next_attempt_at: at })
      .where('recipient', '=', chat)
      .execute()
  }
  return { sessionsRemoved: sessions, apiTokensRemoved: tokens }
}

/**
 * Copies of the person's name, phone or login that other rows may carry as text (a notice's payload, a
 * job's payload, a ticket event's values): replaced, so that the value is nowhere in the database.
 */
async function scrubCopies(tx: Tx, user: User, values: readonly string[]): Promise<void> {
  const label = subjectLabel(user.id)
  for (const value of values) {
    const pattern = `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    const like = (column: string) => sql<boolean>`${sql.ref(column)} like ${pattern} escape '\\'`
    await tx.updateTable('outbox').set({ payload: '{}' }).where(like('payload')).execute()
    await tx
      .updateTable('jobs')
      .set({ payload: sql`replace(payload, ${value}, ${label})` })
      .where(like('payload'))
      .execute()
    for (const column of ['from_value', 'to_value', 'details'] as const) {
      await tx
        .updateTable('ticket_events')
        .set({ [column]: sql`replace(${sql.ref(column)}, ${value}, ${label})` })
        .where(like(column))
        .execute()
    }
    await tx.deleteFrom('bot_conversations').where(like('state')).execute()
  }
}

async function fileStillWanted(db: Db, sha256: string): Promise<boolean> {
  const attachment = await db.selectFrom('attachments').select('id').where('sha256', '=', sha256).executeTakeFirst()
  if (attachment) return true
  const scan = await db
    .selectFrom('consent_records')
    .select('id')
    .where('evidence_file', '=', sha256)
    .executeTakeFirst()
  return scan !== undefined
}

/** Tables that held the person's data: vacuumed on PostgreSQL after a destruction. */
const VACUUMED = [
  'users',
  'tickets',
  'ticket_messages',
  'ticket_events',
  'ticket_search',
  'attachments',
  'consent_records',
  'sessions',
  'api_tokens',
  'outbox',
  'jobs',
  'bot_conversations',
  'telegram_messages',
  'login_throttle',
  'subject_request_documents',
] as const

/**
 * Leaves no old copy behind: SQLite zeroes freed space itself (secure_delete, FTS5 secure-delete); the WAL
 * still holds old pages until a checkpoint copies them back and truncates it. PostgreSQL keeps dead row
 * versions until VACUUM, which cannot run inside a transaction.
 */
async function purgeFreedSpace(db: Db, textsDeleted: boolean): Promise<boolean> {
  if (db.isTransaction) return false
  if (dialectOf(db) === 'sqlite') {
    // FTS5 secure-delete (migration 0015) removes a rewritten ticket's old tokens; merging the whole index
    // as well leaves no old segment behind even where that option is missing. Costly on a large index, so
    // only when texts were rewritten.
    if (textsDeleted) await sql`insert into ticket_fts (ticket_fts) values ('optimize')`.execute(db)
    // A reader of another connection (a CLI command beside the server) can hold the WAL for a moment.
    for (let attempt = 0; attempt < 10; attempt++) {
      const result = await sql<{ busy: number }>`pragma wal_checkpoint(TRUNCATE)`.execute(db)
      if (Number(result.rows[0]?.busy ?? 0) === 0) return true
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    return false
  }
  for (const table of VACUUMED) await sql`vacuum ${sql.table(table)}`.execute(db)
  return true
}

/** Backup files in DATA_DIR/backups made before now: they still carry the data, until their retention ends. */
function backupsBefore(dataDir: string): string[] {
  const dir = path.join(dataDir, 'backups')
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const cutoff = Date.now()
  return names
    .filter((n) => /\.(sqlite|dump|sql|gz|zst|age|enc)$/.test(n))
    .filter((n) => {
      try {
        // A file of this very millisecond is before the act too (mtimeMs has fractions, Date.now() has not).
        return Math.floor(statSync(path.join(dir, n)).mtimeMs) <= cutoff
      } catch {
        return false
      }
    })
    .sort()
}
