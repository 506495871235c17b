import { Worker } from 'node:worker_threads'

/**
 * Draws a document in a thread of its own: pdfkit lays out text and subsets the font synchronously, which
 * held a busy server's event loop for up to a second per document (the B1 fuzzer's «blocked» finding).
 * `module` is the file URL of a module whose export `name` returns the PDF's bytes for `args` (plain data:
 * they are copied to the thread). One thread for the process, started on first use, never holding it open.
 */

interface Job {
  resolve: (bytes: Buffer) => void
  reject: (error: Error) => void
}

let worker: Worker | undefined
let nextId = 0
const jobs = new Map<number, Job>()

function thread(): Worker {
  if (worker) return worker
  const started = new Worker(new URL('./pdf-thread-worker.mjs', import.meta.url))
  started.unref()
  started.on('message', (message: { id: number; bytes?: Uint8Array; error?: string }) => {
    const job = jobs.get(message.id)
    if (!job) return
    jobs.delete(message.id)
    if (message.bytes) job.resolve(Buffer.from(message.bytes))
    else job.reject(new Error(message.error ?? 'PDF thread failed'))
  })
  started.on('error', (error) => fail(error))
  started.on('exit', (code) => fail(new Error(`PDF thread exited with code ${code}`)))
  worker = started
  return started
}

/** Every waiting job fails with the thread, and the next job starts a new one. */
function fail(error: Error): void {
  worker = undefined
  for (const job of jobs.values()) job.reject(error)
  jobs.clear()
}

export function renderInThread(module: URL, name: string, args: readonly unknown[]): Promise<Buffer> {
  const id = ++nextId
  return new Promise<Buffer>((resolve, reject) => {
    jobs.set(id, { resolve, reject })
    const target = thread()
    // Held open while a job waits: a command that asked for a PDF gets it before the process may end.
    target.ref()
    target.postMessage({ id, module: module.href, name, args })
  }).finally(() => {
    if (jobs.size === 0) worker?.unref()
  })
}
