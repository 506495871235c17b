import { Cron } from 'croner'

/**
 * The two settings of the automatic backups that are small languages of their own: BACKUP_SCHEDULE (cron,
 * read by croner in TZ_DISPLAY) and BACKUP_KEEP (the rotation). Kept free of heavy imports: config.ts
 * checks both at start.
 */

/** Why a cron pattern cannot be used, in Russian; undefined when it can. */
export function cronProblem(pattern: string, timeZone: string): string | undefined {
  try {
    const cron = new Cron(pattern, { timezone: timeZone, paused: true })
    if (cron.nextRun() === null) return `«${pattern}» не наступит ни разу`
    return undefined
  } catch (error) {
    return `«${pattern}» — не выражение cron (${error instanceof Error ? error.message : String(error)})`
  }
}

/** The first instant of the schedule strictly after `after`, or null. */
export function nextScheduled(pattern: string, timeZone: string, after: Date): Date | null {
  return new Cron(pattern, { timezone: timeZone, paused: true }).nextRun(after)
}

/**
 * BACKUP_KEEP: comma-separated `<count><unit>`, unit h (hourly), d (daily), w (weekly, ISO weeks),
 * m (monthly), y (yearly); e.g. `7d,4w,12m` keeps the newest backup of each of the last 7 days that have
 * one, of the last 4 weeks and of the last 12 months (a backup may count for several). `all` keeps every
 * backup. The newest backup is always kept.
 */
export type KeepUnit = 'h' | 'd' | 'w' | 'm' | 'y'
export type KeepRules = { all: true } | { all: false; rules: ReadonlyArray<{ count: number; unit: KeepUnit }> }

export function parseKeepRules(text: string): KeepRules | string {
  const value = text.trim().toLowerCase()
  if (value === 'all') return { all: true }
  const rules: Array<{ count: number; unit: KeepUnit }> = []
  for (const part of value.split(',').map((p) => p.trim())) {
    const match = /^(\d{1,4})([hdwmy])$/.exec(part)
    if (!match) return `«${part}»: ожидается число и единица h, d, w, m или y (например 7d,4w,12m) либо all`
    const count = Number(match[1])
    if (count < 1) return `«${part}»: число должно быть больше нуля`
    rules.push({ count, unit: match[2] as KeepUnit })
  }
  return { all: false, rules }
}

export function keepRulesProblem(text: string): string | undefined {
  const rules = parseKeepRules(text)
  return typeof rules === 'string' ? rules : undefined
}

/** Parts of an instant as a wall clock in `timeZone`. */
function wallClock(at: Date, timeZone: string): { y: number; m: number; d: number; h: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at)
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value)
  return { y: get('year'), m: get('month'), d: get('day'), h: get('hour') }
}

/** The ISO week (`2026-W49`) of a calendar date. */
function isoWeek(y: number, m: number, d: number): string {
  const date = new Date(Date.UTC(y, m - 1, d))
  const day = date.getUTCDay() || 7
  date.setUTCDate(date.getUTCDate() + 4 - day)
  const year = date.getUTCFullYear()
  const week = Math.ceil(((date.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7)
  return `${year}-W${String(week).padStart(2, '0')}`
}

function periodOf(at: Date, unit: KeepUnit, timeZone: string): string {
  const { y, m, d, h } = wallClock(at, timeZone)
  switch (unit) {
    case 'h':
      return `${y}-${m}-${d}T${h}`
    case 'd':
      return `${y}-${m}-${d}`
    case 'w':
      return isoWeek(y, m, d)
    case 'm':
      return `${y}-${m}`
    case 'y':
      return `${y}`
  }
}

/**
 * Which backups the rules keep (the rest may go): for each rule, walking from the newest, the newest backup
 * of each period until `count` periods are covered. Periods are the wall clock of `timeZone` (TZ_DISPLAY),
 * as the schedule is.
 */
export function backupsToKeep<T extends { at: Date }>(
  backups: readonly T[],
  rules: KeepRules,
  timeZone: string,
): Set<T> {
  const sorted = [...backups].sort((a, b) => b.at.getTime() - a.at.getTime())
  if (rules.all) return new Set(sorted)
  const keep = new Set<T>(sorted.slice(0, 1))
  for (const { count, unit } of rules.rules) {
    const seen = new Set<string>()
    for (const backup of sorted) {
      const period = periodOf(backup.at, unit, timeZone)
      if (seen.has(period)) continue
      seen.add(period)
      keep.add(backup)
      if (seen.size >= count) break
    }
  }
  return keep
}
