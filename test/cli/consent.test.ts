import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { expect, test } from 'vitest'
import { CLI_TIMEOUT, freshEnv, helpdesk, withFileDatabase } from './helpers.ts'

test('helpdesk consent show | publish --file: the text in force, a new version journaled with the OS user', {
  timeout: CLI_TIMEOUT,
}, async () => {
  const env = await freshEnv()
  const help = await helpdesk(env, ['consent', '--help'])
  expect(help.code).toBe(0)
  expect(help.stdout).toContain('show')
  expect(help.stdout).toContain('publish')
  expect(help.stdout).toContain('helpdesk consent publish --file soglasie-v2.md')

  const shown = await helpdesk(env, ['consent', 'show'])
  expect(shown.code).toBe(0)
  expect(shown.stdout).toContain('Действующий текст: версия 1')
  expect(shown.stdout).toContain('Цель обработки')

  const file = path.join(env.dataDir, 'согласие-v2.md')
  writeFileSync(file, '\uFEFFСогласие на обработку ПДн, версия 2.\n\nЦель обработки: заявки в ИТ-отдел.\n')
  const published = await helpdesk(env, ['consent', 'publish', '--file', file])
  expect(published.stderr).toBe('')
  expect(published.code).toBe(0)
  expect(published.stdout).toMatch(/^Опубликована версия 2 текста согласия \(SHA-256 [0-9a-f]{64}\)\n$/)

  const [again, missing, json] = await Promise.all([
    helpdesk(env, ['consent', 'publish', '--file', file]),
    helpdesk(env, ['consent', 'publish', '--file', path.join(env.dataDir, 'нет.md')]),
    helpdesk(env, ['consent', 'show', '--json']),
  ])
  expect(again.code).toBe(1)
  expect(again.stderr).toContain('Этот текст уже действует (версия 2)')
  expect(missing.code).not.toBe(0)
  expect(missing.stderr).toContain('не удалось прочитать файл')
  const versions = JSON.parse(json.stdout) as Array<{ version: number; text?: string }>
  expect(versions.map((v) => v.version)).toEqual([2, 1])
  expect(versions[0]?.text).toBe('Согласие на обработку ПДн, версия 2.\n\nЦель обработки: заявки в ИТ-отдел.')

  const rows = await withFileDatabase(env, (db) =>
    db
      .selectFrom('audit_log')
      .select(['channel', 'actor_id', 'details', 'result'])
      .where('action', '=', 'consent.text_publish')
      .orderBy('id')
      .execute(),
  )
  expect(rows.map((r) => [r.channel, r.actor_id, r.result])).toEqual([
    ['system', null, 'success'],
    ['cli', null, 'success'],
  ])
  expect(JSON.parse(rows[1]?.details ?? '{}')).toMatchObject({
    version: 2,
    previousVersion: 1,
    cli: { user: expect.any(String), host: expect.any(String) },
  })
})
