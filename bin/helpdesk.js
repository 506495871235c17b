#!/usr/bin/env node
// Entry point of the `helpdesk` command: runs the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api'

// Personal data lives under DATA_DIR: whatever the command creates (database, backups, files) is 0600/0700.
process.umask(0o077)
register()
const { runCli } = await import('../src/cli/main.ts')
process.exitCode = await runCli(process.argv.slice(2))
