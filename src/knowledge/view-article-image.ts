import type { ArticleImage, Db } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { journalingArticleDenials, loadReadableArticle } from './article-access.ts'

/** A picture of an article the actor may read; not_found for any other. */
export async function viewArticleImage(
  db: Db,
  actor: Actor,
  input: { articleId: number; imageId: number },
): Promise<ArticleImage> {
  return journalingArticleDenials(db, actor, { action: 'article.view', articleId: input.articleId }, async () => {
    await loadReadableArticle(db, actor, input.articleId)
    const image = await db
      .selectFrom('article_images')
      .selectAll()
      .where('id', '=', input.imageId)
      .where('article_id', '=', input.articleId)
      .executeTakeFirst()
    if (!image) throw new DomainError('not_found', 'Картинка не найдена')
    return image
  })
}
