import { afterAll, afterEach, beforeAll } from 'vitest'
import { setAuditKey } from '#src/audit/journal.ts'
import { useDirectory } from '#src/users/login.ts'
import { restoreClock } from './clock.ts'
import { closeTestDatabases } from './database.ts'

// Runs before every test file, also when files share a worker's modules (isolate: false, vitest.config.ts):
// whatever a file may have changed of the process-wide state is put back here, not left to the next file.

beforeAll(() => {
  // Every test process journals with a fixed key, as `serve` does with the one from Config.
  setAuditKey('test-audit-key-0123456789abcdef0123456789abcdef')
  useDirectory(undefined)
})

afterEach(() => {
  restoreClock()
})

afterAll(async () => {
  await closeTestDatabases()
})
