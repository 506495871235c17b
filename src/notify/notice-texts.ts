import type { Messenger, Priority, TicketStatus } from '#src/db/schema.ts'
import { callback } from '#src/notify/callback-data.ts'
import { priorityLabels, statusLabels } from '#src/tickets/rules.ts'
import type { BotButton, NoticeKind } from './outbox.ts'

/**
 * The Russian texts of every notice sent to Telegram (one catalogue; UI.md: formal «Вы», short
 * sentences, every message about a ticket starts «Заявка № N · <статус>»). Pure functions of the facts
 * the channel reads at send time, so that the privacy setting in force when a notice leaves is the one
 * honoured: with «ПДн не передаются в Telegram» a notice carries only the number, the status and the
 * web link — no names, phones, titles, reasons or message texts.
 *
 * Action buttons appear only while the action is still possible (a notice may leave after the ticket
 * moved on); the bot re-checks every press anyway.
 */

export interface RenderedNotice {
  text: string
  buttons: BotButton[][]
}

export interface RenderOptions {
  baseUrl: string
  /** Setting 'privacy.no_pdn_in_telegram' (ПДн не передаются в мессенджер). */
  privacy: boolean
  /** The messenger the notice goes to, named by the privacy line; Telegram unless said. */
  messenger?: Messenger
}

/** The messengers as people name them. */
export const messengerNames: Record<Messenger, string> = { telegram: 'Telegram', max: 'MAX' }

export interface TicketFacts {
  id: number
  status: TicketStatus
  title: string
  priority: Priority
  categoryName: string | null
  departmentName: string | null
  requesterId: number
  requesterName: string
  assigneeId: number | null
  assigneeName: string | null
  resolution: string | null
  cancelReason: string | null
  rating: number | null
}

export interface MessageFacts {
  body: string
  authorName: string
  attachments: number
}

export interface TicketNoticeFacts {
  ticket: TicketFacts
  /** The notice goes to the ticket's requester (not to staff). */
  toRequester: boolean
  /** ticket_message: the message. */
  message?: MessageFacts
  /** ticket_taken: who took it. */
  takenBy?: string | null
  /** deadline_breached: which deadline. */
  breach?: 'response' | 'resolution'
  /** ticket_closed: closed by the schedule, not by a person. */
  automatic?: boolean
  /** ticket_merged, ticket_unmerged: the ticket it was (or is no longer) merged into. */
  mergedInto?: number
  /** ticket_awaiting_approval: the curators decide (the department names no head). */
  byCurators?: boolean
  /** ticket_escalated: the level (1 assignee … 4 head of IT), and whether it is a critical ticket filed at night. */
  escalation?: { level: number; critical: boolean }
}

export interface SubjectFacts {
  id: number
  fullName: string
  phone: string | null
  departmentName: string | null
  position: string | null
  room: string | null
  status: 'pending' | 'active' | 'rejected' | 'deactivated'
  rejectionReason: string | null
}

export const ticketNoticeKinds = [
  'ticket_created',
  'ticket_new_for_group',
  'ticket_taken',
  'ticket_assigned',
  'ticket_message',
  'ticket_waiting',
  'ticket_resolved',
  'ticket_closed',
  'ticket_cancelled',
  'ticket_reopened',
  'ticket_rate_request',
  'deadline_breached',
  'ticket_mentioned',
  'ticket_merged',
  'ticket_unmerged',
  'ticket_approval_requested',
  'ticket_awaiting_approval',
  'ticket_approved',
  'ticket_approval_rejected',
  'ticket_escalated',
] as const satisfies readonly NoticeKind[]
export type TicketNoticeKind = (typeof ticketNoticeKinds)[number]

export const userNoticeKinds = [
  'registration_requested',
  'registration_confirmed',
  'registration_rejected',
  'account_deactivated',
  'consent_withdrawn',
  'totp_reset',
] as const satisfies readonly NoticeKind[]
export type UserNoticeKind = (typeof userNoticeKinds)[number]

export function isTicketNoticeKind(kind: string): kind is TicketNoticeKind {
  return (ticketNoticeKinds as readonly string[]).includes(kind)
}

export function isUserNoticeKind(kind: string): kind is UserNoticeKind {
  return (userNoticeKinds as readonly string[]).includes(kind)
}

/** Telegram refuses texts over 4 096 characters. */
export const TELEGRAM_TEXT_MAX = 4096
const TITLE_MAX = 200
const BODY_MAX = 3000

export const noticeTexts = {
  privacyLine: (url: string, messenger: Messenger = 'telegram') =>
    `Подробности не передаются в ${messengerNames[messenger]} — смотрите на сайте: ${url}`,
  open: 'Открыть',
  take: 'Взять в работу',
  reply: 'Ответить',
  confirm: 'Подтверждаю',
  reopen: 'Не решено',
  approve: 'Подтвердить',
  acknowledge: 'Принял',
  reject: 'Отклонить',
  agree: 'Согласовать',
  truncated: '… (полностью — на сайте)',
} as const

export function ticketUrl(baseUrl: string, ticketId: number): string {
  return `${baseUrl}/tickets/${ticketId}`
}

export function userUrl(baseUrl: string, userId: number): string {
  return `${baseUrl}/users/${userId}`
}

/** «Заявка № 128 · В работе» — the first line of every message about a ticket. */
export function ticketHeader(ticket: Pick<TicketFacts, 'id' | 'status'>): string {
  return `Заявка № ${ticket.id} · ${statusLabels[ticket.status]}`
}

/** Renders a notice about a ticket for one recipient. */
export function renderTicketNotice(
  kind: TicketNoticeKind,
  facts: TicketNoticeFacts,
  options: RenderOptions,
): RenderedNotice {
  const t = facts.ticket
  const url = ticketUrl(options.baseUrl, t.id)
  const open: BotButton = { text: noticeTexts.open, url }
  const p = options.privacy
  /** Lines with personal data or free text: left out under the privacy setting. */
  const detail = (...lines: Array<string | null | false | undefined>) => (p ? [] : lines)
  const summary = () =>
    detail(
      `«${clip(t.title, TITLE_MAX)}»`,
      t.categoryName && `Категория: ${t.categoryName}`,
      `Приоритет: ${priorityLabels[t.priority]}`,
      t.departmentName && `Отделение: ${t.departmentName}`,
    )
  const urgent = t.priority === 'critical' ? '❗ ' : ''

  let lines: Array<string | null | false | undefined>
  let buttons: BotButton[][] = []
  switch (kind) {
    case 'ticket_created':
      lines = [
        '✅ Ваша заявка принята.',
        ...detail(`«${clip(t.title, TITLE_MAX)}»`),
        'Мы сообщим, когда её возьмут в работу. Чтобы дополнить заявку, ответьте на это сообщение.',
      ]
      break
    case 'ticket_new_for_group':
      lines = [`${urgent}Новая заявка в Вашей группе.`, ...summary()]
      buttons = [[...(t.status === 'new' && t.assigneeId === null ? [takeButton(t.id)] : []), open]]
      break
    case 'ticket_taken':
      lines = [facts.takenBy && !p ? `Заявку взял в работу: ${facts.takenBy}.` : 'Заявку взяли в работу.']
      break
    case 'ticket_assigned':
      lines = [`${urgent}Вам назначена заявка.`, ...summary()]
      buttons = [[open]]
      break
    case 'ticket_message': {
      const m = facts.message
      if (facts.toRequester) {
        lines = [
          ...(m && !p
            ? [`Сообщение от ${m.authorName}:`, clip(m.body, BODY_MAX, noticeTexts.truncated)]
            : ['Новое сообщение по Вашей заявке.']),
          m && m.attachments > 0 && `Вложений: ${m.attachments} — они на сайте.`,
          'Чтобы ответить, нажмите «Ответить» или ответьте на это сообщение.',
        ]
        buttons = [[replyButton(t.id)]]
      } else {
        lines = [
          ...(m && !p
            ? [`Сообщение от заявителя ${m.authorName}:`, clip(m.body, BODY_MAX, noticeTexts.truncated)]
            : ['Новое сообщение от заявителя.']),
          m && m.attachments > 0 && `Вложений: ${m.attachments}.`,
        ]
        buttons = [[open]]
      }
      break
    }
    case 'ticket_waiting':
      lines = ['⏳ Исполнитель ждёт Вашего ответа.', 'Нажмите «Ответить» или ответьте на это сообщение.']
      buttons = t.status === 'waiting' ? [[replyButton(t.id)]] : []
      break
    case 'ticket_resolved':
      lines = [
        '✅ Работы по заявке завершены.',
        ...detail(t.resolution && `Результат: ${clip(t.resolution, BODY_MAX, noticeTexts.truncated)}`),
        'Подтвердите, пожалуйста, что проблема решена.',
      ]
      buttons =
        t.status === 'resolved'
          ? [
              [
                { text: noticeTexts.confirm, callbackData: callback.ticket('confirm', t.id) },
                { text: noticeTexts.reopen, callbackData: callback.ticket('reopen', t.id) },
              ],
            ]
          : []
      break
    case 'ticket_closed':
      lines = [
        facts.automatic
          ? 'Заявка закрыта автоматически: подтверждение не поступило в срок.'
          : 'Заявка закрыта. Спасибо!',
        facts.automatic && 'Если проблема осталась, создайте новую заявку.',
      ]
      break
    case 'ticket_cancelled':
      lines = ['Заявка отменена.', ...detail(t.cancelReason && `Причина: ${clip(t.cancelReason, BODY_MAX)}`)]
      break
    case 'ticket_reopened':
      lines = facts.toRequester
        ? ['Заявка снова в работе.']
        : ['Заявка возобновлена и снова ждёт работы.', ...detail(`«${clip(t.title, TITLE_MAX)}»`)]
      buttons = facts.toRequester ? [] : [[open]]
      break
    case 'ticket_rate_request':
      lines = ['Оцените, пожалуйста, работу по заявке: от 1 (плохо) до 5 (отлично).']
      buttons =
        t.rating === null
          ? [[1, 2, 3, 4, 5].map((score) => ({ text: String(score), callbackData: callback.rate(t.id, score) }))]
          : []
      break
    case 'deadline_breached':
      lines = [
        facts.breach === 'response' ? '❗ Просрочен срок первого ответа.' : '❗ Просрочен срок решения.',
        ...summary(),
        ...detail(`Исполнитель: ${t.assigneeName ?? 'не назначен'}`),
      ]
      buttons = [[open]]
      break
    case 'ticket_escalated': {
      const e = facts.escalation ?? { level: 2, critical: false }
      if (e.critical) {
        // A critical ticket filed at night: the loud line replaces the usual header.
        const acknowledge = { text: noticeTexts.acknowledge, callbackData: callback.acknowledge(t.id) }
        return finish(
          [
            `🔴 Критическая заявка № ${t.id} · ${statusLabels[t.status]}`,
            criticalLines[e.level] ?? criticalLines[2],
            ...summary(),
            isOpen(t.status) && 'Нажмите «Принял», если берёте её.',
            p && noticeTexts.privacyLine(url, options.messenger),
          ],
          [[...(isOpen(t.status) ? [acknowledge] : []), open]],
        )
      }
      lines = [
        escalationLines[e.level] ?? escalationLines[2],
        ...summary(),
        ...detail(`Исполнитель: ${t.assigneeName ?? 'не назначен'}`),
      ]
      buttons = [[open]]
      break
    }
    case 'ticket_mentioned': {
      // To a colleague, about an internal note: its text only where ПДн may go to Telegram.
      const m = facts.message
      lines = [
        `Вас упомянули в заявке № ${t.id}.`,
        ...detail(
          m && `Внутренняя заметка от ${m.authorName}:`,
          m && clip(m.body, BODY_MAX, noticeTexts.truncated),
          `«${clip(t.title, TITLE_MAX)}»`,
        ),
      ]
      buttons = [[open]]
      break
    }
    case 'ticket_merged':
      // Numbers only: nothing here is held back by the privacy setting.
      lines = facts.mergedInto
        ? [
            `Ваша заявка № ${t.id} объединена с заявкой № ${facts.mergedInto}, ответ придёт по ней.`,
            `Ответы на это сообщение тоже попадут в заявку № ${facts.mergedInto}.`,
          ]
        : ['Ваша заявка объединена с другой заявкой, ответ придёт по ней.']
      break
    case 'ticket_approval_requested': {
      // To the head (or the curators): the decision's buttons while it waits; the web page of approvals otherwise.
      const approvals = `${options.baseUrl}/approvals`
      lines = [
        p
          ? `Заявка № ${t.id} ждёт Вашего согласования.`
          : `Заявка № ${t.id} на согласование: «${clip(t.title, TITLE_MAX)}» от ${t.requesterName}`,
        ...detail(
          t.categoryName && `Категория: ${t.categoryName}`,
          t.departmentName && `Отделение: ${t.departmentName}`,
        ),
        t.status === 'approval' ? 'Согласуйте или отклоните её.' : 'Решение по ней уже принято.',
      ]
      buttons =
        t.status === 'approval'
          ? [
              [
                { text: noticeTexts.agree, callbackData: callback.approval('ok', t.id) },
                { text: noticeTexts.reject, callbackData: callback.approval('no', t.id) },
              ],
            ]
          : [[{ text: noticeTexts.open, url: approvals }]]
      if (p) lines.push(noticeTexts.privacyLine(approvals, options.messenger))
      return finish([ticketHeader(t), ...lines], buttons)
    }
    case 'ticket_awaiting_approval':
      lines = [
        facts.byCurators
          ? 'Заявка отправлена на согласование куратору ИТ.'
          : 'Заявка отправлена на согласование заведующему.',
        ...detail(`«${clip(t.title, TITLE_MAX)}»`),
        'Мы сообщим о решении.',
      ]
      break
    case 'ticket_approved':
      lines = ['✅ Заявка согласована и передана в ИТ-отдел.', ...detail(`«${clip(t.title, TITLE_MAX)}»`)]
      break
    case 'ticket_approval_rejected':
      lines = ['Заявка не согласована.', ...detail(t.cancelReason && `Причина: ${clip(t.cancelReason, BODY_MAX)}`)]
      break
    case 'ticket_unmerged':
      lines = [
        facts.mergedInto
          ? `Объединение с заявкой № ${facts.mergedInto} отменено: заявка № ${t.id} снова рассматривается отдельно.`
          : `Объединение отменено: заявка № ${t.id} снова рассматривается отдельно.`,
      ]
      break
  }
  if (p) lines.push(noticeTexts.privacyLine(url, options.messenger))
  return finish([ticketHeader(t), ...lines], buttons)
}

/** Renders a notice about a person's account (registration, deactivation). */
export function renderUserNotice(kind: UserNoticeKind, subject: SubjectFacts, options: RenderOptions): RenderedNotice {
  const url = userUrl(options.baseUrl, subject.id)
  const p = options.privacy
  switch (kind) {
    case 'registration_requested': {
      if (p) {
        return finish(
          [`Новый запрос на регистрацию (№ ${subject.id}).`, noticeTexts.privacyLine(url, options.messenger)],
          [[{ text: noticeTexts.open, url }]],
        )
      }
      const decide =
        subject.status === 'pending'
          ? [
              { text: noticeTexts.approve, callbackData: callback.registration('ok', subject.id) },
              { text: noticeTexts.reject, callbackData: callback.registration('no', subject.id) },
            ]
          : []
      return finish(
        [
          'Новый запрос на регистрацию.',
          `ФИО: ${subject.fullName}`,
          `Телефон: ${subject.phone ?? '—'}`,
          `Отделение: ${subject.departmentName ?? '—'}`,
          `Должность: ${subject.position ?? '—'}`,
          `Кабинет: ${subject.room ?? '—'}`,
          subject.status !== 'pending' && 'Запрос уже рассмотрен.',
        ],
        decide.length > 0 ? [decide] : [],
      )
    }
    case 'registration_confirmed':
      return finish(
        [
          '✅ Ваша регистрация подтверждена.',
          'Теперь Вы можете подать заявку: кнопка «Новая заявка» или команда /new.',
        ],
        [],
      )
    case 'registration_rejected':
      return finish(
        [
          'В регистрации отказано.',
          p || !subject.rejectionReason
            ? 'Причину можно узнать в ИТ-отделе.'
            : `Причина: ${clip(subject.rejectionReason, BODY_MAX)}`,
          'Если это ошибка, обратитесь в ИТ-отдел.',
        ],
        [],
      )
    case 'account_deactivated':
      if (p) {
        return finish(
          [`Учётная запись № ${subject.id} деактивирована.`, noticeTexts.privacyLine(url, options.messenger)],
          [[{ text: noticeTexts.open, url }]],
        )
      }
      return finish(
        [
          'Учётная запись деактивирована.',
          `ФИО: ${subject.fullName}`,
          subject.departmentName && `Отделение: ${subject.departmentName}`,
        ],
        [[{ text: noticeTexts.open, url }]],
      )
    case 'consent_withdrawn': {
      // COMPLIANCE.md §1: the account is off at once; destruction of the data becomes due later.
      const effect = 'Учётная запись отключена, данные подлежат уничтожению в установленный срок.'
      if (p) {
        return finish(
          [
            `Пользователь № ${subject.id} отозвал согласие на обработку ПДн.`,
            effect,
            noticeTexts.privacyLine(url, options.messenger),
          ],
          [[{ text: noticeTexts.open, url }]],
        )
      }
      return finish(
        [
          'Пользователь отозвал согласие на обработку ПДн.',
          `ФИО: ${subject.fullName}`,
          subject.departmentName && `Отделение: ${subject.departmentName}`,
          effect,
        ],
        [[{ text: noticeTexts.open, url }]],
      )
    }
    case 'totp_reset':
      // Told to the person: if they did not ask IT for it, someone is trying their account.
      return finish(
        [
          'Двухфакторная защита Вашей учётной записи сброшена администратором, все сеансы завершены.',
          'При следующем входе подключите приложение заново. Если Вы об этом не просили, сообщите в ИТ-отдел.',
        ],
        [],
      )
  }
}

/** What each escalation level tells its recipient (src/duty/escalate-tickets.ts). */
const escalationLines: Record<number, string> = {
  1: '⏳ Срок решения заявки подходит к концу.',
  2: '❗ Вы дежурите: заявка Вашей группы требует внимания.',
  3: '❗ Эскалация куратору: заявка не решена в срок, дежурный не справился.',
  4: '❗ Эскалация руководителю ИТ: заявка не решена в срок.',
}

/** The same for a critical ticket filed at night, whose chain waits for «Принял». */
const criticalLines: Record<number, string> = {
  2: 'Вы дежурите: заявку нужно взять сейчас.',
  3: 'Дежурный не ответил за 10 минут — эскалация куратору.',
  4: 'Никто не ответил — эскалация руководителю ИТ.',
}

function isOpen(status: TicketStatus): boolean {
  return status !== 'resolved' && status !== 'closed' && status !== 'cancelled'
}

function takeButton(ticketId: number): BotButton {
  return { text: noticeTexts.take, callbackData: callback.ticket('take', ticketId) }
}

function replyButton(ticketId: number): BotButton {
  return { text: noticeTexts.reply, callbackData: callback.ticket('reply', ticketId) }
}

function finish(lines: Array<string | null | false | undefined>, buttons: BotButton[][]): RenderedNotice {
  const text = lines.filter((line): line is string => typeof line === 'string' && line !== '').join('\n')
  return { text: clip(text, TELEGRAM_TEXT_MAX), buttons: buttons.filter((row) => row.length > 0) }
}

/** Shortens to at most `max` characters (code points), ending with `tail`. */
export function clip(text: string, max: number, tail = '…'): string {
  const chars = [...text]
  if (chars.length <= max) return text
  return chars.slice(0, Math.max(0, max - [...tail].length)).join('') + tail
}
