import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { normalizeListQuery } from '#src/web/saved-view-query.ts'
import { testDatabase } from '../../test/support/database.ts'
import { destroyLeaver } from '../../test/support/destroy.ts'
import { buildActor } from '../../test/support/factories.ts'
import { expectRefusal, journalOf } from '../../test/support/state.ts'
import { deleteView } from './delete-view.ts'
import { listViews, openView } from './list-views.ts'
import { moveView } from './move-view.ts'
import { saveView } from './save-view.ts'
import { listVisibleViews, MAX_PERSONAL_VIEWS } from './saved-view-store.ts'
import { updateView } from './update-view.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

const query = normalizeListQuery

describe('the list query a view keeps', () => {
  test('is the list’s own writing: what the list ignores is dropped, the order and the open default are its own', () => {
    expect(normalizeListQuery('/tickets?priority=high&status=new&bogus=1&cursor=abc')).toBe('status=new&priority=high')
    // No status is the open tickets for staff: said in the view, so it stays what it was when saved.
    expect(normalizeListQuery('')).toBe('status=new&status=in_progress&status=waiting')
    expect(normalizeListQuery('?status=all&q=принтер')).toBe('status=all&q=%D0%BF%D1%80%D0%B8%D0%BD%D1%82%D0%B5%D1%80')
    expect(normalizeListQuery('category=2147483648&from=2026-02-30&assignee=none')).toBe(
      'status=new&status=in_progress&status=waiting&assignee=none',
    )
  })

  test('is a filter of the ticket list, not any address', () => {
    expect(() => normalizeListQuery('/users?role=admin')).toThrowError(/фильтр списка заявок/)
  })
})

describe('saved views', () => {
  test('an executor saves a personal view; only they see it; it is journaled', async () => {
    const { user, actor } = await buildActor(db, { role: 'executor' })
    const other = await buildActor(db, { role: 'executor' })
    const view = await saveView(db, actor, { name: '  Принтеры срочно ', query: query('priority=critical') })
    expect(view).toMatchObject({ name: 'Принтеры срочно', owner_id: user.id, shared: 0, position: 1 })
    expect(view.query).toBe('status=new&status=in_progress&status=waiting&priority=critical')
    expect((await listVisibleViews(db, actor)).map((v) => v.id)).toEqual([view.id])
    expect(await listVisibleViews(db, other.actor)).toEqual([])
    await expect(openView(db, other.actor, view.id)).rejects.toMatchObject({ code: 'not_found' })
    expect((await journalOf(db, 'saved_view.create')).at(-1)).toMatchObject({
      actor_id: user.id,
      object_type: 'saved_view',
      object_id: String(view.id),
      pdn_related: 0,
    })
    // Someone else's personal view does not exist for them, and the probe is journaled.
    expect(await journalOf(db, 'saved_view.open', 'denied')).toMatchObject([{ actor_id: other.user.id }])
  })

  test('a name is required, at most 60 characters, and unique per owner whatever its case', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    await saveView(db, actor, { name: 'Сети', query: query('') })
    await expectRefusal(db, 'validation', () => saveView(db, actor, { name: '   ', query: query('') }))
    await expectRefusal(db, 'validation', () => saveView(db, actor, { name: 'д'.repeat(61), query: query('') }))
    await expectRefusal(db, 'conflict', () => saveView(db, actor, { name: 'СЕТИ', query: query('') }))
    // Another person may use the same name for their own.
    const colleague = await buildActor(db, { role: 'executor' })
    expect((await saveView(db, colleague.actor, { name: 'Сети', query: query('') })).name).toBe('Сети')
  })

  test('an executor keeps personal views only: sharing is refused and journaled', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    await expectRefusal(db, 'forbidden', () => saveView(db, actor, { name: 'Всем', query: query(''), shared: true }))
    const own = await saveView(db, actor, { name: 'Моё', query: query('') })
    await expectRefusal(db, 'forbidden', () => updateView(db, actor, { id: own.id, shared: true }))
  })

  test('a curator shares a view: every staff member sees it, only curators and admins change it', async () => {
    const curator = await buildActor(db, { role: 'curator' })
    const executor = await buildActor(db, { role: 'executor' })
    const requester = await buildActor(db)
    const shared = await saveView(db, curator.actor, { name: 'Просрочка МИС', query: query('overdue=1'), shared: true })
    expect(shared.shared).toBe(1)
    expect((await listViews(db, executor.actor)).map((v) => v.id)).toContain(shared.id)
    expect((await openView(db, executor.actor, shared.id)).id).toBe(shared.id)
    await expectRefusal(db, 'forbidden', () => updateView(db, executor.actor, { id: shared.id, name: 'Моё' }))
    await expectRefusal(db, 'forbidden', () => deleteView(db, executor.actor, { id: shared.id }))
    // A requester keeps no views and sees none.
    await expectRefusal(db, 'forbidden', () => listViews(db, requester.actor))
    await expectRefusal(db, 'forbidden', () => saveView(db, requester.actor, { name: 'Мои', query: query('') }))
    // Another curator renames it and makes it its author's own again.
    const other = await buildActor(db, { role: 'curator' })
    const renamed = await updateView(db, other.actor, { id: shared.id, name: 'Просрочка: МИС' })
    expect(renamed.name).toBe('Просрочка: МИС')
    const personal = await updateView(db, other.actor, { id: shared.id, shared: false })
    expect(personal).toMatchObject({ shared: 0, owner_id: curator.user.id })
    expect((await listViews(db, executor.actor)).map((v) => v.id)).not.toContain(shared.id)
    expect((await journalOf(db, 'saved_view.update')).at(-1)).toMatchObject({ actor_id: other.user.id })
  })

  test('two shared views cannot share a name', async () => {
    const first = await buildActor(db, { role: 'curator' })
    const second = await buildActor(db, { role: 'admin' })
    await saveView(db, first.actor, { name: 'Общий фильтр 1С', query: query(''), shared: true })
    await expectRefusal(db, 'conflict', () =>
      saveView(db, second.actor, { name: 'общий фильтр 1с', query: query(''), shared: true }),
    )
  })

  test('views are moved up and down among their list, and deleted', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const names = async () => (await listVisibleViews(db, actor)).filter((v) => v.shared === 0).map((v) => v.name)
    const a = await saveView(db, actor, { name: 'А', query: query('') })
    const b = await saveView(db, actor, { name: 'Б', query: query('priority=high') })
    const c = await saveView(db, actor, { name: 'В', query: query('priority=low') })
    await moveView(db, actor, { id: c.id, direction: 'up' })
    expect(await names()).toEqual(['А', 'В', 'Б'])
    await moveView(db, actor, { id: a.id, direction: 'up' })
    expect(await names()).toEqual(['А', 'В', 'Б'])
    await deleteView(db, actor, { id: b.id })
    expect(await names()).toEqual(['А', 'В'])
    expect((await journalOf(db, 'saved_view.delete')).at(-1)).toMatchObject({ object_id: String(b.id) })
    await expect(deleteView(db, actor, { id: b.id })).rejects.toMatchObject({ code: 'not_found' })
  })

  test('a view’s filter is changed through the same parser', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const view = await saveView(db, actor, { name: 'Фильтр', query: query('') })
    const changed = await updateView(db, actor, { id: view.id, query: query('/tickets?status=waiting&junk=1') })
    expect(changed.query).toBe('status=waiting')
  })

  test(`a person keeps at most ${MAX_PERSONAL_VIEWS} views of their own`, async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    for (let i = 1; i <= MAX_PERSONAL_VIEWS; i++) await saveView(db, actor, { name: `Вид ${i}`, query: query('') })
    await expectRefusal(db, 'conflict', () => saveView(db, actor, { name: 'Лишний', query: query('') }))
  })

  test('a shared view made personal again joins its author’s views only while they have room', async () => {
    const { actor } = await buildActor(db, { role: 'curator' })
    const shared = await saveView(db, actor, { name: 'Общий', query: query(''), shared: true })
    const own = []
    for (let i = 1; i <= MAX_PERSONAL_VIEWS; i++)
      own.push(await saveView(db, actor, { name: `Свой ${i}`, query: query('') }))
    await expectRefusal(db, 'conflict', () => updateView(db, actor, { id: shared.id, shared: false }))
    await deleteView(db, actor, { id: own[0]?.id ?? 0 })
    const back = await updateView(db, actor, { id: shared.id, shared: false })
    expect(back.shared).toBe(0)
  })
})

describe('destroying a staff member’s data (ст. 21)', () => {
  test('removes their personal views (a search may name a person) and keeps the ones they shared', async () => {
    const { user, actor } = await buildActor(db, { role: 'curator' })
    const personal = await saveView(db, actor, { name: 'Заявки Емельяновой', query: query('q=Емельянова') })
    const shared = await saveView(db, actor, {
      name: 'Срочные для всех',
      query: query('priority=critical'),
      shared: true,
    })
    await destroyLeaver(db, user.id)
    const left = await db.selectFrom('saved_views').select('id').where('id', 'in', [personal.id, shared.id]).execute()
    expect(left.map((view) => view.id)).toEqual([shared.id])
  })
})
