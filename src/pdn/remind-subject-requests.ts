import type { Db } from '#src/db/schema.ts'
import { now, nowDate } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { tellAdmins } from '#src/notify/outbox.ts'
import { openSubjectRequestStatuses, REMINDER_WORKING_DAYS, subjectRequestKindLabels } from './subject-request-rules.ts'
import { addWorkingDays, calendarToday, workingDaysBetween } from './working-days.ts'

/**
 * The daily look at open requests: those whose deadline is 2 working days away (or nearer, or past — a
 * request registered late, or a day the job did not run) are told to every active admin in Telegram, once
 * per request (reminded_at; an extension clears it for the new deadline). The text names the request by its
 * number and kind only: no person's data leaves for Telegram. Returns the requests reminded of.
 */
export async function remindSubjectRequests(db: Db): Promise<number> {
  const today = calendarToday(nowDate())
  const open = await db
    .selectFrom('subject_requests')
    .select(['id', 'kind', 'due_on'])
    .where('status', 'in', openSubjectRequestStatuses)
    .where('reminded_at', 'is', null)
    .orderBy('id')
    .execute()
  const due = open.filter((r) => addWorkingDays(r.due_on, -REMINDER_WORKING_DAYS) <= today)
  let reminded = 0
  for (const request of due) {
    await transact(db, async (tx) => {
      // Claimed first: two instances racing (a lease handed over mid-run) remind once.
      const claimed = await tx
        .updateTable('subject_requests')
        .set({ reminded_at: now() })
        .where('id', '=', request.id)
        .where('reminded_at', 'is', null)
        .executeTakeFirst()
      if (Number(claimed.numUpdatedRows) === 0) return
      await tellAdmins(tx, reminderText(request, today))
      reminded++
    })
  }
  return reminded
}

function reminderText(
  request: { id: number; kind: keyof typeof subjectRequestKindLabels; due_on: string },
  today: string,
): string {
  const [year, month, day] = request.due_on.split('-')
  const date = `${day}.${month}.${year}`
  const left = workingDaysBetween(today, request.due_on)
  const when =
    today > request.due_on
      ? `Срок ответа истёк ${date}.`
      : left === 0
        ? `Срок ответа — сегодня, ${date}.`
        : `Срок ответа — ${date} (рабочих дней осталось: ${left}).`
  return [
    `⏳ Запрос субъекта ПДн № ${request.id}`,
    `${subjectRequestKindLabels[request.kind]}.`,
    when,
    'Ответ записывается в разделе «Запросы субъектов».',
  ].join('\n')
}
