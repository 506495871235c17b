import { describe, expect, test } from 'vitest'
import { testApp } from '../../test/support/api.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { pdfText } from '../../test/support/pdf.ts'
import { journalOf, userRow } from '../../test/support/state.ts'
import { getPage, inlineProblems, postForm, signIn, webUser } from '../../test/support/web.ts'

describe('«Запросы субъектов» on the web', () => {
  test('an admin registers an access request, sees the days left, makes the answer, downloads it and records it', async () => {
    setTestClock('2026-12-28T09:00:00Z')
    const { db } = await testDatabase()
    const { app } = testApp(db)
    let admin = await webUser(db, { role: 'admin' })
    const person = await buildUser(db, { fullName: 'Журавлёва Инна Олеговна' })

    const empty = await getPage(app, '/pdn/requests', admin)
    expect(empty.status).toBe(200)
    expect(empty.text).toContain('Запросов пока нет')
    expect(empty.text).toContain('Журавлёва Инна Олеговна')
    expect(inlineProblems(empty.text)).toEqual([])

    const created = await postForm(app, '/pdn/requests', admin, {
      kind: 'access',
      subject: String(person.id),
      received_on: '2026-12-28',
      channel: 'letter',
      comment: 'Прошу предоставить сведения',
    })
    expect(created.status).toBe(303)
    const [row] = await db.selectFrom('subject_requests').selectAll().execute()
    expect(created.location).toBe(`/pdn/requests/${row?.id}?done=created`)
    expect(row).toMatchObject({ kind: 'access', due_on: '2027-01-20', subject_id: person.id })

    const list = await getPage(app, '/pdn/requests', admin)
    expect(list.text).toContain('20.01.2027')
    expect(list.text).toContain('10 рабочих дней')
    setTestClock('2027-01-21T09:00:00Z')
    // Three weeks later: a new session (the old one has outlived its lifetime).
    admin = await signIn(db, admin.user)
    const late = await getPage(app, '/pdn/requests', admin)
    expect(late.text).toContain('просрочен на 1 рабочий день')
    expect(late.text).toContain('is-overdue')

    const page = await getPage(app, `/pdn/requests/${row?.id}`, admin)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Сформировать ответ')
    expect(page.text).toContain('Прошу предоставить сведения')
    expect(inlineProblems(page.text)).toEqual([])

    const made = await postForm(app, `/pdn/requests/${row?.id}/answer-documents`, admin)
    expect(made.status).toBe(303)
    const docs = await db.selectFrom('subject_request_documents').select(['id', 'file_name']).orderBy('id').execute()
    expect(docs).toHaveLength(2)
    const withDocs = await getPage(app, `/pdn/requests/${row?.id}`, admin)
    expect(withDocs.text).toContain(`/pdn/requests/${row?.id}/documents/${docs[0]?.id}`)
    const pdf = await app.request(`/pdn/requests/${row?.id}/documents/${docs[0]?.id}`, {
      headers: { cookie: admin.cookie },
    })
    expect(pdf.status).toBe(200)
    expect(pdf.headers.get('content-type')).toBe('application/pdf')
    expect(pdf.headers.get('content-disposition')).toContain('attachment')
    expect(pdfText(new Uint8Array(await pdf.arrayBuffer()))).toContain('Журавлёва Инна Олеговна')

    const answered = await postForm(app, `/pdn/requests/${row?.id}/status`, admin, {
      status: 'answered',
      answer: 'Сведения вручены лично',
      answered_on: '2027-01-21',
    })
    expect(answered.status).toBe(303)
    const done = await getPage(app, `/pdn/requests/${row?.id}`, admin)
    expect(done.text).toContain('Сведения вручены лично')
    expect(done.text).toContain('Ответ от 21.01.2027')
    expect(await journalOf(db, 'subject_request.view')).not.toHaveLength(0)
  })

  test('a refused form is shown again with the message, nothing registered', async () => {
    setTestClock('2026-12-28T09:00:00Z')
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const person = await buildUser(db)
    const refused = await postForm(app, '/pdn/requests', admin, {
      kind: 'access',
      subject: String(person.id),
      received_on: '2027-02-01',
      channel: 'letter',
      comment: 'Текст остаётся в форме',
    })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('Дата поступления не может быть позже сегодняшней')
    expect(refused.text).toContain('Текст остаётся в форме')
    expect(await db.selectFrom('subject_requests').selectAll().execute()).toEqual([])
  })

  test('a blocking request registered on the web blocks the person', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const person = await buildUser(db)
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Moscow' }).format(new Date())
    await postForm(app, '/pdn/requests', admin, {
      kind: 'blocking',
      subject: String(person.id),
      received_on: today,
      channel: 'in_person',
    })
    expect((await userRow(db, person.id)).blocked_at).not.toBeNull()
  })

  test.each(['curator', 'executor', 'requester'] as const)('a %s is told the page does not exist', async (role) => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db, { role })
    expect((await getPage(app, '/pdn/requests', who)).status).toBe(404)
  })
})
