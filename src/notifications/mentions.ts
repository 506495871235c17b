import type { Tx } from '#src/db/schema.ts'
import { staffRoles } from '#src/pdn/access-list.ts'

/**
 * @-mentions in internal notes (issue 13). `@Петров` names a colleague by surname — the first word of the
 * ФИО, as the hospital writes it («Петров Иван Сергеевич») — and `@i.petrov` by login; either case, «ё» as
 * «е». Only active IT staff can be mentioned (a requester never sees an internal note). A surname two
 * colleagues share mentions both: a note reaching one person too many is better than a note reaching nobody
 * in silence; the login names exactly one. An address like `ivanov@mail.ru` is not a mention.
 */

/** More than this many distinct names in one note is not a mention, it is a list: the rest are ignored. */
export const MAX_MENTIONS = 20

const MENTION = /(?<![\p{L}\p{N}_.@-])@([\p{L}\p{N}][\p{L}\p{N}_.-]*)/gu

/** Lower case, «ё» as «е»: how names are compared. */
function normalName(text: string): string {
  return text.toLocaleLowerCase('ru').replaceAll('ё', 'е')
}

/** The distinct names a text mentions, normalised, in the order they first appear. */
export function mentionTokens(body: string): string[] {
  const found = new Set<string>()
  for (const match of body.matchAll(MENTION)) {
    // «@Петров.» or «@Петров-» at the end of a sentence: the punctuation is not part of the name.
    const token = normalName((match[1] ?? '').replace(/[._-]+$/u, ''))
    if (token !== '') found.add(token)
    if (found.size >= MAX_MENTIONS) break
  }
  return [...found]
}

/** The ids of the active staff a text mentions (by surname or login). */
export async function mentionedStaff(tx: Tx, body: string): Promise<number[]> {
  const tokens = new Set(mentionTokens(body))
  if (tokens.size === 0) return []
  // The staff is a few hundred people at most; names compare in JS (SQLite's lower() knows only ASCII).
  const staff = await tx
    .selectFrom('users')
    .select(['id', 'full_name', 'login'])
    .where('status', '=', 'active')
    .where('role', 'in', [...staffRoles])
    .execute()
  return staff
    .filter((person) => {
      const surname = normalName(person.full_name.trim().split(/\s+/u)[0] ?? '')
      return tokens.has(surname) || (person.login !== null && tokens.has(normalName(person.login)))
    })
    .map((person) => person.id)
}
