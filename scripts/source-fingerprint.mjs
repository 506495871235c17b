// What the compiled build in dist/ was made from, so that `bin/helpdesk.js` can tell a stale build cheaply
// (one stat per file, no reading, ~2 ms for src/) and never run old code after someone edited src/.
// Plain JavaScript: the bin imports it before it knows whether it may use tsx.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'

/** Besides src/, what changes the output: subpath imports and JSX settings, and the build itself. */
const INPUTS = ['package.json', 'tsconfig.json', 'scripts/build.mjs']

/** The build's record in its output folder. */
export const STAMP_FILE = '.build-stamp.json'

/**
 * A hash of the path, size and modification time of every file and folder under src/ and of INPUTS.
 * A folder's time covers files added or removed; an edit changes a file's time even when it keeps the size.
 * Tests (`*.test.ts`) are left out: they are not built, and editing one must not make the build stale.
 */
export function sourceFingerprint(root) {
  const hash = createHash('sha256')
  const add = (relative) => {
    const stat = statSync(path.join(root, relative))
    hash.update(`${relative}\0${stat.size}\0${stat.mtimeMs}\n`)
    return stat
  }
  const walk = (relative) => {
    add(relative)
    const entries = readdirSync(path.join(root, relative), { withFileTypes: true })
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      const child = path.join(relative, entry.name)
      if (entry.isDirectory()) walk(child)
      else if (!isTestFile(entry.name)) add(child)
    }
  }
  walk('src')
  for (const input of INPUTS) add(input)
  return hash.digest('hex')
}

/** Test files stay out of the build and of its fingerprint. */
export function isTestFile(name) {
  return /\.test\.tsx?$/.test(name)
}

/**
 * `fresh` when the stamp in `dist` names the sources as they are now; `missing` without a build; `stale`
 * otherwise. Without src/ (an install that ships only the build) the build is all there is: `fresh`.
 */
export function buildStatus(root, dist) {
  let stamp
  try {
    stamp = JSON.parse(readFileSync(path.join(dist, STAMP_FILE), 'utf8'))
  } catch {
    return 'missing'
  }
  let now
  try {
    now = sourceFingerprint(root)
  } catch (error) {
    if (error?.code === 'ENOENT') return 'fresh'
    throw error
  }
  return stamp?.fingerprint === now ? 'fresh' : 'stale'
}
