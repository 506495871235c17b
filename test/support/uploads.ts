// Uploads through the real web app: an app over a test database with its own data folder for files, and
// multipart forms as a browser sends them (TESTING.md B2 and the files' route tests).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Hono } from 'hono'
import type { AppEnv } from '#src/api/env.ts'
import type { Db } from '#src/db/schema.ts'
import { testApp, testConfig } from './api.ts'
import { testDatabase } from './database.ts'
import type { WebUser } from './web.ts'

const folders: string[] = []

/** The real app over a fresh test database, with a data folder of its own (removed by `removeDataFolders`). */
export async function appWithDataFolder(prefix = 'helpdesk-files-'): Promise<{
  db: Db
  app: Hono<AppEnv>
  dataDir: string
}> {
  const { db } = await testDatabase()
  const dataDir = mkdtempSync(path.join(tmpdir(), prefix))
  folders.push(dataDir)
  const { app } = testApp(db, testConfig({ dataDir }))
  return { db, app, dataDir }
}

/** For `afterAll`: removes every data folder `appWithDataFolder` made in this test file. */
export function removeDataFolders(): void {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
}

/** A 1×1 PNG. */
export const PNG = Uint8Array.from(
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  ),
)

export interface Upload {
  name: string
  type: string
  bytes: Uint8Array
}

/** A multipart form as a browser sends it: the fields, the files, and (unless `csrf` is false) the CSRF token. */
export function multipartForm(
  who: WebUser,
  fields: Record<string, string>,
  files: readonly Upload[],
  { csrf = true } = {},
): FormData {
  const form = new FormData()
  if (csrf) form.set('_csrf', who.csrf)
  for (const [name, value] of Object.entries(fields)) form.set(name, value)
  for (const f of files) form.append('files', new File([f.bytes], f.name, { type: f.type }))
  return form
}

/** Posts `multipartForm(...)` as the signed-in person; the answer's status, redirect and text. */
export async function postMultipart(
  app: Hono<AppEnv>,
  url: string,
  who: WebUser,
  fields: Record<string, string>,
  files: readonly Upload[] = [],
  options: { csrf?: boolean } = {},
): Promise<{ status: number; location: string | null; text: string }> {
  const body = multipartForm(who, fields, files, options)
  const response = await app.request(url, { method: 'POST', body, headers: { cookie: who.cookie } })
  return { status: response.status, location: response.headers.get('location'), text: await response.text() }
}
