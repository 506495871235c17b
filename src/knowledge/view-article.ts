import type { ArticleImage, Db } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { journalingArticleDenials, loadReadableArticle } from './article-access.ts'
import { type ArticleRow, articleImages } from './article-store.ts'
import { renderArticle } from './markdown.ts'

export interface ArticleView {
  article: ArticleRow
  images: ArticleImage[]
  /** The body as safe HTML (markdown.ts). */
  html: string
}

/**
 * One article the actor may read, rendered: a public one anyone active, an internal one IT staff. An internal
 * article does not exist for a requester (not_found; the attempt journaled). Articles hold no personal data: a
 * read is not journaled.
 */
export async function viewArticle(db: Db, actor: Actor, input: { id: number }): Promise<ArticleView> {
  return journalingArticleDenials(db, actor, { action: 'article.view', articleId: input.id }, async () => {
    const article = await loadReadableArticle(db, actor, input.id)
    const images = await articleImages(db, article.id)
    return { article, images, html: renderArticle(article.body, article.id, images) }
  })
}
