// The B1 fuzzer's thread (see fuzz-run.ts): TypeScript through tsx, as the `helpdesk` command runs it.
import { parentPort, workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
const { runFuzz } = await import('./fuzz-run.ts')
try {
  const stats = await runFuzz(workerData, (index, label) => parentPort?.postMessage({ type: 'start', index, label }))
  parentPort?.postMessage({ type: 'done', stats })
} catch (error) {
  parentPort?.postMessage({ type: 'failed', error: String(error instanceof Error ? error.stack : error) })
}
