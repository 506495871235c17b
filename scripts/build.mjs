// `npm run build` (and `npm ci` through "prepare"): src/ → plain JavaScript in dist/, so that `helpdesk` starts
// without compiling TypeScript on every run (2–6 s through tsx, issue 11).
//
// One bundle, split into chunks (esbuild `splitting`): the CLI's entry and, for each lazy
// `await import('#src/…')`, a chunk loaded only when that command runs. Loading ~340 separate modules and
// ~300 files of packages cost most of a start, so pure-JavaScript packages are bundled too; packages with
// native code or files of their own stay in node_modules (EXTERNAL), and a few that only some commands need
// are loaded on first use (LAZY).
//
// Every output file sits at the top of dist/, so `import.meta.url` means the same folder in any chunk. What
// the sources find relative to themselves is rewritten at build time: a module handed to the PDF thread
// (`new URL('./access-answer.ts', import.meta.url)`, or `new URL(import.meta.url)` for the module itself)
// becomes an entry of its own with that name, `import.meta.dirname` the source's folder under dist/, and
// the other files under src/ (static assets, the thread's .mjs) are copied with their folders.
import { randomUUID } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import * as esbuild from 'esbuild'
import { isTestFile, STAMP_FILE, sourceFingerprint } from './source-fingerprint.mjs'

const ROOT = path.resolve(import.meta.dirname, '..')

/** The CLI: bin/helpdesk.js imports dist/cli.main.js. */
const CLI_ENTRY = 'cli/main.ts'

/**
 * Left in node_modules: native code (better-sqlite3, argon2), pino (its transports run files of their own in
 * threads), tsx (development only).
 */
const EXTERNAL = ['better-sqlite3', '@node-rs/argon2', 'pino', 'pino-pretty', 'tsx']

/**
 * Packages that only some commands need and that cost every start to load: pg (only with
 * DATABASE_URL=postgres://…; 50–90 ms, its stream setup wakes Node's fetch), exceljs (only for an XLSX; 0.6 s
 * of `serve`), pdfkit (drawn in the PDF thread; reads its font metrics from its own folder), qrcode. Our code
 * uses their default export only inside functions (`new pg.Pool`, `new PDFDocument(…)`), so our import of
 * one gets a stand-in that requires the package from node_modules on first use. The build refuses a named
 * import of one of them (that would need the package at load).
 */
export const LAZY = ['pg', 'exceljs', 'pdfkit', 'qrcode']

/** Source files that are compiled; everything else under src/ (CSS, SVG, the thread's .mjs) is copied. */
const COMPILED = /\.tsx?$/

/** `new URL('./x.ts', import.meta.url)` and `new URL(import.meta.url)`: a file found relative to its source. */
const MODULE_URL = /new URL\((?:(['"])(\.{1,2}\/[^'"]+)\1, )?import\.meta\.url\)/g

function listFiles(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return listFiles(full, base)
    return isTestFile(entry.name) ? [] : [path.relative(base, full)]
  })
}

/** `pdn/access-answer.ts` → `pdn.access-answer`: an entry's name at the top of dist/. */
function entryName(relative) {
  return relative.replace(COMPILED, '').split(path.sep).join('.')
}

/** `./x.js` or `../y/x.js`: a URL or specifier read as a path, never as a package name. */
function relativeUrl(fromDir, file) {
  const relative = path.relative(fromDir, file).split(path.sep).join('/')
  return relative.startsWith('.') ? relative : `./${relative}`
}

/** What a `new URL(…, import.meta.url)` in `file` names: the source file (or other file) it points at. */
function urlTarget(file, name) {
  return name === undefined ? file : path.resolve(path.dirname(file), name)
}

/** The sources named by URL in some module: each must be an entry, to be importable by that name. */
function urlEntries(src, files) {
  const entries = new Set()
  for (const relative of files.filter((file) => COMPILED.test(file))) {
    const file = path.join(src, relative)
    for (const match of readFileSync(file, 'utf8').matchAll(MODULE_URL)) {
      const target = urlTarget(file, match[2])
      if (COMPILED.test(target) && target.startsWith(src + path.sep)) entries.add(path.relative(src, target))
    }
  }
  return [...entries]
}

/**
 * `#src/x.ts` is resolved to the source (dist/ has no "imports" map); packages are bundled unless EXTERNAL
 * or LAZY; a LAZY one becomes a stand-in; the sources' own URLs and folder are rewritten for dist/.
 */
function helpdeskPlugin(src, outdir) {
  const packageName = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/')
  return {
    name: 'helpdesk',
    setup(build) {
      build.onResolve({ filter: /^#src\// }, (args) => ({ path: path.join(src, args.path.slice('#src/'.length)) }))
      build.onResolve({ filter: /^[^./#]/ }, (args) => {
        if (args.path.startsWith('node:')) return { path: args.path, external: true }
        const name = packageName(args.path)
        if (args.namespace === 'lazy' || EXTERNAL.includes(name)) return { path: args.path, external: true }
        if (LAZY.includes(args.path)) return { path: args.path, namespace: 'lazy' }
        return undefined
      })
      build.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
        contents: [
          'let loaded',
          `const load = () => (loaded ??= require('${args.path}'))`,
          // A function as the target, so that `new PDFDocument(…)` reaches the construct trap.
          'export default new Proxy(function lazy() {}, {',
          '  get: (_, key) => load()[key],',
          '  has: (_, key) => key in load(),',
          '  construct: (_, args) => Reflect.construct(load(), args),',
          '  apply: (_, self, args) => Reflect.apply(load(), self, args),',
          '})',
        ].join('\n'),
        resolveDir: src,
      }))
      build.onLoad({ filter: COMPILED }, (args) => {
        // A package's own .ts files are esbuild's to load: read only ours.
        if (!args.path.startsWith(src + path.sep)) return undefined
        const text = readFileSync(args.path, 'utf8')
        for (const name of LAZY) {
          if (new RegExp(`import\\s+(?!type\\b)[^;'"]*[{*][^;'"]*from\\s+'${name}'`).test(text)) {
            return { errors: [{ text: `${name} is loaded lazily: import its default export only (import x from '${name}')` }] }
          }
        }
        const folder = path.relative(src, path.dirname(args.path)).split(path.sep).join('/')
        const contents = text
          .replace(MODULE_URL, (_match, _quote, name) => {
            const target = urlTarget(args.path, name)
            const inSrc = target.startsWith(src + path.sep)
            const output = !inSrc
              ? target
              : COMPILED.test(target)
                ? path.join(outdir, `${entryName(path.relative(src, target))}.js`)
                : path.join(outdir, path.relative(src, target))
            return `new URL(${JSON.stringify(relativeUrl(outdir, output))}, import.meta.url)`
          })
          .replaceAll('import.meta.dirname', folder === '' ? 'import.meta.dirname' : `(import.meta.dirname + '/${folder}')`)
        return { contents, loader: args.path.endsWith('x') ? 'tsx' : 'ts' }
      })
    },
  }
}

function removeEmptyFolders(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === '.build-lock') continue
    const folder = path.join(dir, entry.name)
    removeEmptyFolders(folder)
    if (readdirSync(folder).length === 0) rmSync(folder, { recursive: true })
  }
}

/** Writes `bytes` to `file` unless it already holds them; a temporary file and a rename, never half a file. */
function writeIfChanged(file, bytes) {
  try {
    if (Buffer.compare(readFileSync(file), bytes) === 0) return false
  } catch {
    // not there yet
  }
  mkdirSync(path.dirname(file), { recursive: true })
  const temporary = `${file}.${randomUUID()}.tmp`
  writeFileSync(temporary, bytes)
  renameSync(temporary, file)
  return true
}

/**
 * Another build (a second test run in the same tree) may be writing dist/ now: one at a time. A lock older
 * than two minutes is left over from a killed build.
 */
async function withLock(dir, work) {
  const lock = path.join(dir, '.build-lock')
  mkdirSync(dir, { recursive: true })
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(lock)
      break
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 120_000)
        rmSync(lock, { force: true, recursive: true })
      if (waited > 180_000) throw new Error(`${lock} is held by another build`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  try {
    return await work()
  } finally {
    rmSync(lock, { force: true, recursive: true })
  }
}

/**
 * Builds `root`/src into `outdir` (default dist/). Unchanged files are not rewritten, so that processes
 * running the previous build meanwhile never read a half-written module. Resolves to what it did.
 */
export async function build({ root = ROOT, outdir = path.join(root, 'dist') } = {}) {
  const src = path.join(root, 'src')
  return withLock(outdir, async () => {
    const started = performance.now()
    // Taken before reading the sources: an edit during the build leaves the stamp behind, i.e. stale.
    const fingerprint = sourceFingerprint(root)
    const files = listFiles(src)
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: [CLI_ENTRY, ...urlEntries(src, files)].map((relative) => ({
        in: path.join(src, relative),
        out: entryName(relative),
      })),
      outdir,
      chunkNames: 'chunk-[hash]',
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // The PDF thread calls an export by its function's `.name` (consent-form.ts): bundling must not rename.
      keepNames: true,
      sourcemap: 'linked',
      // The maps point at src/ and node_modules (shipped alongside): small maps, quick to read when needed.
      sourcesContent: false,
      // CommonJS packages inside ES modules: their require() of Node's own modules needs a real require.
      banner: {
        js: [
          "import { createRequire as __helpdeskRequire } from 'node:module'",
          'const require = __helpdeskRequire(import.meta.url)',
        ].join('; '),
      },
      tsconfig: path.join(root, 'tsconfig.json'),
      plugins: [helpdeskPlugin(src, outdir)],
      write: false,
      logLevel: 'silent',
    })
    const expected = new Set([STAMP_FILE])
    let written = 0
    for (const output of result.outputFiles) {
      const relative = path.relative(outdir, output.path)
      expected.add(relative)
      if (output.path.endsWith('.js') && /\.tsx?(['"]), import\.meta\.url\)/.test(output.text)) {
        throw new Error(
          `${relative}: a module URL still names a .ts file (write it as new URL('./x.ts', import.meta.url))`,
        )
      }
      if (writeIfChanged(output.path, Buffer.from(output.contents))) written++
    }
    for (const file of files.filter((name) => !COMPILED.test(name))) {
      expected.add(file)
      if (writeIfChanged(path.join(outdir, file), readFileSync(path.join(src, file)))) written++
    }
    // A source file removed since the last build must not stay importable from dist/.
    for (const file of listFiles(outdir)) {
      if (!expected.has(file) && !file.endsWith('.tmp')) rmSync(path.join(outdir, file))
    }
    removeEmptyFolders(outdir)
    writeIfChanged(
      path.join(outdir, STAMP_FILE),
      Buffer.from(`${JSON.stringify({ fingerprint, builtAt: new Date().toISOString() })}\n`),
    )
    return { files: expected.size - 1, written, ms: Math.round(performance.now() - started) }
  })
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  try {
    const { files, written, ms } = await build()
    process.stdout.write(`dist/: ${files} files (${written} changed) in ${ms} ms\n`)
  } catch (error) {
    const errors = Array.isArray(error?.errors) ? error.errors.map((e) => e.text) : []
    process.stderr.write(`build failed: ${errors.length > 0 ? errors.join('; ') : error.message}\n`)
    process.exitCode = 1
  }
}
