import { Hono } from 'hono'
import { z } from 'zod'
import type { ArticleImage } from '#src/db/schema.ts'
import { archiveArticle } from '#src/knowledge/archive-article.ts'
import { ARTICLE_BODY_MAX, ARTICLE_TITLE_MAX, articleVisibilities } from '#src/knowledge/article-rules.ts'
import type { ArticleRow, ArticleSummary } from '#src/knowledge/article-store.ts'
import { createArticle } from '#src/knowledge/create-article.ts'
import { listArticles } from '#src/knowledge/list-articles.ts'
import { articleImageUrl } from '#src/knowledge/markdown.ts'
import { recordArticleFeedback } from '#src/knowledge/record-article-feedback.ts'
import { updateArticle } from '#src/knowledge/update-article.ts'
import { viewArticle } from '#src/knowledge/view-article.ts'
import { authenticate } from './authenticate.ts'
import type { ApiEnv } from './env.ts'
import { dbId, idParam, jsonBody, q, queryOf, text } from './validate.ts'

export const articleListQuery = z
  .object({
    /** Words every article found holds (title or text). */
    q: text(200).optional(),
    category_id: q.int().optional(),
    limit: q.int(1, 500).optional(),
  })
  .strict()

export const createArticleBody = z
  .object({
    title: text(ARTICLE_TITLE_MAX),
    /** Markdown: no HTML; links http(s) or relative; pictures are uploaded through the web. */
    body: text(ARTICLE_BODY_MAX * 2),
    category_id: dbId().nullable().optional(),
    /** public — everyone, and the bot offers it; internal — IT staff only. */
    visibility: z.enum(articleVisibilities),
  })
  .strict()

export const updateArticleBody = createArticleBody
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'Укажите, что изменить')

export const articleFeedbackBody = z.object({ helpful: z.boolean() }).strict()

function presentSummary(article: ArticleSummary) {
  return {
    id: article.id,
    title: article.title,
    excerpt: article.excerpt,
    category_id: article.category_id,
    category_name: article.category_name,
    visibility: article.visibility,
    helpful_count: Number(article.helpful_count),
    not_helpful_count: Number(article.not_helpful_count),
    author_id: article.author_id,
    created_at: article.created_at,
    updated_at: article.updated_at,
  }
}

/** An article as the API shows it: its Markdown, the safe HTML of it, its pictures' addresses on our site. */
export function presentArticle(article: ArticleRow, html: string, images: readonly ArticleImage[]) {
  const { body, ...rest } = article
  return {
    ...presentSummary({ ...rest, excerpt: '' }),
    body,
    html,
    images: images.map((image) => ({
      id: image.id,
      file_name: image.file_name,
      mime_type: image.mime_type,
      size: image.size,
      url: articleImageUrl(article.id, image.id),
    })),
    archived_at: article.archived_at,
  }
}

/** /articles: the knowledge base («База знаний») — read by everyone (public ones), written by IT staff. */
export function articleRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)

  routes.get('/', async (c) => {
    const query = queryOf(c, articleListQuery)
    const items = await listArticles(c.get('deps').db, c.get('actor'), {
      q: query.q,
      categoryId: query.category_id,
      limit: query.limit,
    })
    return c.json({ items: items.map(presentSummary) })
  })

  routes.post('/', async (c) => {
    const body = await jsonBody(c, createArticleBody)
    const { db } = c.get('deps')
    const actor = c.get('actor')
    const article = await createArticle(db, actor, {
      title: body.title,
      body: body.body,
      categoryId: body.category_id,
      visibility: body.visibility,
    })
    const view = await viewArticle(db, actor, { id: article.id })
    return c.json(presentArticle(view.article, view.html, view.images), 201)
  })

  routes.get('/:id', async (c) => {
    const view = await viewArticle(c.get('deps').db, c.get('actor'), { id: idParam(c) })
    return c.json(presentArticle(view.article, view.html, view.images))
  })

  routes.patch('/:id', async (c) => {
    const id = idParam(c)
    const body = await jsonBody(c, updateArticleBody)
    const { db } = c.get('deps')
    const actor = c.get('actor')
    await updateArticle(db, actor, {
      id,
      title: body.title,
      body: body.body,
      categoryId: body.category_id,
      visibility: body.visibility,
    })
    const view = await viewArticle(db, actor, { id })
    return c.json(presentArticle(view.article, view.html, view.images))
  })

  routes.delete('/:id', async (c) => {
    await archiveArticle(c.get('deps').db, c.get('actor'), { id: idParam(c) })
    return c.body(null, 204)
  })

  routes.post('/:id/feedback', async (c) => {
    const id = idParam(c)
    const body = await jsonBody(c, articleFeedbackBody)
    await recordArticleFeedback(c.get('deps').db, c.get('actor'), { articleIds: [id], helpful: body.helpful })
    return c.body(null, 204)
  })

  return routes
}
