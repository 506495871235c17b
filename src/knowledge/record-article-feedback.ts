import { sql } from 'kysely'
import { audit } from '#src/audit/journal.ts'
import type { Db, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { mayReadArticle } from './article-rules.ts'

export interface ArticleFeedbackInput {
  /** The articles the answer is about: the one that helped, or those offered that did not. */
  articleIds: readonly number[]
  /** «Помогло» (true) or «Нет, создать заявку» (false). */
  helpful: boolean
  /**
   * The web page's buttons: a person's answer about one article counts once a day (a second click, a reload
   * of the form, is taken and not counted). The bot's answers come once per offer and always count.
   */
  oncePerDay?: boolean
}

/**
 * Counts an answer to an offer of articles: «Помогло» adds one to the article's «помогло», «Нет, создать заявку»
 * one to the «не помогло» of each offered. Only articles the person may read; nothing is filed.
 */
export async function recordArticleFeedback(db: Db, actor: Actor, input: ArticleFeedbackInput): Promise<void> {
  const ids = [...new Set(input.articleIds)]
  if (ids.length === 0) throw new DomainError('validation', 'Не указаны статьи', { field: 'article_ids' })
  await transact(db, async (tx) => {
    const articles = await tx
      .selectFrom('articles')
      .select(['id', 'visibility', 'archived_at'])
      .where('id', 'in', ids)
      .execute()
    if (articles.length !== ids.length || articles.some((a) => !mayReadArticle(actor, a))) {
      throw new DomainError('not_found', 'Статья не найдена')
    }
    if (input.oncePerDay && actor.id !== null && (await answeredToday(tx, actor.id, ids))) return
    const column = input.helpful ? 'helpful_count' : 'not_helpful_count'
    await tx
      .updateTable('articles')
      .set({ [column]: sql`${sql.ref(column)} + 1` })
      .where('id', 'in', ids)
      .execute()
    await audit(tx, actor, {
      action: input.helpful ? 'article.helpful' : 'article.not_helpful',
      objectType: 'article',
      objectId: ids.length === 1 ? ids[0] : null,
      description: input.helpful
        ? `Статья базы знаний № ${ids.join(', ')} помогла`
        : `Статьи базы знаний № ${ids.join(', ')} не помогли`,
      details: { articleIds: ids, channel: actor.channel },
    })
  })
}

/** Did this person answer about these articles in the last day? Their journal says (its actor index). */
async function answeredToday(tx: Tx, actorId: number, ids: readonly number[]): Promise<boolean> {
  const since = new Date(Date.parse(now()) - 24 * 60 * 60_000).toISOString()
  const row = await tx
    .selectFrom('audit_log')
    .select('id')
    .where('actor_id', '=', actorId)
    .where('action', 'in', ['article.helpful', 'article.not_helpful'])
    .where('object_id', 'in', ids.map(String))
    .where('at', '>=', since)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}
