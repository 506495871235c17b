import { DomainError } from '#src/errors.ts'
import { textLength } from '#src/tickets/rules.ts'

/**
 * Rules of «Массовый сбой» (issue 14), pure functions: the lengths of what staff type, the announcement's text
 * when they leave it empty, and what the bot and the children of an outage say.
 */

export const outageLimits = {
  title: 200,
  place: 200,
  /** A Telegram message holds 4 096 characters; the announcement leaves room for its header. */
  announcement: 3_000,
  /** Departments and categories of one outage. */
  links: 500,
} as const

function bounded(value: string | null | undefined, label: string, max: number, required: boolean): string | null {
  const text = (value ?? '').trim()
  if (text === '') {
    if (required) throw new DomainError('validation', `Заполните поле «${label}»`)
    return null
  }
  if (textLength(text) > max) throw new DomainError('validation', `Поле «${label}» длиннее ${max} символов`)
  return text
}

export function checkOutageTitle(value: string | null | undefined): string {
  return bounded(value, 'Название сбоя', outageLimits.title, true) ?? ''
}

export function checkOutagePlace(value: string | null | undefined): string | null {
  return bounded(value, 'Где', outageLimits.place, false)
}

/** The announcement typed, or one made from the title and the place. */
export function checkAnnouncement(value: string | null | undefined, title: string, place: string | null): string {
  return bounded(value, 'Объявление', outageLimits.announcement, false) ?? defaultAnnouncement(title, place)
}

export function defaultAnnouncement(title: string, place: string | null): string {
  return `${title}${place ? ` (${place})` : ''}. ИТ-отдел уже работает над этим. Новую заявку об этом оформлять не нужно: мы сообщим, когда всё заработает.`
}

/** Ids chosen in a form or a request: at least one, each once, no more than the limit. */
export function checkIds(ids: readonly number[] | undefined, label: string): number[] {
  const unique = [...new Set(ids ?? [])]
  if (unique.length === 0) throw new DomainError('validation', `Выберите хотя бы одно: ${label}`)
  if (unique.length > outageLimits.links) throw new DomainError('validation', `Слишком много: ${label}`)
  return unique
}

/** The bot's texts of an outage (the announcement, the offer in «Новая заявка», its answers). */
export const outageBotTexts = {
  announcementHeader: '❗ Массовый сбой',
  optOut: 'Не присылать такие объявления',
  optedOut:
    'Хорошо, объявления о массовых сбоях больше не будут приходить. Включить их снова можно на сайте: «Профиль» → «Объявления о массовых сбоях».',
  offer: (title: string) =>
    `Известная проблема, уже работаем: ${title}.\n\nЕсли у Вас то же самое, нажмите «У меня тоже» — мы сообщим, когда всё заработает.`,
  metoo: 'У меня тоже',
  other: 'Нет, у меня другое',
  offerAnsweredMetoo: (title: string) => `Известная проблема, уже работаем: ${title}.`,
  joined: (header: string) => `${header}\nВы отмечены среди тех, кого коснулся сбой. Мы сообщим, когда всё заработает.`,
  gone: 'Этот сбой уже устранён. Если проблема осталась, опишите её — создадим заявку.',
} as const

/** A child's description: the outage's own words, for the requester's list and the search. */
export function childDescription(title: string, place: string | null): string {
  return `Массовый сбой: ${title}${place ? ` (${place})` : ''}. Заявка присоединена к сбою кнопкой «У меня тоже».`
}
