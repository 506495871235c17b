import type { Db } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'
import { articleScore, articlesWithAllWords } from './article-search.ts'
import { type ArticleSummary, excerptOf, listArticleRows } from './article-store.ts'

export interface ListArticlesInput {
  /** Words every article found holds (title or text, Russian endings aside); empty: all. */
  q?: string | undefined
  /** Of this category; null: of none; undefined: of any. */
  categoryId?: number | null | undefined
  limit?: number | undefined
}

/**
 * The articles the actor may read (public ones for requesters, internal ones too for IT staff), not archived: by
 * title, or with a search by how well they answer it (the title counts most). Each with a line of its text.
 */
export async function listArticles(db: Db, actor: Actor, input: ListArticlesInput = {}): Promise<ArticleSummary[]> {
  if (actor.role !== 'system' && actor.status !== 'active') return []
  const query = input.q?.trim() ?? ''
  const found = query === '' ? null : await articlesWithAllWords(db, query)
  const rows = await listArticleRows(db, {
    includeInternal: can(actor, 'article.view_internal'),
    categoryId: input.categoryId,
    ids: found?.ids,
  })
  if (found !== null) {
    const scores = new Map(rows.map((row) => [row.id, articleScore(row, found.terms).score]))
    rows.sort((a, b) => (scores.get(b.id) ?? 0) - (scores.get(a.id) ?? 0))
  }
  const limited = input.limit === undefined ? rows : rows.slice(0, input.limit)
  return limited.map(({ body, ...row }) => ({ ...row, excerpt: excerptOf(body) }))
}
