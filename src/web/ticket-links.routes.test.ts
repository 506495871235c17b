import { describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { mergeTicket } from '#src/tickets/merge-ticket.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { testApp } from '../../test/support/api.ts'
import { clockAt } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildUser } from '../../test/support/factories.ts'
import { journalOf } from '../../test/support/state.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { getPage, inlineProblems, postForm, signIn, webUser } from '../../test/support/web.ts'

async function ticketRow(db: Db, id: number) {
  return db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

/** The text of the «Связанные заявки» block of a ticket page. */
function linksBlock(html: string): string {
  const start = html.indexOf('id="ticket-links"')
  expect(start, 'the page has the links block').toBeGreaterThan(-1)
  return html.slice(start, html.indexOf('</section>', start))
}

async function world() {
  const { db } = await testDatabase()
  const { app } = testApp(db)
  const who = await webUser(db, { role: 'executor' })
  const requester = await buildUser(db, { fullName: 'Иванова Мария' })
  const duplicate = await buildTicket(db, { requesterId: requester.id, title: 'Принтер снова не печатает' })
  const survivor = await buildTicket(db, { requesterId: requester.id, title: 'Не печатает принтер' })
  return { db, app, who, requester, duplicate, survivor }
}

describe('the ticket page’s links', () => {
  test('staff link a related ticket and see it with its status; the link can be removed', async () => {
    const { db, app, who, duplicate, survivor } = await world()
    const empty = await getPage(app, `/tickets/${survivor.id}`, who)
    expect(linksBlock(empty.text)).toContain('Связей нет.')
    expect(inlineProblems(empty.text)).toEqual([])

    const linked = await postForm(app, `/tickets/${survivor.id}/links`, who, {
      other: `№ ${duplicate.id}`,
      kind: 'child',
    })
    expect(linked.status).toBe(303)
    expect(linked.location).toBe(`/tickets/${survivor.id}`)
    const page = await getPage(app, `/tickets/${survivor.id}`, who)
    const block = linksBlock(page.text)
    expect(block).toContain('дочерняя')
    expect(block).toContain(`href="/tickets/${duplicate.id}"`)
    expect(block).toContain('Принтер снова не печатает')
    expect(block).toContain('Новая')
    expect(page.text).toContain(`добавил(а) дочернюю заявку № ${duplicate.id}`)
    const other = await getPage(app, `/tickets/${duplicate.id}`, who)
    expect(linksBlock(other.text)).toContain('родительская')

    const [link] = await db.selectFrom('ticket_links').select('id').execute()
    const removed = await postForm(app, `/tickets/${survivor.id}/links/${link?.id}/delete`, who)
    expect(removed.status).toBe(303)
    expect(linksBlock((await getPage(app, `/tickets/${survivor.id}`, who)).text)).toContain('Связей нет.')
  })

  test('a refusal shows beside the block (422): no number, the ticket itself, a number that does not exist', async () => {
    const { app, who, survivor } = await world()
    for (const [fields, message] of [
      [{ other: '', kind: 'related' }, 'Укажите номер заявки'],
      [{ other: String(survivor.id), kind: 'related' }, 'Заявку нельзя связать саму с собой'],
      [{ other: '99999999', kind: 'related' }, 'Заявки № 99999999 нет'],
    ] as const) {
      const refused = await postForm(app, `/tickets/${survivor.id}/links`, who, fields)
      expect(refused.status).toBe(422)
      expect(linksBlock(refused.text)).toContain(message)
    }
  })

  test('marked as a duplicate: closed, its text on the other ticket «из заявки», undone from the page', async () => {
    const { db, app, who, duplicate, survivor } = await world()
    const page = await getPage(app, `/tickets/${duplicate.id}`, who)
    expect(page.text).toContain('Это дубликат другой заявки…')
    expect(page.text).toContain(`action="/tickets/${duplicate.id}/merge"`)

    const merged = await postForm(app, `/tickets/${duplicate.id}/merge`, who, { into: String(survivor.id) })
    expect(merged.status).toBe(303)
    expect(await ticketRow(db, duplicate.id)).toMatchObject({ status: 'closed', merged_into_id: survivor.id })
    const closed = await getPage(app, `/tickets/${duplicate.id}`, who)
    expect(linksBlock(closed.text)).toContain('Заявка объединена с заявкой')
    expect(closed.text).not.toContain('Это дубликат другой заявки…')
    expect(closed.text).toContain(`объединил(а) с заявкой № ${survivor.id}: эта заявка — дубликат`)

    const kept = await getPage(app, `/tickets/${survivor.id}`, who)
    expect(kept.text).toContain(`из заявки № ${duplicate.id}`)
    expect(kept.text).toContain(duplicate.description)
    expect(kept.text).toContain(`присоединил(а) заявку № ${duplicate.id} как дубликат`)
    expect(linksBlock(kept.text)).toContain(`action="/tickets/${duplicate.id}/unmerge"`)

    const undone = await postForm(app, `/tickets/${duplicate.id}/unmerge`, who, { back: String(survivor.id) })
    expect(undone.status).toBe(303)
    expect(undone.location).toBe(`/tickets/${survivor.id}`)
    expect(await ticketRow(db, duplicate.id)).toMatchObject({ status: 'new', merged_into_id: null })
    expect((await getPage(app, `/tickets/${survivor.id}`, who)).text).not.toContain(`из заявки № ${duplicate.id}`)
  })

  test('a merge refused (another requester’s ticket) shows beside the block; a requester has no forms', async () => {
    const { db, app, who, requester, duplicate } = await world()
    const foreign = await buildTicket(db)
    const refused = await postForm(app, `/tickets/${duplicate.id}/merge`, who, { into: String(foreign.id) })
    expect(refused.status).toBe(422)
    expect(linksBlock(refused.text)).toContain('Объединить можно только заявки одного заявителя')
    expect((await ticketRow(db, duplicate.id)).status).toBe('new')

    const own = await getPage(app, `/tickets/${duplicate.id}`, await webUserFor(db, requester.id))
    expect(own.status).toBe(200)
    expect(own.text).not.toContain('id="ticket-links"')
  })

  test('the journal offers «Отменить объединение» for a day, and the undo returns to the journal', async () => {
    clockAt(0)
    const { db, app, duplicate, survivor } = await world()
    const admin = await webUser(db, { role: 'admin' })
    await mergeTicket(db, actorFromUser(admin.user, 'web'), { ticketId: duplicate.id, intoId: survivor.id })
    const journal = await getPage(app, '/audit?action=ticket.merge', admin)
    expect(journal.status).toBe(200)
    expect(journal.text).toContain(`action="/tickets/${duplicate.id}/unmerge"`)
    expect(journal.text).toContain('Отменить объединение')
    expect(inlineProblems(journal.text)).toEqual([])

    const undone = await postForm(app, `/tickets/${duplicate.id}/unmerge`, admin, { back: 'audit' })
    expect(undone.status).toBe(303)
    expect(undone.location).toBe('/audit')
    expect(await journalOf(db, 'ticket.unmerge')).toMatchObject([{ actor_id: admin.user.id, channel: 'web' }])
    expect((await getPage(app, '/audit?action=ticket.merge', admin)).text).not.toContain(
      `action="/tickets/${duplicate.id}/unmerge"`,
    )
  })

  test('past the day the journal offers no undo, and the undo is refused beside the links', async () => {
    clockAt(0)
    const { db, app, duplicate, survivor } = await world()
    const merger = await buildUser(db, { role: 'admin' })
    await mergeTicket(db, actorFromUser(merger, 'web'), { ticketId: duplicate.id, intoId: survivor.id })
    clockAt(25 * 3_600_000)
    const admin = await webUser(db, { role: 'admin' })
    const journal = await getPage(app, '/audit?action=ticket.merge', admin)
    expect(journal.text).toContain('ticket.merge')
    expect(journal.text).not.toContain(`action="/tickets/${duplicate.id}/unmerge"`)
    const refused = await postForm(app, `/tickets/${duplicate.id}/unmerge`, admin, { back: 'audit' })
    expect(refused.status).toBe(422)
    expect(linksBlock(refused.text)).toContain('Объединение можно отменить только в течение 24 часов')
  })
})

async function webUserFor(db: Db, userId: number) {
  return signIn(db, await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow())
}
