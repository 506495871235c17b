import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import type { Actor } from '#src/users/actor.ts'
import { journalingArticleDenials, loadReadableArticle, requireArticleManage } from './article-access.ts'
import { indexArticle } from './article-search.ts'

/**
 * Removes an article (IT staff): it is no longer listed, found nor offered by the bot. The row stays, archived,
 * for the journal's references; its index entry is emptied.
 */
export async function archiveArticle(db: Db, actor: Actor, input: { id: number }): Promise<void> {
  await requireArticleManage(db, actor, 'article.delete', input.id)
  await journalingArticleDenials(db, actor, { action: 'article.delete', articleId: input.id }, () =>
    transact(db, async (tx) => {
      const article = await loadReadableArticle(tx, actor, input.id)
      const at = now()
      await tx
        .updateTable('articles')
        .set({ archived_at: at, updated_at: at, updated_by: actor.id })
        .where('id', '=', article.id)
        .execute()
      await indexArticle(tx, { id: article.id, title: '', body: '' })
      await audit(tx, actor, {
        action: 'article.delete',
        objectType: 'article',
        objectId: article.id,
        description: `Удалена статья базы знаний № ${article.id}`,
        details: { visibility: article.visibility },
      })
    }),
  )
}
