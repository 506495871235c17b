import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, describe, expect, test } from 'vitest'
import { insertAttachments } from '#src/attachments/attach-files.ts'
import { storedFilePath, storeFile } from '#src/attachments/file-store.ts'
import { verifyJournal } from '#src/audit/journal.ts'
import { openDatabase } from '#src/db/database.ts'
import { migrateToLatest } from '#src/db/migrate.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { setSetting } from '#src/settings/settings.ts'
import { addMessage } from '#src/tickets/add-message.ts'
import { createTicket } from '#src/tickets/create-ticket.ts'
import { actorFromUser, systemActor } from '#src/users/actor.ts'
import { createSession } from '#src/users/sessions.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory, buildConsent, buildUser } from '../../test/support/factories.ts'
import { pdfText } from '../../test/support/pdf.ts'
import { DELETED_TEXT, destroySubject } from './destroy-subject.ts'
import { listDueForDestruction, queueDestruction } from './destruction-due.ts'

const folders: string[] = []
afterAll(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-destroy-'))
  folders.push(dir)
  return dir
}

const COMMISSION = [
  { name: 'Петрова Анна Сергеевна', position: 'Заместитель главного врача' },
  { name: 'Сидоров Олег Ильич', position: 'Начальник отдела ИТ' },
]
const NAME = 'Шварцкопф Евлампия Фортунатовна'
const PHONE = '+79817364529'

/** A person with a distinctive name and phone, a consent with a scan, tickets, a message, a file, a session. */
async function personWithHistory(db: Db, dir: string) {
  await setSetting(db, systemActor(), 'pdn.commission', COMMISSION)
  const person = await buildUser(db, {
    fullName: NAME,
    phone: PHONE,
    login: 'shvartskopf',
    telegramChatId: '5550001112',
    consent: false,
  })
  await db
    .updateTable('users')
    .set({ telegram_username: 'evlampia_f', email: 'shvartskopf@kgkbsmp.ru', position: 'Старшая медсестра' })
    .where('id', '=', person.id)
    .execute()
  await buildConsent(db, person.id)
  const scan = await storeFile(dir, Buffer.from(`скан согласия ${NAME}`), { fileName: 'scan.pdf' })
  await db
    .updateTable('consent_records')
    .set({ evidence_file: scan.sha256, evidence_file_name: 'scan.pdf', evidence_file_type: 'application/pdf' })
    .where('user_id', '=', person.id)
    .execute()
  const actor = actorFromUser(person, 'web')
  const category = await buildCategory(db)
  const ticket = await createTicket(db, actor, {
    title: 'Не печатает принтер мангустин',
    description: 'В кабинете не печатает принтер, замятие бумаги',
    categoryId: category.id,
  })
  const photo = await storeFile(dir, Buffer.from('фото принтера с этикеткой'), { fileName: 'printer.jpg' })
  const message = await addMessage(db, actor, { ticketId: ticket.id, body: 'Добавляю фото', internal: false })
  await insertAttachments(db, { ticketId: ticket.id, messageId: message.id, uploaderId: person.id, at: now() }, [photo])
  await createSession(db, person.id, { ip: '10.0.0.5', userAgent: 'test' })
  // An access answer given earlier carries a copy of the data.
  const request = await db
    .insertInto('subject_requests')
    .values({
      kind: 'access',
      channel: 'letter',
      subject_id: person.id,
      received_on: '2026-11-02',
      comment: null,
      status: 'answered',
      due_on: '2026-11-16',
      extended_reason: null,
      answer: null,
      answered_on: '2026-11-10',
      reminded_at: null,
      created_by: null,
      created_at: now(),
      updated_at: now(),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  await db
    .insertInto('subject_request_documents')
    .values({
      request_id: request.id,
      file_name: 'answer.json',
      mime_type: 'application/json',
      content: Buffer.from(JSON.stringify({ fullName: NAME, phone: PHONE })),
      sha256: '0'.repeat(64),
      created_by: null,
      created_at: now(),
    })
    .execute()
  const admin = await buildUser(db, { role: 'admin' })
  return { person, ticket, scan, photo, admin: actorFromUser(admin, 'web') }
}

describe('destroying a person’s data', () => {
  test('erases the identifying fields, files, sessions and consent evidence; tickets stay; the act is made; the journal verifies', async () => {
    const { db, dialect } = await testDatabase()
    const dir = dataDir()
    const { person, ticket, scan, photo, admin } = await personWithHistory(db, dir)
    mkdirSync(path.join(dir, 'backups'))
    writeFileSync(path.join(dir, 'backups', 'helpdesk-20261101-030000.sqlite'), 'old backup')

    const result = await destroySubject(
      db,
      admin,
      { dataDir: dir, tzDisplay: 'Europe/Moscow' },
      {
        userId: person.id,
        reason: 'Отзыв согласия на обработку персональных данных',
        commission: COMMISSION,
        deleteTexts: false,
      },
    )

    const user = await db.selectFrom('users').selectAll().where('id', '=', person.id).executeTakeFirstOrThrow()
    expect(user).toMatchObject({
      full_name: `Субъект № ${person.id}`,
      phone: null,
      login: null,
      position: null,
      room: null,
      telegram_chat_id: null,
      telegram_username: null,
      email: null,
      status: 'deactivated',
    })
    expect(user.pseudonymised_at).not.toBeNull()
    const kept = await db.selectFrom('tickets').selectAll().where('id', '=', ticket.id).executeTakeFirstOrThrow()
    expect(kept).toMatchObject({ requester_id: person.id, title: 'Не печатает принтер мангустин', location: null })
    expect(await db.selectFrom('attachments').select('id').where('uploader_id', '=', person.id).execute()).toEqual([])
    expect(existsSync(storedFilePath(dir, photo.sha256))).toBe(false)
    expect(existsSync(storedFilePath(dir, scan.sha256))).toBe(false)
    expect(result.filesRemoved).toBe(2)
    expect(await db.selectFrom('sessions').select('id').where('user_id', '=', person.id).execute()).toEqual([])
    const consents = await db.selectFrom('consent_records').selectAll().where('user_id', '=', person.id).execute()
    expect(consents.map((c) => [c.evidence, c.evidence_file])).toEqual([[null, null]])
    const documents = await db.selectFrom('subject_request_documents').select(['content', 'sha256']).execute()
    expect(documents.map((d) => [d.content.length, d.sha256])).toEqual([[0, '0'.repeat(64)]])

    const act = await db
      .selectFrom('destruction_acts')
      .selectAll()
      .where('id', '=', result.actId)
      .executeTakeFirstOrThrow()
    const actText = pdfText(act.act_pdf)
    expect(actText).toContain(`Акт № ${result.actId} об уничтожении персональных данных`)
    expect(actText).toContain(`Субъект № ${person.id}`)
    expect(actText).toContain('Петрова Анна Сергеевна')
    expect(actText).toContain('номер телефона')
    expect(actText).toContain('Обезличивание путём удаления идентифицирующих данных')
    expect(actText).toContain('Отзыв согласия на обработку персональных данных')
    expect(actText).toContain('helpdesk-20261101-030000.sqlite')
    expect(actText).not.toContain('Шварцкопф')
    const extract = pdfText(act.extract_pdf)
    const rows = await db.selectFrom('audit_log').selectAll().where('action', '=', 'pdn.destroy').execute()
    expect(rows).toHaveLength(1)
    expect(extract).toContain(`Выгрузка из журнала регистрации событий к акту № ${result.actId}`)
    expect(extract).toContain('pdn.destroy')
    expect(JSON.parse(act.audit_ids)).toEqual([Number(rows[0]?.id)])
    expect(await verifyJournal(db)).toMatchObject({ ok: true })
    expect(await listDueForDestruction(db)).toEqual([])
    if (dialect === 'postgres') {
      // The dead row versions went with VACUUM, outside the transaction.
      const vacuumed = await sql<{ relname: string }>`select relname from pg_stat_user_tables
        where relname in ('users', 'consent_records') and last_vacuum is not null`.execute(db)
      expect(vacuumed.rows.map((r) => r.relname).sort()).toEqual(['consent_records', 'users'])
    }
  })

  test('with «удалить тексты обращений» their titles, texts and the search index lose the words', async () => {
    const { db, dialect } = await testDatabase()
    const dir = dataDir()
    const { person, ticket, admin } = await personWithHistory(db, dir)
    await destroySubject(
      db,
      admin,
      { dataDir: dir, tzDisplay: 'Europe/Moscow' },
      {
        userId: person.id,
        reason: 'Требование субъекта',
        commission: COMMISSION.slice(0, 1),
        deleteTexts: true,
      },
    )
    const kept = await db.selectFrom('tickets').selectAll().where('id', '=', ticket.id).executeTakeFirstOrThrow()
    expect(kept.title).toBe(DELETED_TEXT)
    const bodies = await db.selectFrom('ticket_messages').select('body').where('author_id', '=', person.id).execute()
    expect(bodies.map((b) => b.body)).toEqual([DELETED_TEXT])
    const indexed =
      dialect === 'postgres'
        ? await sql<{
            n: number
          }>`select count(*) as n from ticket_search where public_text like ${'%мангустин%'}`.execute(db)
        : await sql<{ n: number }>`select count(*) as n from ticket_fts where ticket_fts match ${'мангустин'}`.execute(
            db,
          )
    expect(Number(indexed.rows[0]?.n)).toBe(0)
    expect(await verifyJournal(db)).toMatchObject({ ok: true })
  })

  test('a curator is refused and the refusal is journaled; a second destruction is refused', async () => {
    const { db } = await testDatabase()
    const dir = dataDir()
    const { person, admin } = await personWithHistory(db, dir)
    const curator = actorFromUser(await buildUser(db, { role: 'curator' }), 'web')
    const input = { userId: person.id, reason: 'Причина', commission: COMMISSION, deleteTexts: false }
    const config = { dataDir: dir, tzDisplay: 'Europe/Moscow' }
    await expect(destroySubject(db, curator, config, input)).rejects.toMatchObject({ code: 'forbidden' })
    const denied = await db.selectFrom('audit_log').selectAll().where('action', '=', 'pdn.destroy').execute()
    expect(denied.map((r) => r.result)).toEqual(['denied'])
    await expect(
      destroySubject(db, admin, config, { ...input, commission: [{ name: 'Чужой', position: 'Никто' }] }),
    ).rejects.toMatchObject({ code: 'validation' })
    await destroySubject(db, admin, config, input)
    await expect(destroySubject(db, admin, config, input)).rejects.toMatchObject({ code: 'conflict' })
  })

  test('a queued request appears on the list and is done with the act', async () => {
    const { db } = await testDatabase()
    const dir = dataDir()
    const { person, admin } = await personWithHistory(db, dir)
    await db
      .transaction()
      .execute((tx) => queueDestruction(tx, admin, { userId: person.id, reason: 'Запрос субъекта № 7' }))
    const due = await listDueForDestruction(db)
    expect(due.map((d) => [d.userId, d.reasons.map((r) => [r.reason, r.note])])).toEqual([
      [person.id, [['request', 'Запрос субъекта № 7']]],
    ])
    const { actId } = await destroySubject(
      db,
      admin,
      { dataDir: dir, tzDisplay: 'Europe/Moscow' },
      {
        userId: person.id,
        reason: 'Требование субъекта об уничтожении',
        commission: COMMISSION,
        deleteTexts: false,
      },
    )
    const queue = await db.selectFrom('destruction_queue').selectAll().execute()
    expect(queue.map((q) => q.act_id)).toEqual([actId])
    expect(await listDueForDestruction(db)).toEqual([])
  })
})

describe('nothing of the destroyed person remains on disk (SQLite file, WAL, files folder)', () => {
  test.each([
    { deleteTexts: false, words: [NAME, PHONE] },
    // With the texts, a word only their ticket had goes from the table and the FTS5 index too.
    { deleteTexts: true, words: [NAME, PHONE, 'мангустин'] },
  ])(
    'neither the name nor the phone appears in the database file, its -wal or the files (texts deleted: $deleteTexts)',
    async ({ deleteTexts, words }) => {
      const dir = dataDir()
      const file = path.join(dir, 'helpdesk.sqlite')
      const db = openDatabase({ kind: 'sqlite', file })
      try {
        await migrateToLatest(db)
        const { person, admin } = await personWithHistory(db, dir)
        // The name travels where notices and dialogues keep text: it must go from there too.
        await db
          .insertInto('bot_conversations')
          .values({
            chat_id: '5550001112',
            state: JSON.stringify({ name: NAME }),
            expires_at: now(),
            updated_at: now(),
          })
          .execute()
        await db
          .insertInto('outbox')
          .values({
            channel: 'telegram',
            recipient: '777000111',
            kind: 'bot_message',
            payload: JSON.stringify({ text: `Новая регистрация: ${NAME}, ${PHONE}` }),
            status: 'sent',
            next_attempt_at: now(),
            last_error: null,
            ticket_id: null,
            message_id: null,
            created_at: now(),
            sent_at: now(),
            telegram_message_id: null,
          })
          .execute()
        const needles = words.map((w) => Buffer.from(w, 'utf8'))
        const before = Buffer.concat([readFileSync(file), readFileSync(`${file}-wal`)])
        for (const needle of needles) expect(before.includes(needle)).toBe(true)

        await destroySubject(
          db,
          admin,
          { dataDir: dir, tzDisplay: 'Europe/Moscow' },
          {
            userId: person.id,
            reason: 'Отзыв согласия',
            commission: COMMISSION,
            deleteTexts,
          },
        )

        const main = readFileSync(file)
        const wal = existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`) : Buffer.alloc(0)
        for (const needle of needles) {
          expect(main.includes(needle)).toBe(false)
          expect(wal.includes(needle)).toBe(false)
        }
        for (const f of filesUnder(path.join(dir, 'files'))) {
          const bytes = readFileSync(f)
          for (const needle of needles) expect(bytes.includes(needle)).toBe(false)
        }
        expect(await verifyJournal(db)).toMatchObject({ ok: true })
      } finally {
        await db.destroy()
      }
    },
  )
})

function filesUnder(root: string): string[] {
  if (!existsSync(root)) return []
  return (readdirSync(root, { recursive: true }) as string[])
    .map((f) => path.join(root, f))
    .filter((f) => statSync(f).isFile())
}
