import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { Hono } from 'hono'
import type { AppEnv } from '#src/api/env.ts'

/**
 * The page's assets, from our own origin (no CDN: the hospital network may have no internet). Read once;
 * each URL carries a hash of its content, so browsers may keep it for a year.
 */
interface Asset {
  body: Buffer
  type: string
  hash: string
}

const here = import.meta.dirname
const require = createRequire(import.meta.url)

function load(file: string, type: string, prepare: (source: Buffer) => Buffer = (source) => source): Asset {
  const body = prepare(readFileSync(file))
  return { body, type, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) }
}

/** A comment on lines of its own, however many (our stylesheet has no other kind, and no `/*` in a string). */
const CSS_COMMENT = /^[ \t]*\/\*(?:[^*]|\*(?!\/))*\*\/[ \t]*\n/gm

/**
 * The stylesheet as sent: without its comments, which explain it to whoever reads the source but were a fifth of
 * what crossed the wire gzipped (issue 13: the dark theme fits the page's budget thanks to them going), and
 * without the indentation, the line after each `{` and the `;` before each `}` (issue 14: 5 % less gzipped).
 * Only whitespace that cannot separate two tokens goes: line breaks between declarations and selectors stay.
 */
export function stylesheetAsSent(source: Buffer): Buffer {
  return Buffer.from(
    source
      .toString('utf8')
      .replace(CSS_COMMENT, '')
      .replace(/^[ \t]+/gm, '')
      .replace(/ \{\n/g, '{')
      .replace(/;\n\}/g, '}'),
  )
}

// A Map, not an object: a name from the URL must not reach `__proto__`, `constructor` or `toString`.
const assets = new Map<string, Asset>([
  ['app.css', load(path.join(here, 'static/app.css'), 'text/css; charset=utf-8', stylesheetAsSent)],
  ['app.js', load(path.join(here, 'static/app.js'), 'text/javascript; charset=utf-8')],
  // Canned replies on the ticket page: loaded there only, where the staff member has macros (macro-picker.tsx).
  ['macros.js', load(path.join(here, 'static/macros.js'), 'text/javascript; charset=utf-8')],
  // «Вставить статью» on the ticket page (issue 14, views/knowledge.tsx `ArticlePicker`): IT staff only.
  ['kb-picker.js', load(path.join(here, 'static/kb-picker.js'), 'text/javascript; charset=utf-8')],
  ['favicon.svg', load(path.join(here, 'static/favicon.svg'), 'image/svg+xml')],
  ['htmx.min.js', load(require.resolve('htmx.org/dist/htmx.min.js'), 'text/javascript; charset=utf-8')],
])

export type AssetName = 'app.css' | 'app.js' | 'macros.js' | 'kb-picker.js' | 'favicon.svg' | 'htmx.min.js'

/** `/static/app.css?v=…`: a new content is a new URL. */
export function assetUrl(name: AssetName): string {
  return `/static/${name}?v=${assets.get(name)?.hash ?? '0'}`
}

/** The size in bytes of an asset as sent, before gzip (page weight in the notes and tests). */
export function assetSize(name: AssetName): number {
  return assets.get(name)?.body.length ?? 0
}

export function staticRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>()
  routes.get('/:name', (c) => {
    const asset = assets.get(c.req.param('name'))
    if (!asset) return c.text('Не найдено', 404)
    c.header('content-type', asset.type)
    c.header('cache-control', 'public, max-age=31536000, immutable')
    return c.body(new Uint8Array(asset.body))
  })
  return routes
}
