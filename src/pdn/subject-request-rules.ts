import type {
  SubjectRequestChannel,
  SubjectRequestKind,
  SubjectRequestStatus,
  SubjectRequestsTable,
} from '#src/db/schema.ts'
import { addWorkingDays } from './working-days.ts'

/** What each kind of request asks, in the words the registers and the answer use. */
export const subjectRequestKindLabels: Record<SubjectRequestKind, string> = {
  access: 'Доступ к персональным данным (ст. 14)',
  correction: 'Уточнение персональных данных (ст. 20, 21)',
  blocking: 'Блокирование персональных данных (ст. 21)',
  withdrawal: 'Отзыв согласия на обработку (ст. 9, 21)',
  destruction: 'Уничтожение персональных данных (ст. 21)',
}

export const subjectRequestChannelLabels: Record<SubjectRequestChannel, string> = {
  letter: 'Письмо',
  in_person: 'Лично',
  email: 'Электронная почта',
  telegram: 'Telegram',
  other: 'Другое',
}

export const subjectRequestStatusLabels: Record<SubjectRequestStatus, string> = {
  new: 'Новый',
  in_progress: 'В работе',
  answered: 'Ответ дан',
  refused: 'Отказано',
}

export const openSubjectRequestStatuses: readonly SubjectRequestStatus[] = ['new', 'in_progress']

/** The legal term in working days: 7 for a correction (ст. 21 ч. 2), 10 for the rest (ст. 14 ч. 3, ст. 20). */
export function termWorkingDays(kind: SubjectRequestKind): number {
  return kind === 'correction' ? 7 : 10
}

/** The extension ст. 14 ч. 3 allows once, with a reasoned notice to the person. */
export const EXTENSION_WORKING_DAYS = 5

/** The admins are told this many working days before the deadline. */
export const REMINDER_WORKING_DAYS = 2

/** The deadline of a request received on this day. */
export function dueOn(receivedOn: string, kind: SubjectRequestKind): string {
  return addWorkingDays(receivedOn, termWorkingDays(kind))
}

/** May the deadline still be extended? Once, while open; a correction's 7 days have no extension. */
export function canExtend(request: Pick<SubjectRequestsTable, 'kind' | 'status' | 'extended_reason'>): boolean {
  return (
    request.kind !== 'correction' &&
    request.extended_reason === null &&
    openSubjectRequestStatuses.includes(request.status)
  )
}
