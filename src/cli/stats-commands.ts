import type { Command } from 'commander'
import { type CliContext, withDatabase } from './context.ts'

/** Days computed per call of the refresh: a progress line after each. */
const TURN_MS = 10_000

/** `helpdesk stats refresh`: the statistics' daily summary brought up to date now, instead of by the worker's turns. */
export function registerStatsCommands(program: Command, context: CliContext): void {
  const stats = program.command('stats').description('статистика заявок: сводка по дням')
  stats
    .command('refresh')
    .description('пересчитать сводку статистики по дням сейчас (после импорта, демо или смены часового пояса)')
    .addHelpText(
      'after',
      `
Служба пересчитывает сводку и сама, понемногу в фоне; команда делает это сразу и целиком.
Пример:
  helpdesk stats refresh`,
    )
    .action(async () => {
      const { refreshStatsDaily, tidyStatsDaily } = await import('#src/stats/daily-summary.ts')
      await withDatabase(context.output, async ({ db, config }) => {
        let days = 0
        for (;;) {
          const computed = await refreshStatsDaily(db, config.tzDisplay, TURN_MS)
          if (computed === 0) break
          days += computed
          context.output.err(`  пересчитано дней: ${days}`)
        }
        if (days > 0) await tidyStatsDaily(db)
        context.output.out(`Сводка статистики актуальна; пересчитано дней: ${days}`)
      })
    })
}
