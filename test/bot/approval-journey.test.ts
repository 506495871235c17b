import { afterEach, describe, expect, test } from 'vitest'
import { approvalTexts } from '#src/bot/features/approval-decisions.ts'
import { buttons, newTicketTexts } from '#src/bot/texts.ts'
import { callback } from '#src/notify/callback-data.ts'
import { testApp } from '../support/api.ts'
import { type BotHarness, botHarness } from '../support/bot-harness.ts'
import { buttonData, lastSaid as last } from '../support/bot-people.ts'
import { buildCategory, buildDepartment, buildGroup, buildUser } from '../support/factories.ts'
import type { FakePerson } from '../support/fake-telegram.ts'
import { getPage, postForm, signIn } from '../support/web.ts'
import { botDialects, databaseFor } from './dialects.ts'

/**
 * «Согласование» end to end (issue 14): a nurse files «Доступ к МИС» in the bot; the head of her department gets
 * «Согласовать» / «Отклонить» in Telegram and approves; only then does the group's executor get the usual notice of
 * a new ticket, and the timeline says who approved. A second request is rejected on the web with a reason, which
 * the nurse is told in Telegram; an executor pressing a forged «Согласовать» changes nothing.
 */

let h: BotHarness
afterEach(async () => {
  await h?.close()
})

const NURSE_CHAT = 7601
const HEAD_CHAT = 7602
const EXECUTOR_CHAT = 5601

/** «Новая заявка» → «Доступ к МИС» → the description → «Обычная»: the ticket's number. */
async function fileAccessRequest(nurse: FakePerson, categoryId: number, description: string): Promise<void> {
  nurse.send(buttons.newTicket)
  await h.settle()
  nurse.press(last(nurse).message_id, callback.category(categoryId))
  await h.settle()
  expect(last(nurse).text).toBe(newTicketTexts.askDescription)
  nurse.send(description)
  await h.settle()
  nurse.press(last(nurse).message_id, callback.urgency('normal'))
  await h.settle()
}

describe.each(botDialects)('an access request approved by the head of the department (%s)', (dialect) => {
  test('bot → the head’s «Согласовать» → the group’s notice and the timeline; a rejection on the web', async () => {
    h = await botHarness({ db: await databaseFor(dialect) })
    const { app } = testApp(h.db, h.config)
    const department = await buildDepartment(h.db, 'Кардиология')
    const nurseUser = await buildUser(h.db, {
      telegramChatId: String(NURSE_CHAT),
      fullName: 'Иванова Мария',
      departmentId: department.id,
    })
    const headUser = await buildUser(h.db, {
      telegramChatId: String(HEAD_CHAT),
      fullName: 'Петрова Анна',
      departmentId: department.id,
    })
    await h.db.updateTable('departments').set({ head_user_id: headUser.id }).where('id', '=', department.id).execute()
    const executorUser = await buildUser(h.db, {
      role: 'executor',
      telegramChatId: String(EXECUTOR_CHAT),
      fullName: 'Петров Пётр',
    })
    const group = await buildGroup(h.db, 'Прикладное ПО', [executorUser.id])
    const access = await buildCategory(h.db, { name: 'Доступ к МИС', defaultGroupId: group.id })
    await h.db.updateTable('categories').set({ requires_approval: 1 }).where('id', '=', access.id).execute()

    h.poll()
    const nurse = h.fake.user(NURSE_CHAT)
    const head = h.fake.user(HEAD_CHAT)
    const executor = h.fake.user(EXECUTOR_CHAT)

    // 1. The nurse files it; she is told it went to her head, who gets the decision's buttons. IT hears nothing.
    await fileAccessRequest(nurse, access.id, 'Прошу доступ к МИС для новой медсестры')
    const first = await h.db.selectFrom('tickets').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow()
    expect(first).toMatchObject({ status: 'approval', requester_id: nurseUser.id, resolution_due_at: null })
    expect(nurse.botMessages().map((m) => m.text)).toContain(
      approvalTexts.filed(`Заявка № ${first.id} · На согласовании`, false),
    )
    const notice = last(head)
    expect(notice.text).toContain(
      `Заявка № ${first.id} на согласование: «Прошу доступ к МИС для новой медсестры» от Иванова Мария`,
    )
    expect(buttonData(notice)).toEqual([callback.approval('ok', first.id), callback.approval('no', first.id)])
    expect(executor.botMessages()).toEqual([])

    // 2. A forged «Согласовать» from the executor changes nothing.
    executor.press(notice.message_id, callback.approval('ok', first.id))
    await h.settle()
    expect(
      (await h.db.selectFrom('tickets').select('status').where('id', '=', first.id).executeTakeFirstOrThrow()).status,
    ).toBe('approval')

    // 3. The head presses «Согласовать»: the notice loses its buttons, the group's executor gets the new ticket.
    head.press(notice.message_id, callback.approval('ok', first.id))
    await h.settle()
    const decided = head.botMessages().find((m) => m.message_id === notice.message_id)
    expect(decided?.text).toContain(approvalTexts.approvedByYou(first.id))
    expect(decided?.reply_markup).toBeUndefined()
    const news = last(executor)
    expect(news.text).toContain('Новая заявка в Вашей группе.')
    expect(news.text).toContain(`Заявка № ${first.id} · Новая`)
    expect(buttonData(news)).toContain(callback.ticket('take', first.id))
    expect(last(nurse).text).toContain('✅ Заявка согласована и передана в ИТ-отдел.')
    const approved = await h.db.selectFrom('tickets').selectAll().where('id', '=', first.id).executeTakeFirstOrThrow()
    expect(approved.status).toBe('new')
    expect(approved.resolution_due_at).not.toBeNull()

    // The timeline names who approved.
    const staff = await signIn(h.db, executorUser)
    const page = await getPage(app, `/tickets/${first.id}`, staff)
    expect(page.status).toBe(200)
    expect(page.text).toMatch(/Петрова Анна<\/[a-z]+>\s*согласовал\(а\) заявку|Петрова Анна[^<]*согласовал\(а\) заявку/)

    // Pressing it again (a stale notice) is refused politely, nothing changes.
    head.press(notice.message_id, callback.approval('ok', first.id))
    await h.settle()
    const events = await h.db.selectFrom('ticket_events').select('kind').where('ticket_id', '=', first.id).execute()
    expect(events.filter((e) => e.kind === 'approved')).toHaveLength(1)

    // 4. A second request, rejected by the head on the web with a reason: the nurse is told it in Telegram.
    await fileAccessRequest(nurse, access.id, 'Ещё доступ к 1С, пожалуйста')
    const second = await h.db.selectFrom('tickets').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow()
    expect(second.status).toBe('approval')
    const headOnWeb = await signIn(h.db, headUser)
    const list = await getPage(app, '/approvals', headOnWeb)
    expect(list.status).toBe(200)
    expect(list.text).toContain('Ещё доступ к 1С, пожалуйста')
    expect(list.text).toContain('Иванова Мария')
    expect(list.text).toContain('href="/approvals"')
    // Her own tickets' pages stay closed to the head: she sees only what the decision needs.
    expect((await getPage(app, `/tickets/${second.id}`, headOnWeb)).status).toBe(404)
    const noReason = await postForm(app, `/tickets/${second.id}/reject`, headOnWeb, { reason: '  ' })
    expect(noReason.status).toBe(422)
    const rejected = await postForm(app, `/tickets/${second.id}/reject`, headOnWeb, {
      reason: 'Доступ к 1С оформляет бухгалтерия',
    })
    expect(rejected.status).toBe(303)
    expect(rejected.location).toBe(`/approvals?rejected=${second.id}`)
    await h.settle()
    expect(last(nurse).text).toContain('Заявка не согласована.')
    expect(last(nurse).text).toContain('Причина: Доступ к 1С оформляет бухгалтерия')
    expect(
      (await h.db.selectFrom('tickets').select('status').where('id', '=', second.id).executeTakeFirstOrThrow()).status,
    ).toBe('cancelled')
    // The executor heard only of the approved one.
    expect(executor.botMessages().filter((m) => m.text?.includes(`Заявка № ${second.id}`))).toEqual([])
    // Nothing awaits the head any more: the navigation's entry is gone.
    const after = await getPage(app, '/tickets', headOnWeb)
    expect(after.text).not.toContain('href="/approvals"')

    // 5. A third one rejected in Telegram: «Отклонить» asks for the reason, the next message is it.
    await fileAccessRequest(nurse, access.id, 'Нужен VPN из дома')
    const third = await h.db.selectFrom('tickets').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow()
    const thirdNotice = last(head)
    expect(buttonData(thirdNotice)).toEqual([callback.approval('ok', third.id), callback.approval('no', third.id)])
    head.press(thirdNotice.message_id, callback.approval('no', third.id))
    await h.settle()
    expect(last(head).text).toBe(approvalTexts.askReason(third.id))
    head.send('VPN для медсестёр не предусмотрен')
    await h.settle()
    expect(last(head).text).toBe(approvalTexts.rejectedByYou(third.id))
    expect(head.botMessages().find((m) => m.message_id === thirdNotice.message_id)?.reply_markup).toBeUndefined()
    expect(
      await h.db
        .selectFrom('tickets')
        .select(['status', 'cancel_reason'])
        .where('id', '=', third.id)
        .executeTakeFirst(),
    ).toEqual({ status: 'cancelled', cancel_reason: 'VPN для медсестёр не предусмотрен' })
    expect(last(nurse).text).toContain('Причина: VPN для медсестёр не предусмотрен')
  })
})
