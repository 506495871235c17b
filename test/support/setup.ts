import { setAuditKey } from '#src/audit/journal.ts'

// Every test process journals with a fixed key, as `serve` does with the one from Config.
setAuditKey('test-audit-key-0123456789abcdef0123456789abcdef')
