import type { Context } from 'hono'
import { isWellFormedText } from '#src/api/validate.ts'
import { DomainError } from '#src/errors.ts'
import { parseId } from '#src/format/ids.ts'
import { t } from './i18n.ts'

/** A submitted HTML form, read leniently: the use cases judge the values. */
export interface FormFields {
  text(name: string, max?: number): string | undefined
  id(name: string): number | undefined
}

/**
 * The form, or a refusal (422 page) when a field is not well-formed text: nothing of it reaches a use case.
 * Overlong text is cut to `max`, never between the two halves of a surrogate pair (an emoji).
 */
export async function readForm(c: Context): Promise<FormFields> {
  const body = await c.req.parseBody()
  for (const [name, value] of Object.entries(body)) {
    if (!isWellFormedText(name) || (typeof value === 'string' && !isWellFormedText(value))) {
      throw new DomainError(
        'validation',
        t('В форме недопустимый символ (непарный суррогат UTF-16): ничего не сохранено'),
      )
    }
  }
  const text = (name: string, max = 20_000) => {
    const value = body[name]
    return typeof value === 'string' ? cut(value.replaceAll('\u0000', ''), max) : undefined
  }
  return {
    text,
    id: (name) => parseId(text(name, 12)),
  }
}

function cut(value: string, max: number): string {
  if (value.length <= max) return value
  const code = value.charCodeAt(max - 1)
  // A high surrogate at the end would be half an emoji: stop before it.
  return value.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max)
}
