import { checkFiles } from '#src/attachments/attach-files.ts'
import { isPreviewableImage, type StoredFile } from '#src/attachments/file-store.ts'
import { auditDenied } from '#src/audit/denied.ts'
import type { Db, Tx } from '#src/db/schema.ts'
import { DomainError, isDomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { ARTICLE_IMAGES_MAX, ARTICLE_IMAGES_PER_SAVE, mayReadArticle } from './article-rules.ts'
import { type ArticleRow, findArticle } from './article-store.ts'

/**
 * The steps the article use cases share: the writers' door (IT staff), loading an article the actor may read, the
 * category and pictures of a save, and journaling a refusal after its transaction has rolled back.
 */

/** Refuses (journaled, 403) anyone who may not write articles: requesters, accounts that may not act. */
export async function requireArticleManage(db: Db, actor: Actor, action: string, articleId?: number): Promise<void> {
  await authorize(
    db,
    actor,
    'article.manage',
    {
      action,
      objectType: 'article',
      objectId: articleId ?? null,
      description:
        articleId === undefined ? 'Отказано в изменении базы знаний' : `Отказано в действии со статьёй № ${articleId}`,
    },
    'Статьи базы знаний пишут сотрудники ИТ-отдела',
  )
}

/** The article, if the actor may read it; an internal one does not exist for a requester (not_found). */
export async function loadReadableArticle(tx: Tx, actor: Actor, articleId: number): Promise<ArticleRow> {
  const article = await findArticle(tx, articleId)
  if (!article || !mayReadArticle(actor, article)) throw new DomainError('not_found', 'Статья не найдена')
  return article
}

/**
 * Runs an article use case; an article that exists but is hidden from the actor is journaled as denied in a
 * transaction of its own (the use case's has rolled back), then the refusal is rethrown.
 */
export async function journalingArticleDenials<T>(
  db: Db,
  actor: Actor,
  attempt: { action: string; articleId: number },
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (isDomainError(error) && (error.code === 'not_found' || error.code === 'forbidden')) {
      const article = await findArticle(db, attempt.articleId)
      const hidden = article !== undefined && article.archived_at === null && !mayReadArticle(actor, article)
      if (error.code === 'forbidden' || hidden) {
        await auditDenied(db, actor, {
          action: attempt.action,
          objectType: 'article',
          objectId: attempt.articleId,
          description: `Отказано в действии ${attempt.action} со статьёй № ${attempt.articleId}`,
          details: hidden ? { reason: 'not_visible' } : null,
        })
      }
    }
    throw error
  }
}

/** The category of an article: none, or one that exists. */
export async function checkedCategory(tx: Tx, categoryId: number | null | undefined): Promise<number | null> {
  if (categoryId === null || categoryId === undefined) return null
  const found = await tx.selectFrom('categories').select('id').where('id', '=', categoryId).executeTakeFirst()
  if (!found) throw new DomainError('validation', 'Категория не найдена', { field: 'category_id' })
  return categoryId
}

/** The pictures of one save: files as every upload (attach-files.ts), images only (by their bytes), not too many. */
export function checkImages(images: readonly StoredFile[], already: number): void {
  if (images.length > ARTICLE_IMAGES_PER_SAVE) {
    throw new DomainError('validation', `За один раз — не больше ${ARTICLE_IMAGES_PER_SAVE} картинок`, {
      field: 'images',
    })
  }
  if (already + images.length > ARTICLE_IMAGES_MAX) {
    throw new DomainError('validation', `У статьи — не больше ${ARTICLE_IMAGES_MAX} картинок`, { field: 'images' })
  }
  checkFiles(images)
  for (const image of images) {
    if (!isPreviewableImage(image.mimeType)) {
      throw new DomainError('validation', `«${image.fileName}» — не картинка: подойдут JPEG, PNG, WebP или GIF`, {
        field: 'images',
      })
    }
  }
}

/** Adds the pictures to the article (rows pointing at files already stored). */
export async function insertImages(
  tx: Tx,
  actor: Actor,
  articleId: number,
  images: readonly StoredFile[],
  at: string,
): Promise<void> {
  if (images.length === 0) return
  await tx
    .insertInto('article_images')
    .values(
      images.map((image) => ({
        article_id: articleId,
        sha256: image.sha256,
        file_name: image.fileName,
        mime_type: image.mimeType,
        size: image.size,
        created_by: actor.id,
        created_at: at,
      })),
    )
    .execute()
}
