import { Readable } from 'node:stream'
import { Hono } from 'hono'
import { idParam } from '#src/api/validate.ts'
import { openStoredFile, safeFileName } from '#src/attachments/file-store.ts'
import { listCategories } from '#src/categories/category-store.ts'
import { DomainError } from '#src/errors.ts'
import { parseId } from '#src/format/ids.ts'
import { archiveArticle } from '#src/knowledge/archive-article.ts'
import { ARTICLE_BODY_MAX, ARTICLE_TITLE_MAX } from '#src/knowledge/article-rules.ts'
import { type ArticleRow, articleImages } from '#src/knowledge/article-store.ts'
import { createArticle } from '#src/knowledge/create-article.ts'
import { listArticles } from '#src/knowledge/list-articles.ts'
import { recordArticleFeedback } from '#src/knowledge/record-article-feedback.ts'
import { updateArticle } from '#src/knowledge/update-article.ts'
import { viewArticle } from '#src/knowledge/view-article.ts'
import { viewArticleImage } from '#src/knowledge/view-article-image.ts'
import { can } from '#src/users/permissions.ts'
import { attempt, FormProblem, onlyWith, outcomeOf, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { msg, t } from './i18n.ts'
import { requireSession } from './session.ts'
import { contentDisposition, formFiles, uploadProblem, withUploads } from './ticket-files.routes.tsx'
import {
  ArticleFormPage,
  ArticlePage,
  ArticlePickerList,
  type ArticleValues,
  KnowledgePage,
} from './views/knowledge.tsx'

/** The outcome line after a redirect: a fixed code in the URL, never text from it. */
const outcomes: Record<string, string> = {
  created: msg('Статья опубликована'),
  saved: msg('Статья сохранена'),
  deleted: msg('Статья удалена'),
  thanks: msg('Спасибо! Рады, что статья помогла.'),
}

/** Articles in the reply box's picker at most. */
const PICKER_LIMIT = 30

/**
 * /kb («База знаний», issue 14): the list and an article for everyone signed in (a requester sees the public ones
 * only); writing, editing and removing for IT staff; the pictures; the reply box's picker.
 */
export function knowledgeRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  const writers = onlyWith('article.manage', 'База знаний: правка')

  routes.get('/', async (c) => {
    const { db } = c.get('deps')
    const actor = c.get('actor')
    const q = (c.req.query('q') ?? '').replaceAll('\u0000', '').slice(0, 200)
    const category = c.req.query('category') ?? ''
    const categoryId = category === 'none' ? null : parseId(category)
    const articles = await listArticles(db, actor, { q, categoryId })
    const categories = await listCategories(db)
    return c.html(
      <KnowledgePage
        user={c.get('user')}
        csrf={c.get('csrf')}
        articles={articles}
        categories={categories.map((cat) => ({ id: cat.id, name: cat.name }))}
        q={q}
        category={categoryId === undefined ? '' : category}
        staff={can(actor, 'article.manage')}
        outcome={outcomeOf(c, outcomes)}
      />,
    )
  })

  routes.get('/new', writers, async (c) =>
    renderForm(c, undefined, { title: '', body: '', category: c.req.query('category') ?? '', visibility: 'public' }),
  )

  routes.post('/', writers, async (c) => {
    const values = await formValues(c)
    const files = await formFiles(c)
    let created: ArticleRow | undefined
    const refused = await attempt(
      async () => {
        const problem = uploadProblem(files)
        if (problem) throw new FormProblem(problem)
        created = await withUploads(c, files, (images) =>
          createArticle(c.get('deps').db, c.get('actor'), { ...fields(values), images }),
        )
      },
      (message) => renderForm(c, undefined, values, message),
      { forbiddenBeside: true },
    )
    return refused ?? c.redirect(`/kb/${created?.id ?? ''}?done=created`, 303)
  })

  // The reply box's list (views/knowledge.tsx `ArticlePicker`): IT staff, articles by the words typed.
  routes.get('/picker', writers, async (c) => {
    const { db, config } = c.get('deps')
    const q = (c.req.query('kb_q') ?? c.req.query('q') ?? '').replaceAll('\u0000', '').slice(0, 200)
    const articles = await listArticles(db, c.get('actor'), { q, limit: PICKER_LIMIT })
    return c.html(
      <ArticlePickerList
        articles={articles.map((a) => ({
          id: a.id,
          title: a.title,
          link: `${config.baseUrl}/kb/${a.id}`,
          visibility: a.visibility,
        }))}
      />,
    )
  })

  routes.get('/:id', async (c) => renderArticle(c, outcomeOf(c, outcomes)))

  // «Помогло» / «Не помогло» under an article: counted once a day per person; «Не помогло» goes on to a new ticket
  // in the article's category.
  routes.post('/:id/feedback', async (c) => {
    const form = await readForm(c)
    const id = idParam(c)
    const helpful = form.text('helpful', 5) === '1'
    const { db } = c.get('deps')
    await recordArticleFeedback(db, c.get('actor'), { articleIds: [id], helpful, oncePerDay: true })
    if (helpful) return c.redirect(`/kb/${id}?done=thanks`, 303)
    const article = await viewArticle(db, c.get('actor'), { id })
    const category = article.article.category_id
    return c.redirect(category === null ? '/tickets/new' : `/tickets/new?category=${category}`, 303)
  })

  routes.get('/:id/images/:imageId', async (c) => {
    const { db, config } = c.get('deps')
    const image = await viewArticleImage(db, c.get('actor'), {
      articleId: idParam(c),
      imageId: idParam(c, 'imageId'),
    })
    const stream = await openStoredFile(config.dataDir, image.sha256)
    if (!stream) throw new DomainError('not_found', 'Картинка не найдена')
    c.header('content-type', image.mime_type)
    c.header('content-disposition', contentDisposition('inline', safeFileName(image.file_name, image.sha256)))
    c.header('content-length', String(image.size))
    c.header('x-content-type-options', 'nosniff')
    c.header('cache-control', 'private, max-age=3600')
    return c.body(Readable.toWeb(stream) as ReadableStream<Uint8Array>)
  })

  routes.get('/:id/edit', writers, async (c) => {
    const view = await viewArticle(c.get('deps').db, c.get('actor'), { id: idParam(c) })
    const a = view.article
    return renderForm(c, a, {
      title: a.title,
      body: a.body,
      category: a.category_id === null ? '' : String(a.category_id),
      visibility: a.visibility,
    })
  })

  routes.post('/:id', writers, async (c) => {
    const { db } = c.get('deps')
    const actor = c.get('actor')
    const { article, images } = await viewArticle(db, actor, { id: idParam(c) })
    const values = await formValues(c)
    const files = await formFiles(c)
    const form = await readForm(c)
    const removeImageIds = images.filter((image) => form.text(`remove_image_${image.id}`) === '1').map((i) => i.id)
    const refused = await attempt(
      async () => {
        const problem = uploadProblem(files)
        if (problem) throw new FormProblem(problem)
        await withUploads(c, files, (stored) =>
          updateArticle(db, actor, { id: article.id, ...fields(values), images: stored, removeImageIds }),
        )
      },
      (message) => renderForm(c, article, values, message),
      { forbiddenBeside: true },
    )
    return refused ?? c.redirect(`/kb/${article.id}?done=saved`, 303)
  })

  routes.post('/:id/delete', writers, async (c) => {
    const id = idParam(c)
    const refused = await attempt(
      () => archiveArticle(c.get('deps').db, c.get('actor'), { id }),
      (message) => renderArticle(c, undefined, message),
      { forbiddenBeside: true },
    )
    return refused ?? c.redirect('/kb?done=deleted', 303)
  })

  return routes
}

async function formValues(c: WebContext): Promise<ArticleValues> {
  const form = await readForm(c)
  // Cut past the limit (in UTF-16 units, two for an emoji): longer text stays too long, refused by the use case.
  const over = (max: number) => (max + 1) * 2
  return {
    title: form.text('title', over(ARTICLE_TITLE_MAX)) ?? '',
    body: form.text('body', over(ARTICLE_BODY_MAX)) ?? '',
    category: form.text('category', 12) ?? '',
    visibility: form.text('visibility', 20) ?? '',
  }
}

function fields(values: ArticleValues) {
  const categoryId = values.category === '' ? null : parseId(values.category)
  if (categoryId === undefined) throw new FormProblem(t('Выберите категорию из списка'))
  return { title: values.title, body: values.body, categoryId, visibility: values.visibility }
}

async function renderArticle(c: WebContext, outcome: string | undefined, problem?: string) {
  const { db, config } = c.get('deps')
  const actor = c.get('actor')
  const view = await viewArticle(db, actor, { id: idParam(c) })
  return c.html(
    <ArticlePage
      user={c.get('user')}
      csrf={c.get('csrf')}
      article={view.article}
      html={view.html}
      images={view.images}
      staff={can(actor, 'article.manage')}
      tz={config.tzDisplay}
      outcome={outcome}
      problem={problem}
    />,
    problem ? 422 : 200,
  )
}

async function renderForm(c: WebContext, article: ArticleRow | undefined, values: ArticleValues, error?: string) {
  const { db } = c.get('deps')
  const categories = (await listCategories(db)).filter(
    (cat) => Number(cat.active) === 1 || cat.id === article?.category_id,
  )
  const images = article ? await articleImages(db, article.id) : []
  return c.html(
    <ArticleFormPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      article={article}
      images={images}
      values={values}
      categories={categories.map((cat) => ({ id: cat.id, name: cat.name }))}
      error={error}
    />,
    error ? 422 : 200,
  )
}
