import { beforeAll, describe, expect, test, vi } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { createMacro } from '#src/macros/create-macro.ts'
import { ticketMacros } from '#src/macros/ticket-macros.ts'
import { actorFromUser } from '#src/users/actor.ts'
import { testApp } from '../../test/support/api.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildGroup, buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { getPage, inlineProblems, postForm, webUser } from '../../test/support/web.ts'

// Counted, not changed: which pages render the reply box's macros.
vi.mock('#src/macros/ticket-macros.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('#src/macros/ticket-macros.ts')>()
  return { ...original, ticketMacros: vi.fn(original.ticketMacros) }
})

let db: Db
let app: ReturnType<typeof testApp>['app']
beforeAll(async () => {
  db = (await testDatabase()).db
  app = testApp(db).app
})

async function macroTitled(title: string) {
  return db.selectFrom('macros').selectAll().where('title', '=', title).executeTakeFirst()
}

/** The attribute's value as the page has it, entities read back. */
function unescaped(html: string): string {
  return html
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&')
}

describe('/macros', () => {
  test('an executor creates a personal macro, sees it under «Личные», edits and deletes it', async () => {
    const executor = await webUser(db, { role: 'executor' })
    const form = await getPage(app, '/macros/new', executor)
    expect(form.status).toBe(200)
    expect(form.text).toContain('{{заявитель.имя}}')
    // An executor keeps only their own: no shared scopes offered.
    expect(form.text).not.toContain('Всем сотрудникам ИТ')
    expect(inlineProblems(form.text)).toEqual([])
    // Priorities in the order of every other priority list: the most urgent first.
    expect(form.text.indexOf('>Критический<')).toBeGreaterThan(0)
    expect(form.text.indexOf('>Критический<')).toBeLessThan(form.text.indexOf('>Низкий<'))

    const created = await postForm(app, '/macros', executor, {
      title: 'Уточнить модель',
      body: 'Здравствуйте, {{заявитель.имя}}! Какая модель принтера?',
      scope: 'personal',
      kind: 'external',
      set_status: 'waiting',
      set_priority: '',
    })
    expect(created.status).toBe(303)
    const macro = await macroTitled('Уточнить модель')
    expect(macro).toMatchObject({ owner_id: executor.user.id, set_status: 'waiting', set_priority: null, internal: 0 })
    expect(created.location).toBe(`/macros?done=created#macro-${macro?.id}`)

    const list = await getPage(app, created.location ?? '', executor)
    expect(list.status).toBe(200)
    expect(list.text).toContain('Шаблон создан')
    expect(list.text).toContain('также: статус → Ожидает ответа')
    expect(list.text.indexOf('Уточнить модель')).toBeGreaterThan(list.text.indexOf('Личные'))
    expect(list.text.indexOf('Уточнить модель')).toBeLessThan(list.text.indexOf('Для групп'))

    const edit = await getPage(app, `/macros/${macro?.id}/edit`, executor)
    expect(edit.status).toBe(200)
    const saved = await postForm(app, `/macros/${macro?.id}`, executor, {
      title: 'Модель принтера',
      body: 'Какая модель?',
      scope: 'personal',
      kind: 'internal',
      set_status: '',
      set_priority: 'high',
    })
    expect(saved.status).toBe(303)
    expect(await macroTitled('Модель принтера')).toMatchObject({ internal: 1, set_status: null, set_priority: 'high' })

    const deleted = await postForm(app, `/macros/${macro?.id}/delete`, executor)
    expect(deleted.location).toBe('/macros?done=deleted')
    expect((await getPage(app, '/macros', executor)).text).not.toContain('Модель принтера')
  })

  test('an unknown placeholder is refused beside the form, what was typed kept', async () => {
    const executor = await webUser(db, { role: 'executor' })
    const refused = await postForm(app, '/macros', executor, {
      title: 'С ошибкой',
      body: 'Добрый день, {{заявитель.отчество}}',
      scope: 'personal',
      kind: 'external',
    })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('Неизвестная подстановка {{заявитель.отчество}}')
    expect(refused.text).toContain('С ошибкой')
    expect(await macroTitled('С ошибкой')).toBeUndefined()
  })

  test('a curator shares a macro with a group; its members see it, an executor cannot edit it (404)', async () => {
    const curator = await webUser(db, { role: 'curator' })
    const member = await webUser(db, { role: 'executor' })
    const group = await buildGroup(db, 'Сети для шаблонов', [member.user.id])
    expect((await getPage(app, '/macros/new', curator)).text).toContain('Группе «Сети для шаблонов»')
    const created = await postForm(app, '/macros', curator, {
      title: 'Перезагрузите роутер',
      body: 'Перезагрузите роутер',
      scope: `group:${group.id}`,
      kind: 'external',
    })
    expect(created.status).toBe(303)
    const macro = await macroTitled('Перезагрузите роутер')
    expect(macro).toMatchObject({ owner_id: null, group_id: group.id })

    const seen = await getPage(app, '/macros', member)
    expect(seen.text).toContain('Перезагрузите роутер')
    expect(seen.text).not.toContain(`/macros/${macro?.id}/edit`)
    expect((await getPage(app, `/macros/${macro?.id}/edit`, member)).status).toBe(404)
    expect(
      (await postForm(app, `/macros/${macro?.id}`, member, { title: 'Моё', body: 'x', scope: 'personal' })).status,
    ).toBe(404)
    expect((await macroTitled('Перезагрузите роутер'))?.group_id).toBe(group.id)
  })

  test('a macro shared with a group disabled since is still saved from its form, a title change alone', async () => {
    const curator = await webUser(db, { role: 'curator' })
    const group = await buildGroup(db, 'Группа, отключённая после')
    const macro = await createMacro(db, actorFromUser(curator.user, 'web'), {
      title: 'Для отключённой группы',
      body: 'Текст',
      scope: 'group',
      groupId: group.id,
    })
    await db.updateTable('executor_groups').set({ active: 0 }).where('id', '=', group.id).execute()
    const edit = await getPage(app, `/macros/${macro.id}/edit`, curator)
    expect(edit.text).toMatch(new RegExp(`<option value="group:${group.id}" selected`))
    expect((await getPage(app, '/macros/new', curator)).text).not.toContain(`group:${group.id}`)
    const saved = await postForm(app, `/macros/${macro.id}`, curator, {
      title: 'Для отключённой группы, новое название',
      body: 'Текст',
      scope: `group:${group.id}`,
      kind: 'external',
      set_status: '',
      set_priority: '',
    })
    expect(saved.status).toBe(303)
    expect(await macroTitled('Для отключённой группы, новое название')).toMatchObject({ group_id: group.id })
  })

  test('a requester gets the 404 page, journaled; the navigation shows the section to staff only', async () => {
    const requester = await webUser(db)
    const page = await getPage(app, '/macros', requester)
    expect(page.status).toBe(404)
    expect(page.text).not.toContain('href="/macros"')
    const denied = await db
      .selectFrom('audit_log')
      .select('action')
      .where('actor_id', '=', requester.user.id)
      .where('result', '=', 'denied')
      .execute()
    expect(denied).toEqual([{ action: 'macro.use' }])
    const executor = await webUser(db, { role: 'executor' })
    expect((await getPage(app, '/tickets', executor)).text).toContain('href="/macros"')
  })
})

describe('the reply box of a ticket', () => {
  test('offers the staff member’s macros filled for this ticket; a requester sees none', async () => {
    const executor = await webUser(db, { role: 'executor', fullName: 'Сидоров Пётр Ильич' })
    const requester = await webUser(db, { fullName: 'Иванова Мария Петровна' })
    const ticket = await buildTicket(db, { requesterId: requester.user.id, status: 'in_progress' })
    await createMacro(db, actorFromUser(executor.user, 'web'), {
      title: 'Приветствие',
      body: 'Здравствуйте, {{заявитель.имя}}! Заявка № {{заявка.номер}}.',
      scope: 'personal',
      setStatus: 'waiting',
    })
    const page = await getPage(app, `/tickets/${ticket.id}`, executor)
    expect(page.status).toBe(200)
    expect(inlineProblems(page.text)).toEqual([])
    const text = unescaped(page.text)
    expect(text).toContain(`data-text="Здравствуйте, Мария Петровна! Заявка № ${ticket.id}."`)
    expect(text).toContain('data-also="также: статус → Ожидает ответа"')
    expect(page.text).toContain('role="listbox"')
    expect(page.text).toMatch(/src="\/static\/macros\.js\?v=/)

    const own = await getPage(app, `/tickets/${ticket.id}`, requester)
    expect(own.text).not.toContain('data-macro-pick')
    expect(own.text).not.toContain('macros.js')
  })

  test('a reply sent with a macro chosen posts the edited text and moves the status as the macro says', async () => {
    const executor = await webUser(db, { role: 'executor' })
    const requester = await buildUser(db, { fullName: 'Петрова Анна Сергеевна' })
    const ticket = await buildTicket(db, { requesterId: requester.id, status: 'in_progress' })
    const macro = await createMacro(db, actorFromUser(executor.user, 'web'), {
      title: 'Ждём ответа',
      body: 'Здравствуйте, {{заявитель.имя}}! Ждём Вашего ответа.',
      scope: 'personal',
      setStatus: 'waiting',
      setPriority: 'high',
    })
    const sent = await postForm(app, `/tickets/${ticket.id}/messages`, executor, {
      kind: 'external',
      body: 'Здравствуйте, Анна Сергеевна! Ждём Вашего ответа до обеда.',
      macro: String(macro.id),
    })
    expect(sent.status).toBe(303)
    expect(sent.location).toBe(`/tickets/${ticket.id}`)
    const after = await db.selectFrom('tickets').selectAll().where('id', '=', ticket.id).executeTakeFirstOrThrow()
    expect(after).toMatchObject({ status: 'waiting', priority: 'high' })
    const messages = await db.selectFrom('ticket_messages').select('body').where('ticket_id', '=', ticket.id).execute()
    expect(messages).toEqual([{ body: 'Здравствуйте, Анна Сергеевна! Ждём Вашего ответа до обеда.' }])

    // Without the script, an empty reply with a macro takes the macro's own text.
    const other = await buildTicket(db, { requesterId: requester.id, status: 'in_progress' })
    await postForm(app, `/tickets/${other.id}/messages`, executor, {
      kind: 'external',
      body: '',
      macro: String(macro.id),
    })
    const filled = await db.selectFrom('ticket_messages').select('body').where('ticket_id', '=', other.id).execute()
    expect(filled).toEqual([{ body: 'Здравствуйте, Анна Сергеевна! Ждём Вашего ответа.' }])
  })

  test('a macro whose status cannot be reached refuses the whole reply, the draft kept beside the error', async () => {
    const executor = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'cancelled' })
    const macro = await createMacro(db, actorFromUser(executor.user, 'web'), {
      title: 'В работу',
      body: 'Берём в работу',
      scope: 'personal',
      setStatus: 'in_progress',
    })
    const refused = await postForm(app, `/tickets/${ticket.id}/messages`, executor, {
      kind: 'external',
      body: 'Мой черновик',
      macro: String(macro.id),
    })
    expect(refused.status).toBe(422)
    expect(refused.text).toContain('Мой черновик')
    expect(refused.text).toContain('Нельзя перевести заявку')
    // The macro stays chosen: sent again, its status goes with the reply.
    expect(refused.text).toMatch(new RegExp(`<option value="${macro.id}"[^>]* selected[= >]`))
    expect(refused.text).toContain('также: статус → В работе</p>')
    expect(await db.selectFrom('ticket_messages').select('id').where('ticket_id', '=', ticket.id).execute()).toEqual([])
  })

  test('without the script, an empty reply with a note macro is posted as a note, as the macro says', async () => {
    const executor = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'in_progress' })
    const note = await createMacro(db, actorFromUser(executor.user, 'web'), {
      title: 'Заметка коллегам',
      body: 'Проверить кабель по заявке № {{заявка.номер}}',
      scope: 'personal',
      internal: true,
    })
    // The switch stands at «Ответ заявителю» as the page draws it.
    const sent = await postForm(app, `/tickets/${ticket.id}/messages`, executor, {
      kind: 'external',
      body: '',
      macro: String(note.id),
    })
    expect(sent.status).toBe(303)
    const reply = await createMacro(db, actorFromUser(executor.user, 'web'), {
      title: 'Ответ, отправленный заметкой',
      body: 'Текст ответа',
      scope: 'personal',
    })
    // A note chosen on purpose stays a note.
    await postForm(app, `/tickets/${ticket.id}/messages`, executor, {
      kind: 'internal',
      body: '',
      macro: String(reply.id),
    })
    const messages = await db
      .selectFrom('ticket_messages')
      .select(['body', 'kind'])
      .where('ticket_id', '=', ticket.id)
      .orderBy('id')
      .execute()
    expect(messages).toEqual([
      { body: `Проверить кабель по заявке № ${ticket.id}`, kind: 'internal' },
      { body: 'Текст ответа', kind: 'internal' },
    ])
  })

  test('a live update of the ticket page renders no macros: the reply box is not redrawn', async () => {
    const executor = await webUser(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'in_progress' })
    await createMacro(db, actorFromUser(executor.user, 'web'), { title: 'Любой', body: 'Текст', scope: 'personal' })
    vi.mocked(ticketMacros).mockClear()
    const live = await getPage(app, `/tickets/${ticket.id}/live`, executor)
    expect(live.status).toBe(200)
    expect(live.text).not.toContain('data-macro-pick')
    expect(ticketMacros).not.toHaveBeenCalled()
    expect((await getPage(app, `/tickets/${ticket.id}`, executor)).text).toContain('data-macro-pick')
    expect(ticketMacros).toHaveBeenCalledTimes(1)
  })
})
