import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { strFromU8, unzipSync } from 'fflate'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { storeFile } from '#src/attachments/file-store.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildConsent, buildUser } from '../../test/support/factories.ts'
import { pdfText } from '../../test/support/pdf.ts'
import { expectRefusal, journalOf, outboxOf, userRow } from '../../test/support/state.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { answerAccessRequest, downloadRequestDocument, exportSubjectData } from './export-subject-data.ts'
import { extendSubjectRequest } from './extend-subject-request.ts'
import { registerSubjectRequest } from './register-subject-request.ts'
import { remindSubjectRequests } from './remind-subject-requests.ts'
import { setSubjectRequestStatus } from './set-subject-request-status.ts'

let dataDir: string
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-subjects-'))
})
afterEach(() => rmSync(dataDir, { recursive: true, force: true }))

const base = { channel: 'letter', comment: 'Прошу сообщить, какие мои данные обрабатываются' }

describe("a person's requests", () => {
  test('an access request registered on 28.12.2026 is due on 20.01.2027, journaled with the person', async () => {
    setTestClock('2026-12-28T09:00:00Z')
    const { db } = await testDatabase()
    const { user: admin, actor } = await buildActor(db, { role: 'admin' }, 'web')
    const person = await buildUser(db)
    const request = await registerSubjectRequest(db, actor, {
      ...base,
      kind: 'access',
      subjectId: person.id,
      receivedOn: '2026-12-28',
    })
    expect(request).toMatchObject({ status: 'new', due_on: '2027-01-20', subject_id: person.id, created_by: admin.id })
    const [row] = await journalOf(db, 'subject_request.register')
    expect(row).toMatchObject({ subject_id: person.id, pdn_related: 1, object_id: String(request.id) })
    expect(row?.description).not.toContain(person.full_name)
  })

  test('a correction is due in 7 working days and cannot be extended; an access request once, by 5', async () => {
    setTestClock('2026-12-28T09:00:00Z')
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const person = await buildUser(db)
    const correction = await registerSubjectRequest(db, actor, {
      ...base,
      kind: 'correction',
      subjectId: person.id,
      receivedOn: '2026-12-28',
    })
    expect(correction.due_on).toBe('2027-01-15')
    await expectRefusal(db, 'invalid_transition', () =>
      extendSubjectRequest(db, actor, { requestId: correction.id, reason: 'Нужно время' }),
    )
    const access = await registerSubjectRequest(db, actor, {
      ...base,
      kind: 'access',
      subjectId: person.id,
      receivedOn: '2026-12-28',
    })
    await expectRefusal(db, 'validation', () => extendSubjectRequest(db, actor, { requestId: access.id, reason: ' ' }))
    const extended = await extendSubjectRequest(db, actor, {
      requestId: access.id,
      reason: 'Архивные заявки в другом корпусе',
    })
    expect(extended).toMatchObject({ due_on: '2027-01-27', extended_reason: 'Архивные заявки в другом корпусе' })
    await expectRefusal(db, 'invalid_transition', () =>
      extendSubjectRequest(db, actor, { requestId: access.id, reason: 'Ещё раз' }),
    )
  })

  test('the answer is recorded with its date; a closed request stays closed', async () => {
    setTestClock('2027-01-14T09:00:00Z')
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const person = await buildUser(db)
    const request = await registerSubjectRequest(db, actor, {
      ...base,
      kind: 'access',
      subjectId: person.id,
      receivedOn: '2027-01-12',
    })
    await setSubjectRequestStatus(db, actor, { requestId: request.id, status: 'in_progress' })
    await expectRefusal(db, 'validation', () =>
      setSubjectRequestStatus(db, actor, { requestId: request.id, status: 'answered', answer: '' }),
    )
    const answered = await setSubjectRequestStatus(db, actor, {
      requestId: request.id,
      status: 'answered',
      answer: 'Сведения направлены письмом',
      answeredOn: '2027-01-13',
    })
    expect(answered).toMatchObject({
      status: 'answered',
      answer: 'Сведения направлены письмом',
      answered_on: '2027-01-13',
    })
    await expectRefusal(db, 'invalid_transition', () =>
      setSubjectRequestStatus(db, actor, { requestId: request.id, status: 'refused', answer: 'Нет' }),
    )
  })

  test('a future receipt date, an unknown kind and an unknown person are refused', async () => {
    setTestClock('2026-12-28T09:00:00Z')
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const person = await buildUser(db)
    const input = { ...base, kind: 'access', subjectId: person.id, receivedOn: '2026-12-28' }
    await expectRefusal(db, 'validation', () =>
      registerSubjectRequest(db, actor, { ...input, receivedOn: '2026-12-29' }),
    )
    await expectRefusal(db, 'validation', () => registerSubjectRequest(db, actor, { ...input, kind: 'delete_all' }))
    await expectRefusal(db, 'not_found', () => registerSubjectRequest(db, actor, { ...input, subjectId: 999_999 }))
  })

  test.each(['curator', 'executor', 'requester'] as const)(
    'a %s may not register a request; journaled',
    async (role) => {
      const { db } = await testDatabase()
      const { actor } = await buildActor(db, { role })
      const person = await buildUser(db)
      const [denied] = await expectRefusal(db, 'forbidden', () =>
        registerSubjectRequest(db, actor, { ...base, kind: 'access', subjectId: person.id, receivedOn: '2026-01-12' }),
      )
      expect(denied).toMatchObject({ action: 'subject_request.register', result: 'denied' })
    },
  )

  test('a blocking request blocks the person at once, journaled', async () => {
    const { db } = await testDatabase()
    const { user: admin, actor } = await buildActor(db, { role: 'admin' })
    const person = await buildUser(db)
    const request = await registerSubjectRequest(db, actor, {
      ...base,
      kind: 'blocking',
      subjectId: person.id,
      receivedOn: now().slice(0, 10),
    })
    const row = await userRow(db, person.id)
    expect(row.blocked_at).not.toBeNull()
    expect(row).toMatchObject({ blocked_by: admin.id, block_reason: `Запрос субъекта № ${request.id}` })
    expect(await journalOf(db, 'user.block')).toMatchObject([{ subject_id: person.id, actor_id: admin.id }])
  })
})

describe('the reminder two working days before the deadline', () => {
  async function setup(db: Db) {
    const { actor } = await buildActor(db, { role: 'admin', telegramChatId: '700000001' })
    await buildUser(db, { role: 'admin', telegramChatId: '700000002' })
    await buildUser(db, { role: 'admin', telegramChatId: '700000003', status: 'deactivated' })
    await buildUser(db, { role: 'curator', telegramChatId: '700000004' })
    const person = await buildUser(db, { fullName: 'Журавлёва Инна Олеговна' })
    return { actor, person }
  }

  test('is sent once to every active admin, on 18.01.2027 for a deadline of 20.01.2027, without the name', async () => {
    setTestClock('2026-12-28T09:00:00Z')
    const { db } = await testDatabase()
    const { actor, person } = await setup(db)
    const request = await registerSubjectRequest(db, actor, {
      ...base,
      kind: 'access',
      subjectId: person.id,
      receivedOn: '2026-12-28',
    })

    setTestClock('2027-01-15T09:00:00Z') // Friday: three working days left
    expect(await remindSubjectRequests(db)).toBe(0)
    setTestClock('2027-01-18T06:00:00Z') // Monday: two left
    expect(await remindSubjectRequests(db)).toBe(1)
    expect(await remindSubjectRequests(db)).toBe(0)
    setTestClock('2027-01-19T06:00:00Z')
    expect(await remindSubjectRequests(db)).toBe(0)

    const sent = await outboxOf(db, 'bot_message')
    expect(sent.map((s) => s.recipient)).toEqual(['700000001', '700000002'])
    const text = (sent[0]?.payload as { message: { text: string } } | undefined)?.message.text ?? ''
    expect(text).toContain(`Запрос субъекта ПДн № ${request.id}`)
    expect(text).toContain('20.01.2027')
    expect(text).not.toContain('Журавлёва')
  })

  test('an answered request is not reminded of; an extension brings a new reminder', async () => {
    setTestClock('2026-12-28T09:00:00Z')
    const { db } = await testDatabase()
    const { actor, person } = await setup(db)
    const answered = await registerSubjectRequest(db, actor, {
      ...base,
      kind: 'access',
      subjectId: person.id,
      receivedOn: '2026-12-28',
    })
    const extended = await registerSubjectRequest(db, actor, {
      ...base,
      kind: 'access',
      subjectId: person.id,
      receivedOn: '2026-12-28',
    })
    await setSubjectRequestStatus(db, actor, { requestId: answered.id, status: 'answered', answer: 'Ответ дан' })
    setTestClock('2027-01-18T09:00:00Z')
    expect(await remindSubjectRequests(db)).toBe(1)
    await extendSubjectRequest(db, actor, { requestId: extended.id, reason: 'Запрос в архив' })
    expect(await remindSubjectRequests(db)).toBe(0)
    setTestClock('2027-01-25T09:00:00Z') // 27.01 − 2 working days
    expect(await remindSubjectRequests(db)).toBe(1)
    expect((await outboxOf(db, 'bot_message')).length).toBe(4)
  })
})

describe('the access answer', () => {
  async function personWithHistory(db: Db) {
    const person = await buildUser(db, { fullName: 'Журавлёва Инна Олеговна', phone: '+79051234567' })
    const executor = await buildUser(db, {
      role: 'executor',
      fullName: 'Колесников Аркадий Борисович',
      phone: '+79990000001',
    })
    const stranger = await buildUser(db, { fullName: 'Посторонний Пётр Петрович' })
    await buildConsent(db, person.id)
    const text = await db.selectFrom('consent_texts').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow()
    await db
      .insertInto('consent_records')
      .values({
        user_id: person.id,
        consent_text_id: text.id,
        channel: 'paper',
        status: 'given',
        evidence: JSON.stringify({ signed_on: '2026-11-30', recorded_by: 424242 }),
        created_at: now(),
        withdrawn_at: null,
      })
      .execute()
    const ticket = await buildTicket(db, {
      requesterId: person.id,
      assigneeId: executor.id,
      title: 'Не печатает принтер в ординаторской',
    })
    await buildTicket(db, { requesterId: stranger.id, title: 'Чужая заявка про сканер' })
    const at = now()
    await db
      .insertInto('ticket_messages')
      .values([
        {
          ticket_id: ticket.id,
          author_id: person.id,
          kind: 'external',
          body: 'Принтер мигает красным',
          source: 'web',
          created_at: at,
          delivery_status: null,
          telegram_message_id: null,
        },
        {
          ticket_id: ticket.id,
          author_id: executor.id,
          kind: 'external',
          body: 'Заменил картридж',
          source: 'web',
          created_at: at,
          delivery_status: null,
          telegram_message_id: null,
        },
        {
          ticket_id: ticket.id,
          author_id: executor.id,
          kind: 'internal',
          body: 'Внутренняя заметка про закупку',
          source: 'web',
          created_at: at,
          delivery_status: null,
          telegram_message_id: null,
        },
      ])
      .execute()
    const file = await storeFile(dataDir, new TextEncoder().encode('фото принтера'), {
      fileName: 'printer.txt',
      mimeType: 'text/plain',
    })
    await db
      .insertInto('attachments')
      .values({
        ticket_id: ticket.id,
        message_id: null,
        uploader_id: person.id,
        file_name: 'printer.txt',
        mime_type: 'text/plain',
        size: file.size,
        sha256: file.sha256,
        created_at: at,
      })
      .execute()
    // The executor read the ticket: the journal row names the person as the subject, the executor by id.
    const { actor: executorActor } = {
      actor: {
        id: executor.id,
        role: 'executor' as const,
        status: 'active' as const,
        channel: 'web' as const,
        ip: '10.0.0.7',
      },
    }
    const { audit } = await import('#src/audit/journal.ts')
    await audit(db, executorActor, {
      action: 'ticket.view',
      objectType: 'ticket',
      objectId: ticket.id,
      subjectId: person.id,
      pdn: true,
      description: `Просмотр заявки № ${ticket.id}`,
    })
    return { person, executor, stranger, ticket }
  }

  test('«Сформировать ответ»: a PDF in Russian and a ZIP with data.json and the files, no other person named', async () => {
    setTestClock('2027-01-12T09:00:00Z')
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin', fullName: 'Администраторова Алла Ивановна' })
    const { person, ticket } = await personWithHistory(db)
    const request = await registerSubjectRequest(db, actor, {
      ...base,
      kind: 'access',
      subjectId: person.id,
      receivedOn: '2027-01-12',
    })

    const stored = await answerAccessRequest(db, actor, { requestId: request.id, dataDir, timeZone: 'Europe/Moscow' })
    expect(stored.map((d) => d.file_name)).toEqual([
      `otvet-${request.id}-2027-01-12.pdf`,
      `dannye-${request.id}-2027-01-12.zip`,
    ])
    const [pdfId, zipId] = stored.map((d) => d.id)
    const pdf = await downloadRequestDocument(db, actor, { requestId: request.id, documentId: pdfId ?? 0 })
    const text = pdfText(pdf.content).replace(/\s+/g, ' ')
    expect(text).toContain('Сведения о персональных данных, обрабатываемых оператором')
    expect(text).toContain('Журавлёва Инна Олеговна')
    expect(text).toContain('+79051234567')
    expect(text).toContain('Не печатает принтер в ординаторской')
    expect(text).toContain('Заменил картридж')
    expect(text).toContain('Исполнитель ИТ-отдела')
    expect(text).toContain('printer.txt')
    for (const other of [
      'Колесников',
      'Администраторова',
      'Посторонний',
      '+79990000001',
      'Чужая заявка',
      'Внутренняя заметка',
      '10.0.0.7',
    ]) {
      expect(text).not.toContain(other)
    }

    const zip = await downloadRequestDocument(db, actor, { requestId: request.id, documentId: zipId ?? 0 })
    const entries = unzipSync(new Uint8Array(zip.content))
    expect(Object.keys(entries)).toEqual(['data.json', expect.stringMatching(/^files\/\d+-printer\.txt$/)])
    const json = strFromU8(entries['data.json'] ?? new Uint8Array())
    const data = JSON.parse(json)
    expect(data.profile).toMatchObject({ id: person.id, fullName: 'Журавлёва Инна Олеговна' })
    expect(data.tickets).toHaveLength(1)
    expect(data.tickets[0]).toMatchObject({ id: ticket.id })
    expect(data.tickets[0].messages.map((m: { author: string }) => m.author)).toEqual(['Вы', 'Исполнитель ИТ-отдела'])
    expect(data.consents).toHaveLength(2)
    expect(data.consents[1].evidence).toEqual({ signed_on: '2026-11-30', recorded_by: 'Администратор системы' })
    expect(json).not.toContain('424242')
    expect(data.accessLog.some((j: { who: string }) => j.who === 'Исполнитель ИТ-отдела')).toBe(true)
    for (const other of [
      'Колесников',
      'Администраторова',
      'Посторонний',
      '+79990000001',
      'Внутренняя заметка',
      '10.0.0.7',
    ]) {
      expect(json).not.toContain(other)
    }
    const fileEntry = Object.entries(entries).find(([name]) => name.startsWith('files/'))
    expect(strFromU8(fileEntry?.[1] ?? new Uint8Array())).toBe('фото принтера')

    expect(await journalOf(db, 'subject_request.answer_documents')).toMatchObject([
      { subject_id: person.id, pdn_related: 1 },
    ])
    expect(await journalOf(db, 'subject_request.document')).toHaveLength(2)
  })

  test('only an access request has an answer to make; the console export needs no request', async () => {
    const { db } = await testDatabase()
    const { actor } = await buildActor(db, { role: 'admin' })
    const { person } = await personWithHistory(db)
    const correction = await registerSubjectRequest(db, actor, {
      ...base,
      kind: 'correction',
      subjectId: person.id,
      receivedOn: now().slice(0, 10),
    })
    await expectRefusal(db, 'invalid_transition', () =>
      answerAccessRequest(db, actor, { requestId: correction.id, dataDir, timeZone: 'Europe/Moscow' }),
    )
    const documents = await exportSubjectData(db, actor, { userId: person.id, dataDir, timeZone: 'Europe/Moscow' })
    expect(pdfText(documents.pdf)).toContain('Журавлёва Инна Олеговна')
    expect(Object.keys(unzipSync(documents.zip))).toContain('data.json')
    expect(await journalOf(db, 'subject.export')).toMatchObject([{ subject_id: person.id, pdn_related: 1 }])
  })
})
