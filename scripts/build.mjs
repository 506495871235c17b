// `npm run build` (and `npm ci` through "prepare"): src/ → plain JavaScript in dist/, one file per source
// file, so that `helpdesk` starts without compiling TypeScript on every run (2–6 s before, issue 11).
//
// Why one file per file and not a bundle: several modules are loaded by URL relative to themselves (the PDF
// thread's documents, `new URL('./access-answer.ts', import.meta.url)`), static assets are read next to
// src/web/static.ts, and the CLI loads its commands lazily with `await import('#src/…')`. With the same
// tree in dist/ all of that keeps working as written; a bundle would move code into chunks whose
// `import.meta.url` is some other file. Packages stay in node_modules (`packages: 'external'`).
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import * as esbuild from 'esbuild'
import { isTestFile, STAMP_FILE, sourceFingerprint } from './source-fingerprint.mjs'

const ROOT = path.resolve(import.meta.dirname, '..')

/**
 * Packages made of many small modules, loaded on every start: kysely alone is 263 ES modules and took 0.5 s
 * of a 0.9 s `helpdesk users list`. Each is bundled once into dist/vendor/ (shared chunks between them) and
 * our imports of it point there. Packages with native code or files of their own (better-sqlite3, pino's
 * transport threads, pdfkit's fonts) stay in node_modules.
 */
const VENDORED = ['kysely', 'zod', 'prom-client', 'commander', 'grammy']

/**
 * Packages that only some commands need and that cost every start to load: pg (only with
 * DATABASE_URL=postgres://…; 50–90 ms, its stream setup wakes Node's fetch), exceljs (only for an XLSX; 0.6 s
 * of `serve`), pdfkit (drawn in the PDF thread; its line breaker inflates tables at load), qrcode. Our code
 * uses their default export only inside functions (`new pg.Pool`, `new PDFDocument(…)`), so our import of
 * one gets a stand-in that requires the package from node_modules on first use. The build refuses a named
 * import of one of them (that would need the package at load).
 */
const LAZY = ['pg', 'exceljs', 'pdfkit', 'qrcode']

/** Source files that are compiled; everything else under src/ (CSS, SVG, the thread's .mjs) is copied. */
const COMPILED = /\.tsx?$/

function listFiles(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return listFiles(full, base)
    return isTestFile(entry.name) ? [] : [path.relative(base, full)]
  })
}

/** `x.ts`/`x.tsx` → `x.js`: where a source file lands in the output. */
function outputName(file) {
  return file.replace(COMPILED, '.js')
}

/** `./x.js` or `../y/x.js`: a specifier Node reads as a path, never as a package name. */
function relativeImport(fromDir, file) {
  const relative = path.relative(fromDir, file).split(path.sep).join('/')
  return relative.startsWith('.') ? relative : `./${relative}`
}

/**
 * Every import of our own code becomes an external import of the compiled sibling: `'./context.ts'` →
 * `'./context.js'`, `'#src/errors.ts'` → `'../errors.js'` (dist/ has no "imports" map of its own), so each
 * output file holds its own module only and dynamic imports stay lazy.
 */
function ownImports(src, outdir) {
  return {
    name: 'helpdesk-own-imports',
    setup(build) {
      build.onResolve({ filter: new RegExp(`^(${[...VENDORED, ...LAZY].join('|')})$`) }, (args) => {
        const importerOutput = path.join(outdir, path.relative(src, args.importer))
        const target = path.join(outdir, 'vendor', `${args.path}.js`)
        return { path: relativeImport(path.dirname(importerOutput), target), external: true }
      })
      build.onResolve({ filter: /^(\.{1,2}\/|#src\/)/ }, (args) => {
        if (args.kind === 'entry-point') return undefined
        const target = args.path.startsWith('#src/')
          ? path.join(src, args.path.slice('#src/'.length))
          : path.resolve(args.resolveDir, args.path)
        if (!target.startsWith(src + path.sep) || !existsSync(target)) {
          return { errors: [{ text: `cannot resolve ${args.path} (from ${args.importer})` }] }
        }
        return { path: relativeImport(path.dirname(args.importer), outputName(target)), external: true }
      })
      // A module handed to the PDF thread by URL is named by its source file; point it at the output.
      build.onLoad({ filter: COMPILED }, (args) => {
        const text = readFileSync(args.path, 'utf8')
        for (const name of LAZY) {
          if (new RegExp(`import\\s+(?!type\\b)[^;'"]*[{*][^;'"]*from\\s+'${name}'`).test(text)) {
            return { errors: [{ text: `${name} is loaded lazily: import its default export only (import x from '${name}')` }] }
          }
        }
        const rewritten = text.replace(
          /new URL\((['"])(\.{1,2}\/[^'"]+)\.tsx?\1, import\.meta\.url\)/g,
          (_match, quote, name) => `new URL(${quote}${name}.js${quote}, import.meta.url)`,
        )
        return { contents: rewritten, loader: args.path.endsWith('x') ? 'tsx' : 'ts' }
      })
    },
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
 * One module per package in dist/vendor/, re-exporting every name the package has at run time (a CommonJS
 * package such as prom-client has no static list of named exports for a bundler to see).
 */
async function bundleVendored(root, outdir) {
  const stubs = new Map()
  for (const name of VENDORED) {
    const loaded = await import(name)
    const names = Object.keys(loaded).filter((key) => key !== 'default' && /^[A-Za-z_$][\w$]*$/.test(key))
    const lines = [`export { ${names.join(', ')} } from '${name}'`]
    if ('default' in loaded) lines.push(`export { default } from '${name}'`)
    stubs.set(name, lines.join('\n'))
  }
  for (const name of LAZY) {
    stubs.set(
      name,
      [
        'let loaded',
        `const load = () => (loaded ??= require('${name}'))`,
        // A function as the target, so that `new PDFDocument(…)` reaches the construct trap.
        'export default new Proxy(function lazy() {}, {',
        '  get: (_, key) => load()[key],',
        '  has: (_, key) => key in load(),',
        '  construct: (_, args) => Reflect.construct(load(), args),',
        '  apply: (_, self, args) => Reflect.apply(load(), self, args),',
        '})',
      ].join('\n'),
    )
  }
  return esbuild.build({
    absWorkingDir: root,
    entryPoints: [...VENDORED, ...LAZY].map((name) => ({ in: `vendor:${name}`, out: name })),
    outdir: path.join(outdir, 'vendor'),
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    sourcesContent: false,
    // Smaller to parse on every start; the maps still lead to the packages' own lines.
    minify: true,
    // The lazy ones stay in node_modules (required on first use); pg's native driver only if asked for.
    external: [...LAZY, 'pg-native'],
    // CommonJS code inside an ES module: its require() of Node's own modules needs a real require.
    banner: {
      js: [
        "import { createRequire as __helpdeskRequire } from 'node:module'",
        'const require = __helpdeskRequire(import.meta.url)',
      ].join('; '),
    },
    plugins: [
      {
        name: 'helpdesk-vendor-stubs',
        setup(build) {
          build.onResolve({ filter: /^vendor:/ }, (args) => ({
            path: args.path.slice('vendor:'.length),
            namespace: 'vendor',
          }))
          build.onLoad({ filter: /.*/, namespace: 'vendor' }, (args) => ({
            contents: stubs.get(args.path),
            resolveDir: root,
          }))
        },
      },
    ],
    write: false,
    logLevel: 'silent',
  })
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
      entryPoints: files.filter((file) => COMPILED.test(file)).map((file) => path.join(src, file)),
      outbase: src,
      outdir,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      // The maps point at src/ (shipped alongside): small maps, quick to read when a trace needs them.
      sourcesContent: false,
      tsconfig: path.join(root, 'tsconfig.json'),
      plugins: [ownImports(src, outdir)],
      write: false,
      logLevel: 'silent',
    })
    const vendor = await bundleVendored(root, outdir)
    const expected = new Set([STAMP_FILE])
    let written = 0
    for (const output of [...result.outputFiles, ...vendor.outputFiles]) {
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
