import type { Macro, Priority } from '#src/db/schema.ts'
import { priorities } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import { limits, textLength } from '#src/tickets/rules.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'

/**
 * Canned responses («Шаблоны ответов»): whose a macro is, who may use and edit it, the placeholders of its text
 * and how they are filled. Pure functions; the use cases apply them inside their transactions.
 */

/** Personal (one staff member's), a group's (its members'), or everyone's in IT. */
export const macroScopes = ['personal', 'group', 'global'] as const
export type MacroScope = (typeof macroScopes)[number]

/** The statuses a macro may move a ticket to: what a reply usually does (take, wait for the requester, resolve). */
export const macroStatuses = ['in_progress', 'waiting', 'resolved'] as const
export type MacroStatus = (typeof macroStatuses)[number]

export const MACRO_TITLE_MAX = 200
export const MACRO_BODY_MAX = limits.body

export function scopeOf(macro: Pick<Macro, 'owner_id' | 'group_id'>): MacroScope {
  if (macro.owner_id !== null) return 'personal'
  return macro.group_id !== null ? 'group' : 'global'
}

/**
 * May the actor see and use the macro? Their own; their groups' (curators and admins, who keep the shared ones,
 * see every group's); everyone's. Someone else's personal macro is nobody else's business, an admin's included.
 */
export function mayUseMacro(
  actor: Actor,
  macro: Pick<Macro, 'owner_id' | 'group_id' | 'archived_at'>,
  memberOf: readonly number[],
): boolean {
  if (!can(actor, 'macro.use') || macro.archived_at !== null) return false
  if (macro.owner_id !== null) return macro.owner_id === actor.id
  if (macro.group_id !== null) return memberOf.includes(macro.group_id) || can(actor, 'macro.manage_shared')
  return true
}

/** May the actor change or remove the macro: their own, or a shared one if they keep the shared ones. */
export function mayEditMacro(actor: Actor, macro: Pick<Macro, 'owner_id'>): boolean {
  if (macro.owner_id !== null) return macro.owner_id === actor.id && can(actor, 'macro.use')
  return can(actor, 'macro.manage_shared')
}

/** The placeholders a macro's text may hold (what each becomes: `renderMacro`). */
export const placeholderNames = [
  'заявитель.имя',
  'заявитель.фио',
  'заявка.номер',
  'заявка.тема',
  'исполнитель.имя',
  'исполнитель.фио',
] as const
export type Placeholder = (typeof placeholderNames)[number]

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g

function isPlaceholder(name: string): name is Placeholder {
  return (placeholderNames as readonly string[]).includes(name)
}

/** The text of a macro as it may be saved: trimmed, bounded, every `{{…}}` a known placeholder. */
export function checkMacroBody(value: string): string {
  const body = value.trim()
  if (body === '') throw new DomainError('validation', 'Заполните поле «Текст шаблона»')
  if (textLength(body) > MACRO_BODY_MAX) {
    throw new DomainError('validation', `Поле «Текст шаблона» длиннее ${MACRO_BODY_MAX} символов`)
  }
  const known = placeholderNames.map((name) => `{{${name}}}`).join(', ')
  for (const match of body.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? ''
    if (!isPlaceholder(name)) {
      throw new DomainError('validation', `Неизвестная подстановка {{${name}}}. Можно использовать: ${known}`)
    }
  }
  // What is left of `{{` or `}}` once the placeholders are taken out is one written wrong.
  const rest = body.replace(PLACEHOLDER, '')
  if (rest.includes('{{') || rest.includes('}}')) {
    throw new DomainError(
      'validation',
      `Подстановка не закрыта: пишите её как {{заявитель.имя}}. Можно использовать: ${known}`,
    )
  }
  return body
}

export function checkMacroTitle(value: string): string {
  const title = value.trim()
  if (title === '') throw new DomainError('validation', 'Заполните поле «Название»')
  if (textLength(title) > MACRO_TITLE_MAX) {
    throw new DomainError('validation', `Поле «Название» длиннее ${MACRO_TITLE_MAX} символов`)
  }
  return title
}

export function checkMacroStatus(value: string | null | undefined): MacroStatus | null {
  if (value === null || value === undefined || value === '') return null
  const status = macroStatuses.find((s) => s === value)
  if (!status)
    throw new DomainError(
      'validation',
      'Шаблон может перевести заявку только «В работу», в «Ожидает ответа» или в «Решена»',
    )
  return status
}

/** A macro that resolves gives its text as the result the requester sees: it cannot be an internal note. */
export function checkMacroKind(internal: boolean, status: MacroStatus | null): void {
  if (internal && status === 'resolved') {
    throw new DomainError(
      'validation',
      'Шаблон, который решает заявку, не может быть внутренней заметкой: его текст станет результатом для заявителя',
    )
  }
}

export function checkMacroPriority(value: string | null | undefined): Priority | null {
  if (value === null || value === undefined || value === '') return null
  const priority = priorities.find((p) => p === value)
  if (!priority) throw new DomainError('validation', 'Неизвестный приоритет')
  return priority
}

/** What fills the placeholders: the ticket, its requester and the staff member using the macro. */
export interface MacroContext {
  ticket: { id: number; title: string }
  /** `hidden`: blocked (ст. 21) or destroyed (pseudonymised) — the name is not written into a message. */
  requester: { full_name: string; hidden: boolean }
  staff: { full_name: string }
}

/** Said instead of a name that may not be written: a blocked or destroyed person's. */
export const HIDDEN_NAME = 'коллега'

/**
 * How a person is addressed: «Иванова Мария Петровна» (surname first, as ФИО are stored) → «Мария Петровна»;
 * a single word stays as it is.
 */
export function greetingName(fullName: string): string {
  const words = fullName.trim().split(/\s+/)
  return words.length >= 2 ? words.slice(1).join(' ') : fullName.trim()
}

/** The macro's text with its placeholders filled; an unknown one (saved before a rename) is left as written. */
export function renderMacro(body: string, context: MacroContext): string {
  const values: Record<Placeholder, string> = {
    'заявитель.имя': context.requester.hidden ? HIDDEN_NAME : greetingName(context.requester.full_name),
    'заявитель.фио': context.requester.hidden ? HIDDEN_NAME : context.requester.full_name,
    'заявка.номер': String(context.ticket.id),
    'заявка.тема': context.ticket.title,
    'исполнитель.имя': greetingName(context.staff.full_name),
    'исполнитель.фио': context.staff.full_name,
  }
  return body.replace(PLACEHOLDER, (whole, name: string) => (isPlaceholder(name) ? values[name] : whole))
}
