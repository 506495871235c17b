import { Counter, Histogram, type Registry } from 'prom-client'

/**
 * Meters of things that happen below the HTTP app, in code that knows no app (the journal, the bot's
 * inbox, the Telegram channel). They count for the whole process and belong to no registry here: each
 * app's registry adds them (`createMetrics`), so that many apps in one process (the tests) never collide
 * over a name, and a production process, which has one app, reports them once. Labels are bounded codes,
 * never ids, names or chat ids.
 */

/** Time to append one journal row (the insert and the head update, inside the action's transaction). */
export const auditWriteSeconds = new Histogram({
  name: 'helpdesk_audit_write_seconds',
  help: 'Time to append one row to the audit journal (insert and head update), in seconds.',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers: [],
})

/** Telegram updates through the inbox, by outcome (applied, replayed, gave_up). */
export const botUpdates = new Counter({
  name: 'helpdesk_bot_updates_total',
  help: 'Telegram updates through the bot inbox, by outcome: applied, replayed (already applied), gave_up (recorded as failed).',
  labelNames: ['outcome'] as const,
  registers: [],
})

/** Failed Bot API calls of the notice sender, by Telegram's error_code (or `network`). */
export const telegramErrors = new Counter({
  name: 'helpdesk_telegram_errors_total',
  help: "Failed Bot API calls when sending notices, by Telegram's error_code (network: no answer).",
  labelNames: ['code'] as const,
  registers: [],
})

/** A label for Telegram's error_code: an HTTP-like status, anything else folded into `other`. */
export function telegramErrorLabel(code: unknown): string {
  return typeof code === 'number' && Number.isInteger(code) && code >= 100 && code <= 599 ? String(code) : 'other'
}

/** Adds the process-wide meters to an app's registry. */
export function registerProcessMeters(registry: Registry): void {
  registry.registerMetric(auditWriteSeconds)
  registry.registerMetric(botUpdates)
  registry.registerMetric(telegramErrors)
}
