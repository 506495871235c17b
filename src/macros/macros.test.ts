import { beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { destroyLeaver } from '../../test/support/destroy.ts'
import { buildActor, buildGroup, buildUser } from '../../test/support/factories.ts'
import { buildTicket, ticketTrail, withoutDenials } from '../../test/support/ticket-factory.ts'
import { applyMacro } from './apply-macro.ts'
import { archiveMacro } from './archive-macro.ts'
import { createMacro } from './create-macro.ts'
import { listMacros } from './list-macros.ts'
import { checkMacroBody, greetingName, renderMacro } from './macro-rules.ts'
import { previewMacro } from './preview-macro.ts'
import { ticketMacros } from './ticket-macros.ts'
import { updateMacro } from './update-macro.ts'
import { viewMacro } from './view-macro.ts'

let db: Db
beforeAll(async () => {
  db = (await testDatabase()).db
})

async function deniedMacroRows(macroId: number | null) {
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .where('result', '=', 'denied')
    .where('object_type', '=', 'macro')
    .orderBy('id')
    .execute()
  return rows.filter((row) => macroId === null || row.object_id === String(macroId))
}

describe('placeholders', () => {
  test('a greeting takes the name and patronymic of a ФИО written surname first', () => {
    expect(greetingName('Иванова Мария Петровна')).toBe('Мария Петровна')
    expect(greetingName('  Петров   Олег ')).toBe('Олег')
    expect(greetingName('Администратор')).toBe('Администратор')
  })

  test('the text is filled for the ticket, its requester and the staff member', () => {
    const text = renderMacro(
      'Здравствуйте, {{заявитель.имя}}! По заявке № {{ заявка.номер }} («{{заявка.тема}}»): {{заявитель.фио}}. — {{исполнитель.имя}} ({{исполнитель.фио}})',
      {
        ticket: { id: 128, title: 'Не печатает принтер' },
        requester: { full_name: 'Иванова Мария Петровна', hidden: false },
        staff: { full_name: 'Сидоров Пётр Ильич' },
      },
    )
    expect(text).toBe(
      'Здравствуйте, Мария Петровна! По заявке № 128 («Не печатает принтер»): Иванова Мария Петровна. — Пётр Ильич (Сидоров Пётр Ильич)',
    )
  })

  test('a blocked or destroyed requester is not named in a message', () => {
    const text = renderMacro('Здравствуйте, {{заявитель.имя}} ({{заявитель.фио}})!', {
      ticket: { id: 1, title: 'Тема' },
      requester: { full_name: 'Данные заблокированы', hidden: true },
      staff: { full_name: 'Сидоров Пётр' },
    })
    expect(text).toBe('Здравствуйте, коллега (коллега)!')
  })

  test('an unknown or unclosed placeholder is refused in Russian, naming the ones there are', () => {
    expect(() => checkMacroBody('Здравствуйте, {{заявитель.отчество}}!')).toThrow(
      /Неизвестная подстановка \{\{заявитель\.отчество\}\}.*\{\{заявитель\.имя\}\}/,
    )
    expect(() => checkMacroBody('Здравствуйте, {{заявитель.имя}!')).toThrow(/Подстановка не закрыта/)
    expect(() => checkMacroBody('   ')).toThrow(/Текст шаблона/)
    expect(checkMacroBody('  {{ заявка.номер }}  ')).toBe('{{ заявка.номер }}')
  })
})

describe('who sees and edits macros', () => {
  test("a personal macro is its owner's alone: invisible to a colleague, an admin included, and the probe journaled", async () => {
    const owner = await buildActor(db, { role: 'executor' })
    const colleague = await buildActor(db, { role: 'executor' })
    const admin = await buildActor(db, { role: 'admin' })
    const macro = await createMacro(db, owner.actor, { title: 'Мой привет', body: 'Привет', scope: 'personal' })
    expect(macro).toMatchObject({ owner_id: owner.user.id, group_id: null })

    expect((await listMacros(db, owner.actor)).map((m) => m.id)).toContain(macro.id)
    for (const other of [colleague, admin]) {
      expect((await listMacros(db, other.actor)).map((m) => m.id)).not.toContain(macro.id)
      await expect(viewMacro(db, other.actor, { id: macro.id })).rejects.toMatchObject({ code: 'not_found' })
      await expect(updateMacro(db, other.actor, { id: macro.id, title: 'Чужое' })).rejects.toMatchObject({
        code: 'not_found',
      })
    }
    const denied = await deniedMacroRows(macro.id)
    expect(denied.map((row) => row.action)).toEqual(['macro.view', 'macro.update', 'macro.view', 'macro.update'])
    expect((await viewMacro(db, owner.actor, { id: macro.id })).title).toBe('Мой привет')
  })

  test("a group's macro is seen by the group's members only; curators keep it; an executor may not change it", async () => {
    const member = await buildActor(db, { role: 'executor' })
    const outsider = await buildActor(db, { role: 'executor' })
    const curator = await buildActor(db, { role: 'curator' })
    const group = await buildGroup(db, undefined, [member.user.id])
    const macro = await createMacro(db, curator.actor, {
      title: 'Сети: перезагрузите роутер',
      body: 'Перезагрузите роутер',
      scope: 'group',
      groupId: group.id,
    })
    expect(macro).toMatchObject({ owner_id: null, group_id: group.id, group_name: group.name })

    expect((await listMacros(db, member.actor)).map((m) => m.id)).toContain(macro.id)
    expect((await listMacros(db, outsider.actor)).map((m) => m.id)).not.toContain(macro.id)
    expect((await listMacros(db, curator.actor)).map((m) => m.id)).toContain(macro.id)
    await expect(viewMacro(db, outsider.actor, { id: macro.id })).rejects.toMatchObject({ code: 'not_found' })

    await expect(updateMacro(db, member.actor, { id: macro.id, title: 'Моё' })).rejects.toMatchObject({
      code: 'forbidden',
    })
    await expect(archiveMacro(db, member.actor, { id: macro.id })).rejects.toMatchObject({ code: 'forbidden' })
    expect((await viewMacro(db, member.actor, { id: macro.id })).title).toBe('Сети: перезагрузите роутер')
    expect((await deniedMacroRows(macro.id)).map((row) => row.action)).toEqual([
      'macro.view',
      'macro.update',
      'macro.delete',
    ])

    const renamed = await updateMacro(db, curator.actor, { id: macro.id, title: 'Сети: роутер' })
    expect(renamed.title).toBe('Сети: роутер')
  })

  test('only curators and admins create shared macros; a requester may not use macros at all', async () => {
    const executor = await buildActor(db, { role: 'executor' })
    const requester = await buildActor(db)
    const before = (await deniedMacroRows(null)).length
    await expect(
      createMacro(db, executor.actor, { title: 'Для всех', body: 'Текст', scope: 'global' }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    await expect(listMacros(db, requester.actor)).rejects.toMatchObject({ code: 'forbidden' })
    await expect(
      createMacro(db, requester.actor, { title: 'Моё', body: 'Текст', scope: 'personal' }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    expect((await deniedMacroRows(null)).length).toBe(before + 3)
    expect(await db.selectFrom('macros').select('id').where('title', '=', 'Для всех').execute()).toEqual([])

    const admin = await buildActor(db, { role: 'admin' })
    const global = await createMacro(db, admin.actor, { title: 'Для всех', body: 'Текст', scope: 'global' })
    expect((await listMacros(db, executor.actor)).map((m) => m.id)).toContain(global.id)
  })

  test('saving refuses an unknown placeholder, a missing group, and a resolving internal note', async () => {
    const curator = await buildActor(db, { role: 'curator' })
    await expect(
      createMacro(db, curator.actor, { title: 'Плохой', body: 'Добрый день, {{имя}}', scope: 'personal' }),
    ).rejects.toMatchObject({
      code: 'validation',
      message: expect.stringMatching(/Неизвестная подстановка \{\{имя\}\}/),
    })
    await expect(
      createMacro(db, curator.actor, { title: 'Без группы', body: 'Текст', scope: 'group' }),
    ).rejects.toMatchObject({ code: 'validation', message: 'Выберите группу исполнителей' })
    await expect(
      createMacro(db, curator.actor, {
        title: 'Решено',
        body: 'Готово',
        scope: 'personal',
        internal: true,
        setStatus: 'resolved',
      }),
    ).rejects.toMatchObject({ code: 'validation' })
    const macro = await createMacro(db, curator.actor, { title: 'Хороший', body: 'Текст', scope: 'personal' })
    await expect(updateMacro(db, curator.actor, { id: macro.id, body: '{{заявка.статус}}' })).rejects.toMatchObject({
      code: 'validation',
    })
    expect((await viewMacro(db, curator.actor, { id: macro.id })).body).toBe('Текст')
  })

  test('a macro shared with a group disabled since keeps it through other changes; moving to such a group is refused', async () => {
    const curator = await buildActor(db, { role: 'curator' })
    const group = await buildGroup(db, 'Отключаемая группа')
    const macro = await createMacro(db, curator.actor, {
      title: 'Группе',
      body: 'Текст',
      scope: 'group',
      groupId: group.id,
    })
    await db.updateTable('executor_groups').set({ active: 0 }).where('id', '=', group.id).execute()
    // As the web form sends it: the scope and the group as they are, with a new title.
    const renamed = await updateMacro(db, curator.actor, {
      id: macro.id,
      title: 'Группе, переименован',
      scope: 'group',
      groupId: group.id,
    })
    expect(renamed).toMatchObject({ title: 'Группе, переименован', group_id: group.id, owner_id: null })

    const other = await createMacro(db, curator.actor, { title: 'Всем', body: 'Текст', scope: 'global' })
    await expect(
      updateMacro(db, curator.actor, { id: other.id, scope: 'group', groupId: group.id }),
    ).rejects.toMatchObject({ code: 'validation', message: 'Группа отключена' })
    const active = await buildGroup(db)
    await expect(
      updateMacro(db, curator.actor, { id: macro.id, scope: 'group', groupId: active.id }),
    ).resolves.toMatchObject({ group_id: active.id })
    // Back to the disabled group is a change of group: refused.
    await expect(
      updateMacro(db, curator.actor, { id: macro.id, scope: 'group', groupId: group.id }),
    ).rejects.toMatchObject({ code: 'validation', message: 'Группа отключена' })
  })

  test('a removed macro is listed no more and cannot be used; the removal is journaled', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const macro = await createMacro(db, actor, { title: 'Старый', body: 'Текст', scope: 'personal' })
    await archiveMacro(db, actor, { id: macro.id })
    expect((await listMacros(db, actor)).map((m) => m.id)).not.toContain(macro.id)
    const ticket = await buildTicket(db, { status: 'in_progress' })
    await expect(applyMacro(db, actor, { macroId: macro.id, ticketId: ticket.id })).rejects.toMatchObject({
      code: 'not_found',
    })
    const journal = await db
      .selectFrom('audit_log')
      .select(['action', 'result'])
      .where('object_type', '=', 'macro')
      .where('object_id', '=', String(macro.id))
      .orderBy('id')
      .execute()
    expect(journal).toEqual([
      { action: 'macro.create', result: 'success' },
      { action: 'macro.delete', result: 'success' },
      { action: 'macro.apply', result: 'denied' },
    ])
  })
})

describe('using a macro on a ticket', () => {
  test('posts the filled reply and moves the ticket to «Ожидает ответа», each step on the timeline and in the journal', async () => {
    const executor = await buildActor(db, { role: 'executor', fullName: 'Сидоров Пётр Ильич' })
    const requester = await buildUser(db, { fullName: 'Иванова Мария Петровна' })
    const ticket = await buildTicket(db, {
      requesterId: requester.id,
      status: 'in_progress',
      assigneeId: executor.user.id,
      title: 'Не печатает принтер',
    })
    const macro = await createMacro(db, executor.actor, {
      title: 'Уточнить модель',
      body: 'Здравствуйте, {{заявитель.имя}}! Уточните модель принтера по заявке № {{заявка.номер}}. {{исполнитель.имя}}',
      scope: 'personal',
      setStatus: 'waiting',
      setPriority: 'high',
    })

    const preview = await previewMacro(db, executor.actor, { macroId: macro.id, ticketId: ticket.id })
    const expected = `Здравствуйте, Мария Петровна! Уточните модель принтера по заявке № ${ticket.id}. Пётр Ильич`
    expect(preview).toMatchObject({ text: expected, setStatus: 'waiting', setPriority: 'high', internal: false })
    expect((await ticketMacros(db, executor.actor, ticket)).find((m) => m.id === macro.id)?.text).toBe(expected)

    const applied = await applyMacro(db, executor.actor, { macroId: macro.id, ticketId: ticket.id })
    expect(applied.message).toMatchObject({ body: expected, kind: 'external', author_id: executor.user.id })
    expect(applied.ticket).toMatchObject({ status: 'waiting', priority: 'high' })

    const trail = await ticketTrail(db, ticket.id)
    expect(trail.messages.map((m) => m.body)).toEqual([expected])
    expect(trail.events.map((e) => [e.kind, e.to_value])).toEqual([
      ['message', String(applied.message.id)],
      ['priority_changed', 'high'],
      ['status_changed', 'waiting'],
    ])
    expect(trail.audit.map((row) => row.action)).toEqual([
      'ticket.macro_preview',
      'ticket.message',
      'ticket.update',
      'ticket.set_status',
      'ticket.macro',
    ])
    expect(trail.audit.at(-1)).toMatchObject({ subject_id: requester.id, pdn_related: 1 })
    // The requester hears of the reply and of the waiting.
    expect(trail.outbox.map((row) => row.kind).sort()).toEqual(['ticket_message', 'ticket_waiting'])
  })

  test('the text as edited in the reply box is posted, as a note when chosen so', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'in_progress' })
    const macro = await createMacro(db, actor, {
      title: 'Заметка',
      body: 'Проверить {{заявка.тема}}',
      scope: 'personal',
    })
    const applied = await applyMacro(db, actor, {
      macroId: macro.id,
      ticketId: ticket.id,
      body: ' Проверил сам ',
      internal: true,
    })
    expect(applied.message).toMatchObject({ body: 'Проверил сам', kind: 'internal' })
    expect(applied.ticket.status).toBe('in_progress')
  })

  test('a new ticket that a macro resolves is taken first, and the reply becomes its result', async () => {
    const { user, actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'new', assigneeId: null })
    const macro = await createMacro(db, actor, {
      title: 'Решено',
      body: 'Картридж заменён по заявке № {{заявка.номер}}.',
      scope: 'personal',
      setStatus: 'resolved',
    })
    const applied = await applyMacro(db, actor, { macroId: macro.id, ticketId: ticket.id })
    expect(applied.ticket).toMatchObject({
      status: 'resolved',
      assignee_id: user.id,
      resolution: `Картридж заменён по заявке № ${ticket.id}.`,
    })
    const statuses = (await ticketTrail(db, ticket.id)).events
      .filter((e) => e.kind === 'status_changed')
      .map((e) => e.to_value)
    expect(statuses).toEqual(['in_progress', 'resolved'])
  })

  test('a waiting ticket that a macro resolves goes through «В работе», as the transitions allow', async () => {
    const { user, actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'waiting', assigneeId: user.id })
    const macro = await createMacro(db, actor, {
      title: 'Решено после ответа',
      body: 'Готово.',
      scope: 'personal',
      setStatus: 'resolved',
    })
    const applied = await applyMacro(db, actor, { macroId: macro.id, ticketId: ticket.id })
    expect(applied.ticket).toMatchObject({ status: 'resolved', resolution: 'Готово.' })
    const statuses = (await ticketTrail(db, ticket.id)).events
      .filter((e) => e.kind === 'status_changed')
      .map((e) => e.to_value)
    expect(statuses).toEqual(['in_progress', 'resolved'])
  })

  test('a resolving macro sent as a note is refused with the rule the macro form states, nothing posted', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'in_progress' })
    const macro = await createMacro(db, actor, {
      title: 'Решено заметкой',
      body: 'Готово.',
      scope: 'personal',
      setStatus: 'resolved',
    })
    const before = await ticketTrail(db, ticket.id)
    await expect(
      applyMacro(db, actor, { macroId: macro.id, ticketId: ticket.id, internal: true }),
    ).rejects.toMatchObject({
      code: 'validation',
      message:
        'Шаблон, который решает заявку, не может быть внутренней заметкой: его текст станет результатом для заявителя',
    })
    expect(withoutDenials(await ticketTrail(db, ticket.id))).toEqual(before)
  })

  test('a refused step undoes the whole use: no message is left behind', async () => {
    const { actor } = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'cancelled' })
    const macro = await createMacro(db, actor, {
      title: 'В работу',
      body: 'Берём в работу',
      scope: 'personal',
      setStatus: 'in_progress',
    })
    const before = await ticketTrail(db, ticket.id)
    await expect(applyMacro(db, actor, { macroId: macro.id, ticketId: ticket.id })).rejects.toMatchObject({
      code: 'invalid_transition',
    })
    expect(withoutDenials(await ticketTrail(db, ticket.id))).toEqual(before)
  })

  test("a colleague's personal macro cannot be used on a ticket, and the attempt is journaled", async () => {
    const owner = await buildActor(db, { role: 'executor' })
    const other = await buildActor(db, { role: 'executor' })
    const ticket = await buildTicket(db, { status: 'in_progress' })
    const macro = await createMacro(db, owner.actor, { title: 'Моё', body: 'Текст', scope: 'personal' })
    const before = await ticketTrail(db, ticket.id)
    await expect(applyMacro(db, other.actor, { macroId: macro.id, ticketId: ticket.id })).rejects.toMatchObject({
      code: 'not_found',
    })
    await expect(previewMacro(db, other.actor, { macroId: macro.id, ticketId: ticket.id })).rejects.toMatchObject({
      code: 'not_found',
    })
    expect(await ticketTrail(db, ticket.id)).toEqual(before)
    expect((await deniedMacroRows(macro.id)).map((row) => row.action)).toEqual(['macro.apply', 'macro.preview'])
  })
})

describe('destroying a staff member’s data', () => {
  test('removes their personal macros (which may be signed with their name) and keeps the shared ones they made', async () => {
    const { user, actor } = await buildActor(db, { role: 'curator' })
    const personal = await createMacro(db, actor, {
      title: 'Подпись',
      body: 'С уважением, {{исполнитель.фио}}',
      scope: 'personal',
    })
    const shared = await createMacro(db, actor, { title: 'Для всех', body: 'Заявка принята', scope: 'global' })
    await destroyLeaver(db, user.id)
    const left = await db.selectFrom('macros').select('id').where('id', 'in', [personal.id, shared.id]).execute()
    expect(left.map((m) => m.id)).toEqual([shared.id])
  })
})
