import { raw } from 'hono/html'
import type { ArticleImage, User } from '#src/db/schema.ts'
import { ARTICLE_BODY_MAX, ARTICLE_TITLE_MAX, type ArticleVisibility } from '#src/knowledge/article-rules.ts'
import type { ArticleRow, ArticleSummary } from '#src/knowledge/article-store.ts'
import { articleImageUrl } from '#src/knowledge/markdown.ts'
import { dateTime } from '../format.ts'
import { msg, t } from '../i18n.ts'
import { assetUrl } from '../static.ts'
import { Layout } from './layout.tsx'
import { CsrfField, Empty, FormError, Notice, OnceField, PageHead } from './parts.tsx'

/** «База знаний» (issue 14): the list by category with a search, an article, the writer's form, the reply's picker. */

const visibilityLabels = {
  public: msg('Всем'),
  internal: msg('Только сотрудникам ИТ'),
} as const

export interface KnowledgePageProps {
  user: User
  csrf: string
  articles: ArticleSummary[]
  categories: Array<{ id: number; name: string }>
  q: string
  /** The category filter: an id, 'none', or '' for all. */
  category: string
  /** IT staff: internal articles, counts, «Новая статья». */
  staff: boolean
  outcome?: string | undefined
}

/** /kb: the articles by category (those of none last), a search by words, the category filter. */
export function KnowledgePage(props: KnowledgePageProps) {
  const groups = new Map<string, ArticleSummary[]>()
  for (const article of props.articles) {
    const name = article.category_name ?? ''
    groups.set(name, [...(groups.get(name) ?? []), article])
  }
  const searching = props.q.trim() !== ''
  const named = [...groups.keys()].filter((name) => name !== '').sort((a, b) => a.localeCompare(b, 'ru'))
  const sections = searching
    ? [{ name: t('Найдено'), articles: props.articles }]
    : [
        ...named.map((name) => ({ name, articles: groups.get(name) ?? [] })),
        ...(groups.has('') ? [{ name: t('Без категории'), articles: groups.get('') ?? [] }] : []),
      ]
  return (
    <Layout title={t('База знаний')} user={props.user} csrf={props.csrf} section="kb">
      <PageHead title={t('База знаний')}>
        {props.staff ? (
          <a class="button button--primary" href="/kb/new">
            {t('Новая статья')}
          </a>
        ) : null}
      </PageHead>
      <p class="muted">
        {props.staff
          ? t('Статьи «Всем» видят заявители, и бот предлагает их перед созданием заявки.')
          : t('Ответы на частые вопросы. Если статья не помогла — создайте заявку.')}
      </p>
      <Notice>{props.outcome}</Notice>
      <form class="filters" method="get" action="/kb" aria-label={t('Поиск по базе знаний')}>
        <div class="filters__grid">
          <label class="field">
            <span>{t('Слова')}</span>
            <input type="search" name="q" value={props.q} placeholder={t('Например, «принтер не печатает»')} />
          </label>
          <label class="field">
            <span>{t('Категория')}</span>
            <select name="category">
              <option value="">{t('— все —')}</option>
              {props.categories.map((c) => (
                <option value={String(c.id)} selected={props.category === String(c.id)}>
                  {c.name}
                </option>
              ))}
              <option value="none" selected={props.category === 'none'}>
                {t('Без категории')}
              </option>
            </select>
          </label>
        </div>
        <div class="filters__actions">
          <a class="button button--ghost" href="/kb">
            {t('Сбросить')}
          </a>
          <button type="submit" class="button">
            {t('Найти')}
          </button>
        </div>
      </form>
      {props.articles.length === 0 ? (
        <Empty>
          {searching || props.category !== '' ? (
            <>
              {t('Ничего не найдено.')} <a href="/kb">{t('Все статьи')}</a>
            </>
          ) : (
            t('Статей пока нет.')
          )}
        </Empty>
      ) : (
        <div class="stack" id="kb-results">
          {sections.map((section, index) => (
            <section class="card stack" aria-labelledby={`kb-section-${index}`}>
              <h2 id={`kb-section-${index}`}>{section.name}</h2>
              <ul class="kb-list stack">
                {section.articles.map((a) => (
                  <li id={`article-${a.id}`}>
                    <a href={`/kb/${a.id}`}>
                      <strong>{a.title}</strong>
                    </a>
                    {props.staff ? (
                      <span class="sub">
                        {t(visibilityLabels[a.visibility])}
                        {searching && a.category_name ? ` · ${a.category_name}` : ''}
                        {` · ${t('помогло: {yes}, не помогло: {no}', {
                          yes: Number(a.helpful_count),
                          no: Number(a.not_helpful_count),
                        })}`}
                      </span>
                    ) : null}
                    <p class="muted small">{a.excerpt}</p>
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </div>
      )}
    </Layout>
  )
}

export interface ArticlePageProps {
  user: User
  csrf: string
  article: ArticleRow
  html: string
  images: ArticleImage[]
  staff: boolean
  tz: string
  outcome?: string | undefined
  problem?: string | undefined
}

/** /kb/:id: the article rendered; for IT staff its counts, who wrote it, «Изменить» and «Удалить». */
export function ArticlePage(props: ArticlePageProps) {
  const a = props.article
  return (
    <Layout title={a.title} user={props.user} csrf={props.csrf} section="kb">
      <p class="crumbs">
        <a href="/kb">{`← ${t('База знаний')}`}</a>
        {a.category_name ? ` · ${a.category_name}` : ''}
      </p>
      <PageHead title={a.title}>
        {props.staff ? (
          <a class="button" href={`/kb/${a.id}/edit`}>
            {t('Изменить')}
          </a>
        ) : null}
      </PageHead>
      <Notice>{props.outcome}</Notice>
      <FormError message={props.problem} />
      {props.staff ? (
        <p class="sub">
          {t(visibilityLabels[a.visibility])}
          {` · ${t('обновлена {at}', { at: dateTime(a.updated_at, props.tz) })}`}
          {a.author_name ? ` · ${t('автор: {name}', { name: a.author_name })}` : ''}
          {` · ${t('помогло: {yes}, не помогло: {no}', {
            yes: Number(a.helpful_count),
            no: Number(a.not_helpful_count),
          })}`}
        </p>
      ) : null}
      <article class="card kb-article">{raw(props.html)}</article>
      {props.staff ? (
        <form
          method="post"
          action={`/kb/${a.id}/delete`}
          class="row-actions"
          data-confirm={t('Удалить статью «{name}»? Она пропадёт из базы знаний и из подсказок бота.', {
            name: a.title,
          })}
        >
          <CsrfField token={props.csrf} />
          <button type="submit" class="button button--ghost">
            {t('Удалить статью')}
          </button>
        </form>
      ) : (
        <form method="post" action={`/kb/${a.id}/feedback`} class="button-row" aria-label={t('Статья помогла?')}>
          <CsrfField token={props.csrf} />
          <button type="submit" name="helpful" value="1" class="button">
            {t('Помогло')}
          </button>
          <button type="submit" name="helpful" value="0" class="button button--ghost">
            {t('Не помогло — создать заявку')}
          </button>
        </form>
      )}
    </Layout>
  )
}

export interface ArticleValues {
  title: string
  body: string
  category: string
  visibility: string
}

export interface ArticleFormProps {
  user: User
  csrf: string
  article?: ArticleRow | undefined
  images: ArticleImage[]
  values: ArticleValues
  categories: Array<{ id: number; name: string }>
  error?: string | undefined
}

/** /kb/new and /kb/:id/edit: title, Markdown text, category, who sees it, pictures to upload or remove. */
export function ArticleFormPage(props: ArticleFormProps) {
  const v = props.values
  const editing = props.article
  const title = editing ? t('Статья «{name}»', { name: editing.title }) : t('Новая статья')
  return (
    <Layout title={title} user={props.user} csrf={props.csrf} section="kb">
      <p class="crumbs">
        <a href={editing ? `/kb/${editing.id}` : '/kb'}>{`← ${editing ? editing.title : t('База знаний')}`}</a>
      </p>
      <h1>{title}</h1>
      <form
        method="post"
        action={editing ? `/kb/${editing.id}` : '/kb'}
        enctype="multipart/form-data"
        class="card stack form-narrow"
      >
        <CsrfField token={props.csrf} />
        {editing ? null : <OnceField />}
        <FormError message={props.error} />
        <label class="field">
          <span>{t('Заголовок')}</span>
          <input
            name="title"
            required
            maxlength={ARTICLE_TITLE_MAX}
            value={v.title}
            placeholder={t('Например, «Принтер не печатает: что проверить»')}
          />
        </label>
        <label class="field">
          <span>{t('Текст (Markdown)')}</span>
          <textarea name="body" rows={16} maxlength={ARTICLE_BODY_MAX} required aria-describedby="kb-markdown-help">
            {v.body}
          </textarea>
        </label>
        <p id="kb-markdown-help" class="hint">
          {t(
            '**жирный**, *курсив*, # заголовок, 1. список, [ссылка](https://…). Картинку, загруженную ниже, вставьте по имени файла: ![схема](схема.png). HTML не работает.',
          )}
        </p>
        <div class="grid-2">
          <label class="field">
            <span>{t('Категория')}</span>
            <select name="category">
              <option value="">{t('— без категории —')}</option>
              {props.categories.map((c) => (
                <option value={String(c.id)} selected={v.category === String(c.id)}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            <span>{t('Кому видна')}</span>
            <select name="visibility">
              <option value="public" selected={v.visibility === 'public'}>
                {t('Всем (и заявителям, бот её предлагает)')}
              </option>
              <option value="internal" selected={v.visibility === 'internal'}>
                {t('Только сотрудникам ИТ')}
              </option>
            </select>
          </label>
        </div>
        {props.images.length > 0 ? (
          <fieldset class="stack">
            <legend>{t('Картинки статьи')}</legend>
            <ul class="kb-images">
              {props.images.map((image) => (
                <li class="kb-images__item">
                  {editing ? (
                    <img src={articleImageUrl(editing.id, image.id)} alt="" width={96} loading="lazy" />
                  ) : null}
                  <code>{`![](${image.file_name})`}</code>
                  <label class="chip">
                    <input type="checkbox" name={`remove_image_${image.id}`} value="1" />
                    {t('Убрать')}
                  </label>
                </li>
              ))}
            </ul>
          </fieldset>
        ) : null}
        <label class="field">
          <span>{t('Добавить картинки')}</span>
          <input type="file" name="files" multiple accept="image/png,image/jpeg,image/webp,image/gif" />
        </label>
        <div class="actions">
          <a href={editing ? `/kb/${editing.id}` : '/kb'} class="button button--ghost">
            {t('Отмена')}
          </a>
          <button type="submit" class="button button--primary">
            {editing ? t('Сохранить') : t('Опубликовать')}
          </button>
        </div>
      </form>
    </Layout>
  )
}

/**
 * The reply box's «Вставить статью» (IT staff): a search that asks /kb/picker for a list; choosing an article puts
 * its title and link into the reply (static/kb-picker.js). Without JavaScript, a link to the knowledge base.
 */
export function ArticlePicker() {
  return (
    <details class="kb-picker">
      <summary class="kb-picker__summary">{t('Вставить статью')}</summary>
      <div class="stack">
        <label class="field">
          <span>{t('Поиск статьи')}</span>
          <input
            type="search"
            name="kb_q"
            form="kb-picker-none"
            hx-get="/kb/picker"
            hx-trigger="input changed delay:300ms, search"
            hx-target="#kb-picker-list"
            hx-swap="innerHTML"
            placeholder={t('Слова из заголовка или текста')}
          />
        </label>
        <div id="kb-picker-list" hx-get="/kb/picker" hx-trigger="toggle from:closest details once" hx-swap="innerHTML">
          <p class="hint">
            <a href="/kb" target="_blank" rel="noopener">
              {t('Открыть базу знаний')}
            </a>
          </p>
        </div>
      </div>
      <script src={assetUrl('kb-picker.js')} defer />
    </details>
  )
}

/**
 * The picker's list: a select of articles whose values are the text to insert, and «Вставить». An internal one says
 * so: its link in a reply to the requester would open nothing for them.
 */
export function ArticlePickerList(props: {
  articles: Array<{ id: number; title: string; link: string; visibility: ArticleVisibility }>
}) {
  if (props.articles.length === 0) return <p class="hint">{t('Ничего не найдено.')}</p>
  return (
    <div class="stack">
      <select class="kb-picker__select" size={Math.min(6, Math.max(2, props.articles.length))} aria-label={t('Статьи')}>
        {props.articles.map((a, index) => (
          <option value={`${a.title}: ${a.link}`} selected={index === 0}>
            {a.visibility === 'internal' ? `${a.title} · ${t(visibilityLabels.internal)}` : a.title}
          </option>
        ))}
      </select>
      <button type="button" class="button" data-kb-insert>
        {t('Вставить ссылку в ответ')}
      </button>
    </div>
  )
}
