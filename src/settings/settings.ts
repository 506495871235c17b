import { z } from 'zod'
import { audit } from '#src/audit/journal.ts'
import type { Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import type { Actor } from '#src/users/actor.ts'

/**
 * Settings an admin may change at run time, stored in the `settings` table. Each has a schema and
 * a default, so a fresh database works without any row.
 */
const deadline = z.object({
  responseMinutes: z.number().int().positive(),
  resolutionMinutes: z.number().int().positive(),
})

export const settingSchemas = {
  /** Deadlines per priority (PRODUCT.md §3); a category may override them. */
  'tickets.deadlines': z.object({ low: deadline, normal: deadline, high: deadline, critical: deadline }),
  /** A resolved ticket closes by itself after this many days without the requester's answer. */
  'tickets.auto_close_days': z.number().int().min(1).max(90),
  /** COMPLIANCE.md §6: Telegram notices carry only number, status and a link. */
  'privacy.no_pdn_in_telegram': z.boolean(),
  /** Audit journal retention online, in days (≥ 1 year). */
  'audit.retention_days': z.number().int().min(365),
} as const

export type SettingKey = keyof typeof settingSchemas
export type SettingValue<K extends SettingKey> = z.infer<(typeof settingSchemas)[K]>

export const settingDefaults: { [K in SettingKey]: SettingValue<K> } = {
  'tickets.deadlines': {
    low: { responseMinutes: 24 * 60, resolutionMinutes: 5 * 24 * 60 },
    normal: { responseMinutes: 8 * 60, resolutionMinutes: 2 * 24 * 60 },
    high: { responseMinutes: 60, resolutionMinutes: 8 * 60 },
    critical: { responseMinutes: 15, resolutionMinutes: 4 * 60 },
  },
  'tickets.auto_close_days': 3,
  'privacy.no_pdn_in_telegram': false,
  'audit.retention_days': 365 * 3,
}

export async function getSetting<K extends SettingKey>(db: Tx, key: K): Promise<SettingValue<K>> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst()
  if (!row) return settingDefaults[key]
  const parsed = settingSchemas[key].safeParse(JSON.parse(row.value))
  return parsed.success ? (parsed.data as SettingValue<K>) : settingDefaults[key]
}

/** Changes a setting (the caller checks `settings.manage`); journaled in the same transaction. */
export async function setSetting<K extends SettingKey>(
  db: Tx,
  actor: Actor,
  key: K,
  value: SettingValue<K>,
): Promise<void> {
  const valid = settingSchemas[key].parse(value)
  const at = now()
  const text = JSON.stringify(valid)
  await db
    .insertInto('settings')
    .values({ key, value: text, updated_at: at, updated_by: actor.id })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: text, updated_at: at, updated_by: actor.id }))
    .execute()
  await audit(db, actor, {
    action: 'settings.change',
    objectType: 'setting',
    objectId: key,
    description: `Изменена настройка ${key}`,
    details: { value: valid },
  })
}
