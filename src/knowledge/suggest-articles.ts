import type { Tx } from '#src/db/schema.ts'
import { articleScore, articlesWithAnyWord } from './article-search.ts'
import { type ArticleRow, byTitle, listArticleRows } from './article-store.ts'

/** Articles offered at most before a ticket is filed. */
const MAX_SUGGESTIONS = 3

/**
 * The public articles that may answer a problem before it becomes a ticket (the bot, after the description): of
 * the chosen category, its parent, or of none, holding the description's telling words — at least one in the
 * title, or two anywhere. The best first (title words count most, then the category's own), at most three; none
 * when nothing fits, and the dialogue goes on exactly as without a knowledge base. Reads only.
 */
export async function suggestArticles(
  tx: Tx,
  input: { categoryId: number; description: string },
): Promise<ArticleRow[]> {
  const found = await articlesWithAnyWord(tx, input.description)
  if (!found || found.ids.length === 0) return []
  const category = await tx
    .selectFrom('categories')
    .select(['id', 'parent_id'])
    .where('id', '=', input.categoryId)
    .executeTakeFirst()
  const categories = new Set([input.categoryId, ...(category?.parent_id ? [category.parent_id] : [])])
  const rows = await listArticleRows(tx, { includeInternal: false, ids: found.ids })
  return rows
    .filter((row) => row.category_id === null || categories.has(row.category_id))
    .map((row) => ({ row, ...articleScore(row, found.terms) }))
    .filter((hit) => hit.inTitle >= 1 || hit.distinct >= 2)
    .map((hit) => ({ ...hit, score: hit.score + (hit.row.category_id === input.categoryId ? 2 : 0) }))
    .sort((a, b) => b.score - a.score || byTitle(a.row, b.row))
    .slice(0, MAX_SUGGESTIONS)
    .map((hit) => hit.row)
}
