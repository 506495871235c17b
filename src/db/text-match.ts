import { type RawBuilder, type SqlBool, sql } from 'kysely'
import type { Dialect } from './database.ts'

/**
 * "This column contains this text, in any case" on both engines. PostgreSQL: ILIKE with the text made
 * literal. SQLite: its LIKE folds case for ASCII only («иванов» would miss «Иванов»), so GLOB with a
 * character class per letter (`[иИ][вВ]`), which folds any alphabet; GLOB's wildcards are made literal
 * by putting each in a class of its own.
 */
export function containsText(dialect: Dialect, column: string, text: string): RawBuilder<SqlBool> {
  return dialect === 'postgres'
    ? sql<SqlBool>`${sql.ref(column)} ilike ${`%${escapeLike(text)}%`}`
    : sql<SqlBool>`${sql.ref(column)} glob ${`*${caseInsensitiveGlob(text)}*`}`
}

/**
 * "A word of this column begins with this text, in any case": «емельянов» finds «Алла Емельянова», not
 * «Семельянов». The column's first word, or one after a space or a hyphen.
 */
export function startsWordText(dialect: Dialect, column: string, text: string): RawBuilder<SqlBool> {
  const spaced = sql`(' ' || replace(${sql.ref(column)}, '-', ' '))`
  return dialect === 'postgres'
    ? sql<SqlBool>`${spaced} ilike ${`% ${escapeLike(text)}%`}`
    : sql<SqlBool>`${spaced} glob ${`* ${caseInsensitiveGlob(text)}*`}`
}

/** LIKE and ILIKE with a literal fragment (the default escape character on PostgreSQL is the backslash). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

function caseInsensitiveGlob(text: string): string {
  let pattern = ''
  for (const c of text) {
    const lower = c.toLocaleLowerCase('ru')
    const upper = c.toLocaleUpperCase('ru')
    if (lower !== upper && [...lower].length === 1 && [...upper].length === 1) pattern += `[${lower}${upper}]`
    else if (c === '*' || c === '?' || c === '[') pattern += `[${c}]`
    else pattern += c
  }
  return pattern
}
