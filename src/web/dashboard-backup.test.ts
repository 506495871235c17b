import { describe, expect, test } from 'vitest'
import { recordBackupEnd, recordBackupStart } from '#src/backup/backup-log.ts'
import { testApp } from '../../test/support/api.ts'
import { setTestClock } from '../../test/support/clock.ts'
import { testDatabase } from '../../test/support/database.ts'
import { getPage, inlineProblems, webUser } from '../../test/support/web.ts'

function backupState(html: string): string | undefined {
  const match = /<p class="([^"]+)" role="(?:alert|status)" id="backup-state">([^<]*)<\/p>/.exec(html)
  return match ? `${match[1]}: ${match[2]}` : undefined
}

describe('the last good backup on the admin dashboard', () => {
  test('none yet, fresh, older than two days, the latest failed; only admins see it', async () => {
    const { db } = await testDatabase()
    const { app } = testApp(db)
    const admin = await webUser(db, { role: 'admin' })
    const executor = await webUser(db, { role: 'executor' })

    setTestClock('2026-12-01T00:00:00.000Z')
    expect(backupState((await getPage(app, '/', admin)).text)).toMatch(
      /^integrity__bad: Проверенных резервных копий ещё нет/,
    )
    const first = await recordBackupStart(db, 'schedule', true)
    setTestClock('2026-12-01T00:10:00.000Z')
    await recordBackupEnd(db, first, { ok: true, file: 'a.tar.age', bytes: 10, verifiedAt: '2026-12-01T00:10:00.000Z' })

    setTestClock('2026-12-01T05:10:00.000Z')
    const fresh = await getPage(app, '/', admin)
    expect(backupState(fresh.text)).toBe('notice: Последняя проверенная резервная копия: 01.12.2026 03:10 (5 ч назад)')
    expect(inlineProblems(fresh.text)).toEqual([])
    expect(backupState((await getPage(app, '/', executor)).text)).toBeUndefined()

    setTestClock('2026-12-03T00:11:00.000Z')
    expect(backupState((await getPage(app, '/', admin)).text)).toMatch(
      /^integrity__bad: .*\(48 ч назад\)\. Она старше двух дней\.$/,
    )

    setTestClock('2026-12-01T06:00:00.000Z')
    const failed = await recordBackupStart(db, 'schedule', true)
    await recordBackupEnd(db, failed, { ok: false, error: 'нет места' })
    expect(backupState((await getPage(app, '/', admin)).text)).toMatch(
      /^integrity__bad: .*\. Последняя попытка не удалась\.$/,
    )
  })
})
