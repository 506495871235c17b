import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { defineConfig, type Plugin } from 'vitest/config'
// @ts-expect-error: a plain .mjs script without types
import { LAZY } from './scripts/build.mjs'

// Two projects run the same suite: `sqlite` (always) and `postgres` (when TEST_DATABASE_URL is set).
// Tests under test/ (CLI, reliability) start their own processes and choose their database themselves.
const postgres = process.env.TEST_DATABASE_URL !== undefined && process.env.TEST_DATABASE_URL !== ''
// CI proves everything: a missing PostgreSQL fails the run instead of quietly skipping half the suite.
if (process.env.CI === 'true' && !postgres) throw new Error('CI needs TEST_DATABASE_URL (PostgreSQL)')

/**
 * The files the `postgres` project runs again: those that open a database (through the test support's
 * database, app, web or bot harnesses, or by the dialect). A file of pure functions (formats, rules, the
 * texts) would only run twice; 23 such files cost the run a minute.
 */
function databaseTests(folder: string): string[] {
  const opens = /testDatabase|testDialect|TEST_DB|test\/support\/(database|api|web|bot-harness)\.ts/
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .map((file) => path.join(folder, file))
    .filter((file) => opens.test(readFileSync(file, 'utf8')))
}

/**
 * The packages the build loads on first use (scripts/build.mjs `LAZY`: exceljs, pdfkit, qrcode, pg) are loaded so
 * in the tests too: our sources use only their default export inside functions, and a test file that builds the
 * app paid ~0.8 s to load them whether it drew a workbook or not (measured: imports of three web test files
 * 12.2 s → see CHANGELOG). The stand-in requires the package at its first use, as dist/ does.
 */
const lazyPackages: Plugin = {
  name: 'helpdesk-lazy-packages',
  enforce: 'pre',
  resolveId(id, importer) {
    if (!(LAZY as string[]).includes(id) || !importer?.startsWith(`${import.meta.dirname}/src/`)) return null
    return `\0lazy:${id}`
  },
  load(id) {
    if (!id.startsWith('\0lazy:')) return null
    const name = id.slice('\0lazy:'.length)
    return [
      "import { createRequire } from 'node:module'",
      `const require = createRequire(${JSON.stringify(`${import.meta.dirname}/package.json`)})`,
      'let loaded',
      `const load = () => (loaded ??= require(${JSON.stringify(name)}))`,
      'export default new Proxy(function lazy() {}, {',
      '  get: (_, key) => load()[key],',
      '  has: (_, key) => key in load(),',
      '  construct: (_, args) => Reflect.construct(load(), args),',
      '  apply: (_, self, args) => Reflect.apply(load(), self, args),',
      '})',
    ].join('\n')
  },
}

export default defineConfig({
  plugins: [lazyPackages],
  resolve: { alias: [{ find: /^#src\/(.*)$/, replacement: `${import.meta.dirname}/src/$1` }] },
  test: {
    setupFiles: ['test/support/setup.ts'],
    // The commands the tests start run the compiled build, made once here (bin/helpdesk.js, issue 11).
    globalSetup: ['test/build/global-setup.ts'],
    testTimeout: 30_000,
    // Both cores: left to itself vitest ran one file at a time here (measured: 72 s → 54 s on src/api and
    // src/tickets). Files stay isolated: a shared module graph was 3× faster still, but let one file's
    // process-wide state reach the next.
    maxWorkers: 2,
    hookTimeout: 60_000,
    allowOnly: process.env.CI !== 'true',
    projects: [
      {
        extends: true,
        test: { name: 'sqlite', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], env: { TEST_DB: 'sqlite' } },
      },
      ...(postgres
        ? [
            {
              extends: true as const,
              test: { name: 'postgres', include: databaseTests('src'), env: { TEST_DB: 'postgres' } },
            },
          ]
        : []),
    ],
  },
})
