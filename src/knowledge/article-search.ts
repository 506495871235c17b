import { sql } from 'kysely'
import { dialectOf } from '#src/db/database.ts'
import type { Tx } from '#src/db/schema.ts'
import { ftsTerms, prefixStem, searchTerms, tsQuery, wordsBeginning } from '#src/tickets/ticket-search.ts'

/**
 * The full-text index of articles (migration 0033), the machinery of tickets' (ticket-search.ts): SQLite FTS5
 * `article_fts(title, body)` with rowid = article id, searched by prefix stems of the words; PostgreSQL
 * `article_search` with a `russian` tsvector (the title weighed above the body) under a GIN index. Writes happen
 * in the caller's transaction, beside the change they index.
 */

/** Matches read from the index at most: articles are hundreds, not millions; the rest is ranked in memory. */
const MAX_MATCHES = 500

/**
 * Words that say nothing about a problem: a description «у меня не печатает принтер» is searched by «печатает»
 * and «принтер». Also every word shorter than three letters.
 */
const stopWords = new Set(
  (
    'что как где когда почему или уже еще ещё тоже очень меня мне нас нам вас вам они она оно его её ее них ' +
    'это этот эта эти при для без под над про все всё всех был была было были есть нет надо нужно можно ' +
    'пожалуйста здравствуйте добрый день спасибо кабинет кабинете отделение отделении сегодня опять снова ' +
    'работает работают'
  ).split(' '),
)

/** Puts an article's title and body into the index, in place of what was there. */
export async function indexArticle(tx: Tx, article: { id: number; title: string; body: string }): Promise<void> {
  if (dialectOf(tx) === 'postgres') {
    await sql`insert into article_search (article_id, title, body) values (${article.id}, ${article.title}, ${article.body})
      on conflict (article_id) do update set title = excluded.title, body = excluded.body`.execute(tx)
    return
  }
  await sql`delete from article_fts where rowid = ${article.id}`.execute(tx)
  await sql`insert into article_fts (rowid, title, body) values (${article.id}, ${article.title}, ${article.body})`.execute(
    tx,
  )
}

/**
 * Ids of the articles whose title and body hold every word of the query (a search box's meaning), and the words
 * (to rank them by). Null when the query has no words.
 */
export async function articlesWithAllWords(tx: Tx, query: string): Promise<{ ids: number[]; terms: string[] } | null> {
  const terms = searchTerms(query)
  if (terms.length === 0) return null
  return { ids: await matchIds(tx, terms, 'all'), terms }
}

/**
 * Ids of the articles holding any telling word of a free description (the bot's offer): the words that say
 * nothing are dropped first. Null when none is left.
 */
export async function articlesWithAnyWord(
  tx: Tx,
  description: string,
): Promise<{ ids: number[]; terms: string[] } | null> {
  const terms = tellingTerms(description)
  if (terms.length === 0) return null
  return { ids: await matchIds(tx, terms, 'any'), terms }
}

/** The words of a description worth searching for. */
function tellingTerms(text: string): string[] {
  return searchTerms(text).filter((term) => [...term].length >= 3 && !stopWords.has(term) && !/^\d+$/.test(term))
}

/** The tickets' query builders (ticket-search.ts) over the articles' index. */
async function matchIds(tx: Tx, terms: readonly string[], mode: 'all' | 'any'): Promise<number[]> {
  const any = mode === 'any'
  if (dialectOf(tx) === 'postgres') {
    const rows = await sql<{ id: number }>`select article_id as id from article_search
      where tsv @@ to_tsquery('russian', ${tsQuery(terms, any)}) limit ${MAX_MATCHES}`.execute(tx)
    return rows.rows.map((r) => Number(r.id))
  }
  const rows = await sql<{ id: number }>`select rowid as id from article_fts
    where article_fts match ${`{title body} : (${ftsTerms(terms, any)})`} limit ${MAX_MATCHES}`.execute(tx)
  return rows.rows.map((r) => Number(r.id))
}

/**
 * How well an article answers the words (more is better): a word in the title counts most, in the body a few
 * times at most. `distinct`: how many of the words it holds at all.
 */
export function articleScore(
  article: { title: string; body: string },
  terms: readonly string[],
): { score: number; distinct: number; inTitle: number } {
  let score = 0
  let distinct = 0
  let inTitle = 0
  for (const term of terms) {
    const stem = prefixStem(term)
    const title = wordsBeginning(article.title, stem, 2)
    const body = wordsBeginning(article.body, stem, 3)
    if (title > 0) inTitle++
    if (title > 0 || body > 0) distinct++
    score += (title > 0 ? 6 : 0) + body
  }
  return { score, distinct, inTitle }
}
