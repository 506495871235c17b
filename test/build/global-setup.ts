// Once per test run: the sources are built to dist/, and every `helpdesk` the tests start runs that build
// (HELPDESK_FROM_DIST=1, passed on by test/cli/helpers.ts and test/support/server-process.ts): a start in
// about 0.3 s instead of 2–6 s through tsx, and the CLI tests prove the code that ships. The build is pinned
// for the run: another engineer saving a file meanwhile must not switch later tests to tsx.
import { build } from '../../scripts/build.mjs'

export default async function setup(): Promise<void> {
  try {
    await build()
    process.env.HELPDESK_FROM_DIST = '1'
  } catch (error) {
    // CI proves the build; on a working tree a half-edited file elsewhere only costs the fast start.
    if (process.env.CI === 'true') throw error
    const message = error instanceof Error ? error.message : String(error)
    process.stderr.write(`global setup: no build (${message}); the tests run helpdesk through tsx\n`)
  }
}
