import { DomainError } from '#src/errors.ts'

/**
 * Input clean-up shared by the users, departments, groups and categories use cases. The edges parse
 * types (zod); these rules are the domain's own, so every entry point (web, bot, CLI) gets the same.
 */

export interface TextRule {
  /** Russian name of the field for the message, in the nominative: «ФИО», «Название». */
  label: string
  max: number
  /** What to say of an empty value, where the field's name alone would not tell the person what to write. */
  empty?: string
}

/** Trims; refuses empty or too long text. */
export function requiredText(value: string, rule: TextRule): string {
  const text = value.trim()
  if (text === '') throw new DomainError('validation', rule.empty ?? `Поле «${rule.label}» не заполнено`)
  return limited(text, rule)
}

/** Trims; empty text or null becomes null; refuses too long text. */
export function optionalText(value: string | null | undefined, rule: TextRule): string | null {
  if (value === undefined || value === null) return null
  const text = value.trim()
  return text === '' ? null : limited(text, rule)
}

function limited(text: string, rule: TextRule): string {
  if ([...text].length > rule.max) {
    throw new DomainError('validation', `Поле «${rule.label}» длиннее ${rule.max} символов`)
  }
  return text
}

export const NAME_MAX = 200

const LOGIN = /^[a-z0-9][a-z0-9._@-]{1,63}$/

/** Logins are compared case-insensitively, so they are stored in lower case. */
export function normalizeLogin(value: string): string {
  const login = value.trim().toLowerCase()
  if (!LOGIN.test(login)) {
    throw new DomainError(
      'validation',
      'Логин: от 2 до 64 символов — латинские буквы, цифры и знаки . _ @ -, начиная с буквы или цифры',
    )
  }
  return login
}

/**
 * Russian numbers in the one form we store: `+7XXXXXXXXXX`. Telegram's shared contact comes without
 * the plus, people type `8 (900) …`; other countries keep their own code.
 */
export function normalizePhone(value: string): string {
  const digits = value.replace(/[\s()-]/g, '')
  if (!/^\+?\d{10,15}$/.test(digits)) throw new DomainError('validation', 'Неверный номер телефона')
  const bare = digits.replace(/^\+/, '')
  if (bare.length === 11 && bare.startsWith('8')) return `+7${bare.slice(1)}`
  if (bare.length === 10 && bare.startsWith('9')) return `+7${bare}`
  return `+${bare}`
}

/** Telegram private chat ids are integers beyond 32 bits; we keep them as text. */
export function normalizeChatId(value: string): string {
  const id = value.trim()
  if (!/^-?\d{1,20}$/.test(id)) throw new DomainError('validation', 'Неверный идентификатор чата Telegram')
  return id
}

/** A chat key (notify/chat-key.ts): a Telegram chat id, or `max:` and a MAX user id. */
export function normalizeChatKey(value: string): string {
  const key = value.trim()
  if (/^max:\d{1,20}$/.test(key)) return key
  return normalizeChatId(key)
}

/** A whole number within a sane range (sort orders, minutes). */
export function integerIn(value: number, min: number, max: number, label: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DomainError('validation', `Поле «${label}» должно быть целым числом от ${min} до ${max}`)
  }
  return value
}

const russianCollator = new Intl.Collator('ru', { sensitivity: 'base', numeric: true })

/** Orders rows by sort order, then name as a Russian reader expects (the same on both databases). */
export function bySortOrderThenName<T extends { sort_order: number; name: string; id: number }>(a: T, b: T): number {
  return a.sort_order - b.sort_order || russianCollator.compare(a.name, b.name) || a.id - b.id
}
