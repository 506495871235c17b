import { describe, expect, test } from 'vitest'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildCategory } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { getPage, postForm, webUser } from '../../test/support/web.ts'
import { ONCE_FIELD, onceToken } from './once-form.ts'

/** The once-token a page put in its form (`OnceField`). */
function tokenIn(html: string): string {
  const token = new RegExp(`name="${ONCE_FIELD}" value="([0-9a-f-]{36})"`).exec(html)?.[1]
  if (!token) throw new Error('the form has no once-token')
  return token
}

describe('a creating form is sent once (issue 13: a double click filed two tickets)', () => {
  test('«Отправить заявку» twice at once, and once more later: one ticket, every answer leads to it', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const who = await webUser(db)
    const category = await buildCategory(db)
    const page = await getPage(app, '/tickets/new', who)
    const fields = {
      description: 'Не печатает принтер',
      category: String(category.id),
      [ONCE_FIELD]: tokenIn(page.text),
    }
    const [first, second] = await Promise.all([
      postForm(app, '/tickets/new', who, fields),
      postForm(app, '/tickets/new', who, fields),
    ])
    const later = await postForm(app, '/tickets/new', who, fields)
    const tickets = await db.selectFrom('tickets').select('id').execute()
    expect(tickets).toHaveLength(1)
    for (const answer of [first, second, later]) {
      expect(answer.status).toBe(303)
      expect(answer.location).toBe(`/tickets/${tickets[0]?.id}`)
    }
    // A new page is a new form: another ticket.
    const next = await getPage(app, '/tickets/new', who)
    await postForm(app, '/tickets/new', who, { ...fields, [ONCE_FIELD]: tokenIn(next.text) })
    expect(await db.selectFrom('tickets').select('id').execute()).toHaveLength(2)
  })

  test('a reply sent twice is one message; a refused form may be corrected and sent with its token', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const executor = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db)
    const token = tokenIn((await getPage(app, `/tickets/${ticket.id}`, executor)).text)
    const empty = await postForm(app, `/tickets/${ticket.id}/messages`, executor, { body: '', [ONCE_FIELD]: token })
    expect(empty.status).toBe(422)
    const reply = { body: 'Картридж заменён', kind: 'external', [ONCE_FIELD]: token }
    const answers = await Promise.all(
      [1, 2, 3].map(() => postForm(app, `/tickets/${ticket.id}/messages`, executor, reply)),
    )
    expect(answers.map((a) => a.status)).toEqual([303, 303, 303])
    const messages = await db.selectFrom('ticket_messages').select('body').where('ticket_id', '=', ticket.id).execute()
    expect(messages).toEqual([{ body: 'Картридж заменён' }])
  })

  test('a department created twice by a double click is one department; a token is its sender’s alone', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const curator = await webUser(db, { role: 'curator' })
    const other = await webUser(db, { role: 'curator' })
    const token = onceToken()
    const form = { name: 'Эндоскопия', [ONCE_FIELD]: token }
    const answers = await Promise.all([
      postForm(app, '/departments', curator, form),
      postForm(app, '/departments', curator, form),
    ])
    expect(answers.map((a) => a.status)).toEqual([303, 303])
    expect(await db.selectFrom('departments').select('name').where('name', '=', 'Эндоскопия').execute()).toHaveLength(1)
    // The same token from someone else is their own form: it is not answered with the first one's result.
    const theirs = await postForm(app, '/departments', other, { name: 'Эндоскопия 2', [ONCE_FIELD]: token })
    expect(theirs.status).toBe(303)
    expect(await db.selectFrom('departments').select('name').where('name', '=', 'Эндоскопия 2').execute()).toHaveLength(
      1,
    )
  })
})
