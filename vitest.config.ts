import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { defineConfig, type Plugin } from 'vitest/config'
// @ts-expect-error: a plain .mjs script without types
import { LAZY } from './scripts/build.mjs'

// The suite runs on SQLite (always) and on PostgreSQL (when TEST_DATABASE_URL is set), each as two projects: the
// files that share a module graph and those that keep their own (below). Tests under test/ (CLI, reliability)
// start their own processes and choose their database themselves.
const postgres = process.env.TEST_DATABASE_URL !== undefined && process.env.TEST_DATABASE_URL !== ''
// CI proves everything: a missing PostgreSQL fails the run instead of quietly skipping half the suite.
if (process.env.CI === 'true' && !postgres) throw new Error('CI needs TEST_DATABASE_URL (PostgreSQL)')

/** The test files under `folder`. */
function testFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .map((file) => path.join(folder, file))
}

/**
 * The files the `postgres` project runs again: those that open a database (through the test support's
 * database, app, web or bot harnesses, or by the dialect). A file of pure functions (formats, rules, the
 * texts) would only run twice; 23 such files cost the run a minute.
 */
const opensDatabase = /testDatabase|testDialect|TEST_DB|test\/support\/(database|api|web|bot-harness)\.ts/
/** Files that replace a module of ours with `vi.mock`: they need a module graph of their own. */
const mocksModules = /\bvi\.(mock|doMock)\(/
const contentOf = (file: string) => readFileSync(file, 'utf8')
const srcTests = testFiles('src')
const mocking = srcTests.filter((file) => mocksModules.test(contentOf(file)))
const databaseTests = srcTests.filter((file) => opensDatabase.test(contentOf(file)))
const mockingDatabaseTests = databaseTests.filter((file) => mocking.includes(file))

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
    // src/tickets).
    maxWorkers: 2,
    hookTimeout: 60_000,
    allowOnly: process.env.CI !== 'true',
    projects: [
      // The files of src/ share their worker's module graph (`isolate: false`): each file evaluated our ~430
      // modules afresh, 1.5 s of a file's 2 s (measured: src/ on SQLite 289 s → 95 s). What a file may leave
      // behind in the process (the journal's key, the directory, the clock, open databases) is put back by
      // test/support/setup.ts after every test and file. Files that mock our modules, and the tests under
      // test/ (servers, browsers and commands in processes of their own), keep a graph each.
      {
        extends: true,
        test: { name: 'sqlite', include: srcTests, exclude: mocking, isolate: false, env: { TEST_DB: 'sqlite' } },
      },
      {
        extends: true,
        test: { name: 'sqlite-isolated', include: [...mocking, 'test/**/*.test.ts'], env: { TEST_DB: 'sqlite' } },
      },
      ...(postgres
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                include: databaseTests.filter((file) => !mocking.includes(file)),
                isolate: false,
                env: { TEST_DB: 'postgres' },
              },
            },
          ]
        : []),
      ...(postgres && mockingDatabaseTests.length > 0
        ? [
            {
              extends: true as const,
              test: { name: 'postgres-isolated', include: mockingDatabaseTests, env: { TEST_DB: 'postgres' } },
            },
          ]
        : []),
    ],
  },
})
