import type { Article } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import { textLength } from '#src/tickets/rules.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'

/**
 * «База знаний» (issue 14): who reads which article, who writes them, and what a title and a body may be. Pure
 * functions; the use cases apply them inside their transactions.
 */

/** Public: everyone with an account reads it, and the bot offers it; internal: IT staff only. */
export const articleVisibilities = ['public', 'internal'] as const
export type ArticleVisibility = (typeof articleVisibilities)[number]

export const ARTICLE_TITLE_MAX = 200
export const ARTICLE_BODY_MAX = 50_000
/** Pictures uploaded with one save, and on one article at most. */
export const ARTICLE_IMAGES_PER_SAVE = 10
export const ARTICLE_IMAGES_MAX = 40

/** May the actor read this article: a public one anyone active; an internal one IT staff; an archived one nobody. */
export function mayReadArticle(actor: Actor, article: Pick<Article, 'visibility' | 'archived_at'>): boolean {
  if (actor.role !== 'system' && actor.status !== 'active') return false
  if (article.archived_at !== null) return false
  return article.visibility === 'public' || can(actor, 'article.view_internal')
}

export function checkArticleTitle(title: string): string {
  const trimmed = title.trim().replace(/\s+/g, ' ')
  if (trimmed === '') throw new DomainError('validation', 'Введите заголовок статьи', { field: 'title' })
  if (textLength(trimmed) > ARTICLE_TITLE_MAX) {
    throw new DomainError('validation', `Заголовок длиннее ${ARTICLE_TITLE_MAX} символов`, { field: 'title' })
  }
  return trimmed
}

export function checkArticleBody(body: string): string {
  const text = body.replace(/\r\n?/g, '\n').trimEnd()
  if (text.trim() === '') throw new DomainError('validation', 'Напишите текст статьи', { field: 'body' })
  if (textLength(text) > ARTICLE_BODY_MAX) {
    throw new DomainError('validation', `Текст статьи длиннее ${ARTICLE_BODY_MAX} символов`, { field: 'body' })
  }
  return text
}

export function checkArticleVisibility(visibility: string): ArticleVisibility {
  const found = articleVisibilities.find((v) => v === visibility)
  if (!found) throw new DomainError('validation', 'Выберите, кому видна статья', { field: 'visibility' })
  return found
}
