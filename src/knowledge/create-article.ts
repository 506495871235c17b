import type { StoredFile } from '#src/attachments/file-store.ts'
import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import type { Actor } from '#src/users/actor.ts'
import { checkedCategory, checkImages, insertImages, requireArticleManage } from './article-access.ts'
import { checkArticleBody, checkArticleTitle, checkArticleVisibility } from './article-rules.ts'
import { indexArticle } from './article-search.ts'
import { type ArticleRow, findArticle } from './article-store.ts'

export interface CreateArticleInput {
  title: string
  /** Markdown; a picture uploaded with it is named by its file name: `![схема](printer.png)`. */
  body: string
  categoryId?: number | null
  /** public — everyone (and the bot offers it); internal — IT staff only. */
  visibility: string
  /** Pictures already stored (attachments/held-files.ts `withStoredFiles`). */
  images?: readonly StoredFile[]
}

/** Writes an article of the knowledge base (IT staff), indexes it for search, with its pictures. */
export async function createArticle(db: Db, actor: Actor, input: CreateArticleInput): Promise<ArticleRow> {
  await requireArticleManage(db, actor, 'article.create')
  const title = checkArticleTitle(input.title)
  const body = checkArticleBody(input.body)
  const visibility = checkArticleVisibility(input.visibility)
  const images = input.images ?? []
  checkImages(images, 0)
  return transact(db, async (tx) => {
    const categoryId = await checkedCategory(tx, input.categoryId)
    const at = now()
    const created = await tx
      .insertInto('articles')
      .values({
        title,
        body,
        category_id: categoryId,
        visibility,
        author_id: actor.id,
        updated_by: actor.id,
        created_at: at,
        updated_at: at,
        archived_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await insertImages(tx, actor, created.id, images, at)
    await indexArticle(tx, { id: created.id, title, body })
    await audit(tx, actor, {
      action: 'article.create',
      objectType: 'article',
      objectId: created.id,
      description: `Создана статья базы знаний № ${created.id}`,
      details: { visibility, categoryId, images: images.length },
    })
    const article = await findArticle(tx, created.id)
    if (!article) throw new Error(`article ${created.id} vanished in its own transaction`)
    return article
  })
}
