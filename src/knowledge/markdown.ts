import MarkdownIt, { type Env } from 'markdown-it'
import type { ArticleImage } from '#src/db/schema.ts'

/**
 * An article's Markdown as HTML that is safe to put in a page: raw HTML is off (written as text), a link goes
 * only to http(s), to our own pages (`/…`, `#…`) or somewhere relative; a picture is shown only from our origin —
 * one of the article's own uploads, named by its file name (`![схема](printer.png)`), or a path of ours — and
 * an outside picture is its words alone (nothing is fetched from outside at run time).
 */

const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: true })

md.validateLink = (url: string) => isSafeUrl(url)

/** http(s), or no scheme at all (`/kb/5`, `#part`, `printer.png`); never `javascript:`, `data:`, `//host`. */
export function isSafeUrl(url: string): boolean {
  const trimmed = url.trim()
  if (trimmed.startsWith('//') || trimmed.startsWith('\\')) return false
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)
  if (!scheme) return true
  const name = scheme[1]?.toLowerCase()
  return name === 'http' || name === 'https'
}

/** The address of an article's picture on our site. */
export function articleImageUrl(articleId: number, imageId: number): string {
  return `/kb/${articleId}/images/${imageId}`
}

interface RenderEnv extends Env {
  articleId: number
  images: readonly Pick<ArticleImage, 'id' | 'file_name'>[]
}

function isRenderEnv(env: Env): env is RenderEnv {
  return typeof env.articleId === 'number' && Array.isArray(env.images)
}

function attr(value: string | number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value)
}

md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const token = tokens[idx]
  if (!token) return ''
  const alt = self.renderInlineAsText(token.children ?? [], options, env)
  const src = env && isRenderEnv(env) ? ownImageSource(attr(token.attrGet('src')), env) : undefined
  if (src === undefined) return md.utils.escapeHtml(alt)
  const title = attr(token.attrGet('title'))
  return `<img src="${md.utils.escapeHtml(src)}" alt="${md.utils.escapeHtml(alt)}"${
    title ? ` title="${md.utils.escapeHtml(title)}"` : ''
  } loading="lazy">`
}

const defaultLinkOpen =
  md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options))

md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const href = attr(tokens[idx]?.attrGet('href'))
  // Outside the hospital's site: a new tab, and no referrer with the article's address.
  if (/^https?:/i.test(href)) {
    tokens[idx]?.attrSet('rel', 'noopener noreferrer nofollow')
    tokens[idx]?.attrSet('target', '_blank')
  }
  return defaultLinkOpen(tokens, idx, options, env, self)
}

/** The picture's address on our site, or undefined when it would come from outside. */
function ownImageSource(src: string, env: RenderEnv): string | undefined {
  let decoded = src
  try {
    decoded = decodeURI(src)
  } catch {
    // A malformed escape: compared as it is.
  }
  const upload = env.images.find((image) => image.file_name === decoded || image.file_name === src)
  if (upload) return articleImageUrl(env.articleId, upload.id)
  if (src.startsWith('/') && !src.startsWith('//')) return src
  return undefined
}

/** The article's Markdown as safe HTML; its uploads are found by file name. */
export function renderArticle(
  body: string,
  articleId: number,
  images: readonly Pick<ArticleImage, 'id' | 'file_name'>[],
): string {
  const env: RenderEnv = { articleId, images }
  return md.render(body, env)
}
