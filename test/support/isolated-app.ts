import { spawn } from 'node:child_process'
import path from 'node:path'
import type { Role } from '#src/db/schema.ts'

const child = path.join(import.meta.dirname, 'isolated-app-child.ts')

export interface IsolatedAnswer {
  path: string
  status: number
  /** How long the app took, from the request to the last byte. */
  ms: number
}

/**
 * GET requests to the real app in a child process with a small heap, under a deadline. A request that
 * holds the event loop (an endless loop in a handler) cannot be stopped, or even timed, from inside the
 * process that runs it: vitest's own timeout never fires there. Here the child is killed when the requests
 * take longer than `deadlineMs` (counted once the app is up) and the promise rejects, so such a regression
 * fails the test in seconds instead of hanging CI.
 */
export function requestInIsolation(
  paths: readonly string[],
  options: { role: Role; deadlineMs: number },
): Promise<IsolatedAnswer[]> {
  const input = JSON.stringify({ role: options.role, paths })
  const proc = spawn(process.execPath, ['--max-old-space-size=192', '--import', 'tsx', child, input], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      proc.kill('SIGKILL')
      reject(new Error(why))
    }
    let deadline = setTimeout(() => fail('the app did not start within a minute'), 60_000)
    proc.stdout.on('data', (chunk: Buffer) => {
      const ready = !stdout.includes('ready\n')
      stdout += chunk.toString()
      if (ready && stdout.includes('ready\n')) {
        clearTimeout(deadline)
        const why = `the app did not answer ${paths.length} requests within ${options.deadlineMs} ms`
        deadline = setTimeout(() => fail(why), options.deadlineMs)
      }
    })
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    proc.on('close', (code) => {
      clearTimeout(deadline)
      const answers = stdout.split('\n')[1]
      if (code === 0 && answers) resolve(JSON.parse(answers) as IsolatedAnswer[])
      else reject(new Error(`the app's process ended with ${code}: ${stderr.slice(-2000)}`))
    })
  })
}
