// The thread that draws PDFs (src/documents/pdf-thread.ts). From the compiled build (dist/) the modules it is
// handed are JavaScript; from the sources they are TypeScript, and only then is tsx loaded (as bin/helpdesk.js
// does), so that the built command never pays for the compiler.
import { parentPort } from 'node:worker_threads'

let typescript

function loaderFor(url) {
  if (!/\.tsx?$/.test(new URL(url).pathname)) return undefined
  typescript ??= import('tsx/esm/api').then(({ register }) => register())
  return typescript
}

parentPort?.on('message', async (job) => {
  try {
    await loaderFor(job.module)
    const module = await import(job.module)
    const result = await module[job.name](...job.args)
    parentPort?.postMessage({ id: job.id, result })
  } catch (error) {
    parentPort?.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) })
  }
})
