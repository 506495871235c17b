// The thread that draws PDFs (src/documents/pdf-thread.ts): TypeScript through tsx, as bin/helpdesk.js does.
import { parentPort } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()

parentPort?.on('message', async (job) => {
  try {
    const module = await import(job.module)
    const result = await module[job.name](...job.args)
    parentPort?.postMessage({ id: job.id, result })
  } catch (error) {
    parentPort?.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) })
  }
})
