import { Worker } from 'node:worker_threads'

/**
 * Draws a document in a thread of its own: pdfkit lays out text and subsets the font synchronously, which
 * held a busy server's event loop for up to a second per document (the B1 fuzzer's «blocked» finding).
 * `module` is the file URL of a module whose export `name` returns the PDF's bytes for `args` (plain data:
 * they are copied to the thread). One thread for the process, started on first use, never holding it open.
 */

interface Job {
  resolve: (result: unknown) => void
  reject: (error: Error) => void
}

let worker: Worker | undefined
let nextId = 0
const jobs = new Map<number, Job>()

function thread(): Worker {
  if (worker) return worker
  const started = new Worker(new URL('./pdf-thread-worker.mjs', import.meta.url))
  started.unref()
  started.on('message', (message: { id: number; result?: unknown; error?: string }) => {
    const job = jobs.get(message.id)
    if (!job) return
    jobs.delete(message.id)
    if (message.error === undefined) job.resolve(message.result)
    else job.reject(new Error(message.error))
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

/** A PDF drawn in the thread: the export returns the document's bytes. */
export async function renderInThread(module: URL, name: string, args: readonly unknown[]): Promise<Buffer> {
  return Buffer.from(await runInThread<Uint8Array>(module, name, args))
}

/**
 * Any export in the thread whose result is plain data (structured clone: a Buffer arrives as a Uint8Array),
 * e.g. a set of documents with an archive.
 */
export function runInThread<T>(module: URL, name: string, args: readonly unknown[]): Promise<T> {
  const id = ++nextId
  return new Promise<T>((resolve, reject) => {
    jobs.set(id, { resolve: resolve as (result: unknown) => void, reject })
    const target = thread()
    // Held open while a job waits: a command that asked for a PDF gets it before the process may end.
    target.ref()
    target.postMessage({ id, module: module.href, name, args })
  }).finally(() => {
    if (jobs.size === 0) worker?.unref()
  })
}
