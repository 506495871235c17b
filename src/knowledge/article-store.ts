import type { Article, ArticleImage, Tx } from '#src/db/schema.ts'

/** An article with the names of its category and its author. */
export interface ArticleRow extends Article {
  category_name: string | null
  author_name: string | null
}

/** An article in a list: no body, but a line of it. */
export type ArticleSummary = Omit<ArticleRow, 'body'> & { excerpt: string }

const collator = new Intl.Collator('ru', { sensitivity: 'base', numeric: true })

export function byTitle(a: { title: string; id: number }, b: { title: string; id: number }): number {
  return collator.compare(a.title, b.title) || a.id - b.id
}

function articlesWithNames(db: Tx) {
  return db
    .selectFrom('articles')
    .leftJoin('categories', 'categories.id', 'articles.category_id')
    .leftJoin('users', 'users.id', 'articles.author_id')
    .selectAll('articles')
    .select(['categories.name as category_name', 'users.full_name as author_name'])
}

/** The article, archived or not. */
export async function findArticle(db: Tx, id: number): Promise<ArticleRow | undefined> {
  return articlesWithNames(db).where('articles.id', '=', id).executeTakeFirst()
}

export interface ArticleFilter {
  /** Internal ones too (IT staff). */
  includeInternal: boolean
  /** Of this category; null: of none; undefined: of any. */
  categoryId?: number | null | undefined
  /** Only these (a search's matches). */
  ids?: readonly number[] | undefined
}

/** Articles not archived, by title. */
export async function listArticleRows(db: Tx, filter: ArticleFilter): Promise<ArticleRow[]> {
  if (filter.ids !== undefined && filter.ids.length === 0) return []
  let query = articlesWithNames(db).where('articles.archived_at', 'is', null)
  if (!filter.includeInternal) query = query.where('articles.visibility', '=', 'public')
  if (filter.categoryId === null) query = query.where('articles.category_id', 'is', null)
  else if (filter.categoryId !== undefined) query = query.where('articles.category_id', '=', filter.categoryId)
  if (filter.ids !== undefined) query = query.where('articles.id', 'in', [...filter.ids])
  return (await query.execute()).sort(byTitle)
}

/** The article's pictures, oldest first. */
export async function articleImages(db: Tx, articleId: number): Promise<ArticleImage[]> {
  return db.selectFrom('article_images').selectAll().where('article_id', '=', articleId).orderBy('id').execute()
}

/** A line of the article's text without its Markdown, about `width` characters, «…» where cut. */
export function excerptOf(body: string, width = 160): string {
  const flat = plainText(body).replace(/\s+/g, ' ').trim()
  if ([...flat].length <= width) return flat
  const cut = flat.slice(0, width)
  const space = cut.lastIndexOf(' ')
  return `${(space > width / 2 ? cut.slice(0, space) : cut).trimEnd()}…`
}

/**
 * The article's text without Markdown's marks, for a Telegram message and a list's line: pictures go, a link
 * keeps its words, headings, emphasis, quotes and code lose their marks.
 */
export function plainText(body: string): string {
  return body
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^[ \t]{0,3}#{1,6}[ \t]+/gm, '')
    .replace(/^[ \t]{0,3}>[ \t]?/gm, '')
    .replace(/^[ \t]*([-*+]|\d+[.)])[ \t]+/gm, '• ')
    .replace(/(\*\*|__|`{1,3}|~~)/g, '')
    .replace(/(^|\W)[*_](\S[^*_]*\S|\S)[*_](?=\W|$)/g, '$1$2')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}
