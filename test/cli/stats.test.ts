import { describe, expect, test } from 'vitest'
import { CLI_TIMEOUT, freshEnv, helpdesk, withFileDatabase } from './helpers.ts'

describe('helpdesk stats refresh', { timeout: CLI_TIMEOUT }, () => {
  test('fills the daily summary of a demo hospital at once, and a second run finds nothing to do', async () => {
    const env = await freshEnv()
    expect((await helpdesk(env, ['demo', '--tickets', '300', '--seed', '7'])).code).toBe(0)
    const first = await helpdesk(env, ['stats', 'refresh'])
    expect(first.code).toBe(0)
    const days = Number(/пересчитано дней: (\d+)$/m.exec(first.stdout)?.[1])
    expect(days).toBeGreaterThan(0)
    await withFileDatabase(env, async (db) => {
      const summarised = await db.selectFrom('stats_daily_days').select('day').execute()
      expect(summarised).toHaveLength(days)
      expect(await db.selectFrom('stats_daily').select('day').limit(1).execute()).toHaveLength(1)
    })
    const second = await helpdesk(env, ['stats', 'refresh'])
    expect(second.code).toBe(0)
    expect(second.stdout).toContain('Сводка статистики актуальна; пересчитано дней: 0')
  })
})
