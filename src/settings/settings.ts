import { z } from 'zod'
import { audit, journalPseudonym } from '#src/audit/journal.ts'
import type { Db, Tx } from '#src/db/schema.ts'
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

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/)
const deadlineClock = z.enum(['always', 'working'])

const escalationRule = z
  .object({
    warnAtPercent: z.number().int().min(1).max(99),
    curatorAfterMinutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60),
    headAfterMinutes: z
      .number()
      .int()
      .min(1)
      .max(14 * 24 * 60),
  })
  .refine((rule) => rule.headAfterMinutes > rule.curatorAfterMinutes, {
    path: ['headAfterMinutes'],
    message: 'Руководителю — позже, чем куратору',
  })

export const settingSchemas = {
  /** Deadlines per priority (PRODUCT.md §3); a category may override them. */
  'tickets.deadlines': z.object({ low: deadline, normal: deadline, high: deadline, critical: deadline }),
  /**
   * The hospital's working hours and the clock of each priority's deadlines (src/tickets/working-hours.ts):
   * `always` counts every minute, `working` only those of working days' hours (the production calendar).
   */
  'tickets.working_hours': z
    .object({
      start: timeOfDay,
      end: timeOfDay,
      timeZone: z.string().refine(isTimeZone, 'Неизвестный часовой пояс (например, Europe/Moscow)'),
      clock: z.object({ low: deadlineClock, normal: deadlineClock, high: deadlineClock, critical: deadlineClock }),
    })
    .refine((hours) => hours.end > hours.start, { path: ['end'], message: 'Конец рабочего дня — позже начала' }),
  /** A resolved ticket closes by itself after this many days without the requester's answer. */
  'tickets.auto_close_days': z.number().int().min(1).max(90),
  /** COMPLIANCE.md §6: Telegram notices carry only number, status and a link. */
  'privacy.no_pdn_in_telegram': z.boolean(),
  /** Issue 15: notices go to the messenger each person wrote from last, or to this one wherever a person has it. */
  'messenger.preferred': z.enum(['last_used', 'telegram', 'max']),
  /** Audit journal retention online, in days (≥ 1 year). */
  'audit.retention_days': z.number().int().min(365),
  /** COMPLIANCE.md §3: closed tickets keep their ПДн this many years after closing, then fall due. */
  'retention.closed_tickets_years': z.number().int().min(1).max(75),
  /** Deactivated people fall due this many years after their deactivation. */
  'retention.deactivated_users_years': z.number().int().min(1).max(75),
  /** Rejected registrations fall due this many days after the rejection. */
  'retention.rejected_registrations_days': z.number().int().min(1).max(3650),
  /** A withdrawn consent: the person's data falls due this many days after the withdrawal (ст. 21 ч. 5). */
  'retention.withdrawn_consent_days': z.number().int().min(1).max(30),
  /** The commission that signs destruction acts (Приказ РКН № 179): people chosen from it per act. */
  'pdn.commission': z
    .array(z.object({ name: z.string().trim().min(1).max(200), position: z.string().trim().min(1).max(200) }))
    .max(20),
  /** The operator's requisites, printed in the documents (consent form, answers, acts). */
  'org.requisites': z.object({
    name: z.string().trim().min(1).max(300),
    shortName: z.string().trim().min(1).max(100),
    inn: z
      .string()
      .trim()
      .regex(/^(\d{10})?$/),
    ogrn: z
      .string()
      .trim()
      .regex(/^(\d{13})?$/),
    address: z.string().trim().max(300),
    /** Who is responsible for the processing of ПДн (ст. 22.1): position and name. */
    responsible: z.string().trim().max(300),
  }),
  /**
   * Escalation of a ticket's deadline per priority (src/duty/escalate-tickets.ts): the assignee is warned at
   * `warnAtPercent` of the time to the resolution deadline, the group's duty person at the breach, the curator on
   * duty `curatorAfterMinutes` after it, the head of IT `headAfterMinutes` after it.
   */
  'escalation.rules': z.object({
    low: escalationRule,
    normal: escalationRule,
    high: escalationRule,
    critical: escalationRule,
  }),
  /** The head of IT told at the last level (a user id); null: every active admin. */
  'escalation.head_of_it': z.number().int().positive().nullable(),
} as const

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return zone.length > 0
  } catch {
    return false
  }
}

export type SettingKey = keyof typeof settingSchemas
export type SettingValue<K extends SettingKey> = z.infer<(typeof settingSchemas)[K]>

export const settingDefaults: { [K in SettingKey]: SettingValue<K> } = {
  'tickets.deadlines': {
    // Low and normal run on the working hours' clock (08:00–17:00, nine hours a day): one day and five days,
    // four hours and two days of working time.
    low: { responseMinutes: 9 * 60, resolutionMinutes: 5 * 9 * 60 },
    normal: { responseMinutes: 4 * 60, resolutionMinutes: 2 * 9 * 60 },
    high: { responseMinutes: 60, resolutionMinutes: 8 * 60 },
    critical: { responseMinutes: 15, resolutionMinutes: 4 * 60 },
  },
  'tickets.working_hours': {
    start: '08:00',
    end: '17:00',
    timeZone: 'Europe/Moscow',
    clock: { low: 'working', normal: 'working', high: 'always', critical: 'always' },
  },
  'tickets.auto_close_days': 3,
  'privacy.no_pdn_in_telegram': false,
  'messenger.preferred': 'last_used',
  'audit.retention_days': 365 * 3,
  'retention.closed_tickets_years': 5,
  'retention.deactivated_users_years': 3,
  'retention.rejected_registrations_days': 30,
  'retention.withdrawn_consent_days': 30,
  'pdn.commission': [],
  'org.requisites': {
    name: 'Областное бюджетное учреждение здравоохранения «Курская городская клиническая больница скорой медицинской помощи»',
    shortName: 'ОБУЗ «КГКБСМП»',
    inn: '',
    ogrn: '',
    address: 'г. Курск',
    responsible: '',
  },
  'escalation.rules': {
    low: { warnAtPercent: 75, curatorAfterMinutes: 8 * 60, headAfterMinutes: 24 * 60 },
    normal: { warnAtPercent: 75, curatorAfterMinutes: 4 * 60, headAfterMinutes: 8 * 60 },
    high: { warnAtPercent: 75, curatorAfterMinutes: 60, headAfterMinutes: 4 * 60 },
    critical: { warnAtPercent: 75, curatorAfterMinutes: 15, headAfterMinutes: 60 },
  },
  'escalation.head_of_it': null,
}

export async function getSetting<K extends SettingKey>(db: Tx, key: K): Promise<SettingValue<K>> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst()
  if (!row) return settingDefaults[key]
  const parsed = settingSchemas[key].safeParse(JSON.parse(row.value))
  return parsed.success ? (parsed.data as SettingValue<K>) : settingDefaults[key]
}

/**
 * Changes a setting (the caller checks `settings.manage`); journaled in the same transaction with the old
 * value and the new one (the old is what was in force: the default when no row was stored).
 */
export async function setSetting<K extends SettingKey>(
  db: Tx,
  actor: Actor,
  key: K,
  value: SettingValue<K>,
): Promise<void> {
  if (!db.isTransaction) return (db as Db).transaction().execute((tx) => setSetting(tx, actor, key, value))
  const valid = settingSchemas[key].parse(value) as SettingValue<K>
  const old = await getSetting(db, key)
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
    details: { old: journaled(key, old), new: journaled(key, valid) },
  })
}

/**
 * A value as the journal holds it: the names in it (the commission's, the person responsible for ПДн) as
 * digests, since the journal is never rewritten and a name must be destroyable.
 */
function journaled<K extends SettingKey>(key: K, value: SettingValue<K>): unknown {
  if (key === 'pdn.commission') {
    const members = value as SettingValue<'pdn.commission'>
    return members.map((m) => ({ name: journalPseudonym(m.name), position: m.position }))
  }
  if (key === 'org.requisites') {
    const requisites = value as SettingValue<'org.requisites'>
    return { ...requisites, responsible: requisites.responsible ? journalPseudonym(requisites.responsible) : '' }
  }
  return value
}
