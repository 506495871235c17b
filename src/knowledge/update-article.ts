import type { Updateable } from 'kysely'
import type { StoredFile } from '#src/attachments/file-store.ts'
import { audit } from '#src/audit/journal.ts'
import type { ArticlesTable, Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import type { Actor } from '#src/users/actor.ts'
import {
  checkedCategory,
  checkImages,
  insertImages,
  journalingArticleDenials,
  loadReadableArticle,
  requireArticleManage,
} from './article-access.ts'
import { checkArticleBody, checkArticleTitle, checkArticleVisibility } from './article-rules.ts'
import { indexArticle } from './article-search.ts'
import { type ArticleRow, articleImages, findArticle } from './article-store.ts'

export interface UpdateArticleInput {
  id: number
  title?: string
  body?: string
  /** null: of no category. */
  categoryId?: number | null
  visibility?: string
  /** More pictures, already stored. */
  images?: readonly StoredFile[]
  /** Pictures of the article to remove (others' ids are ignored). */
  removeImageIds?: readonly number[]
}

/** Changes an article (IT staff): its text, category, who sees it, its pictures; the index follows. */
export async function updateArticle(db: Db, actor: Actor, input: UpdateArticleInput): Promise<ArticleRow> {
  await requireArticleManage(db, actor, 'article.update', input.id)
  const title = input.title === undefined ? undefined : checkArticleTitle(input.title)
  const body = input.body === undefined ? undefined : checkArticleBody(input.body)
  const visibility = input.visibility === undefined ? undefined : checkArticleVisibility(input.visibility)
  const images = input.images ?? []
  return journalingArticleDenials(db, actor, { action: 'article.update', articleId: input.id }, () =>
    transact(db, async (tx) => {
      const article = await loadReadableArticle(tx, actor, input.id)
      const existing = await articleImages(tx, article.id)
      const removing = existing.filter((image) => input.removeImageIds?.includes(image.id)).map((image) => image.id)
      checkImages(images, existing.length - removing.length)
      const change: Updateable<ArticlesTable> = {}
      if (title !== undefined && title !== article.title) change.title = title
      if (body !== undefined && body !== article.body) change.body = body
      if (visibility !== undefined && visibility !== article.visibility) change.visibility = visibility
      if (input.categoryId !== undefined) {
        const categoryId =
          input.categoryId === article.category_id ? article.category_id : await checkedCategory(tx, input.categoryId)
        if (categoryId !== article.category_id) change.category_id = categoryId
      }
      if (Object.keys(change).length === 0 && images.length === 0 && removing.length === 0) return article
      const at = now()
      await tx
        .updateTable('articles')
        .set({ ...change, updated_at: at, updated_by: actor.id })
        .where('id', '=', article.id)
        .execute()
      if (removing.length > 0) await tx.deleteFrom('article_images').where('id', 'in', removing).execute()
      await insertImages(tx, actor, article.id, images, at)
      if (change.title !== undefined || change.body !== undefined) {
        await indexArticle(tx, { id: article.id, title: title ?? article.title, body: body ?? article.body })
      }
      await audit(tx, actor, {
        action: 'article.update',
        objectType: 'article',
        objectId: article.id,
        description: `Изменена статья базы знаний № ${article.id}`,
        details: {
          changed: Object.keys(change),
          ...(images.length > 0 ? { imagesAdded: images.length } : {}),
          ...(removing.length > 0 ? { imagesRemoved: removing } : {}),
        },
      })
      const updated = await findArticle(tx, article.id)
      if (!updated) throw new Error(`article ${article.id} vanished in its own transaction`)
      return updated
    }),
  )
}
