import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { personalSettingKeys, settingLabels, settingProblems } from './setting-catalogue.ts'
import { getSetting, type SettingKey, type SettingValue, setSetting, settingSchemas } from './settings.ts'

/**
 * Changes one setting (admin): the value is checked against the setting's schema first, and a refused value
 * changes nothing; the refusal carries each field's Russian message (`details.problems`) for the form.
 * The same value again changes and journals nothing.
 */
export async function changeSetting(
  db: Db,
  actor: Actor,
  key: SettingKey,
  value: unknown,
): Promise<{ changed: boolean }> {
  await authorize(
    db,
    actor,
    'settings.manage',
    {
      action: 'settings.change',
      objectType: 'setting',
      objectId: key,
      description: `Отказано в изменении настройки ${key}`,
    },
    'Настройки меняет только администратор',
  )
  const problems = settingProblems(key, value)
  if (problems.length > 0) {
    const first = problems[0]
    const where = first?.path ? ` (${first.path})` : ''
    throw new DomainError('validation', `${settingLabels[key]}${where}: ${first?.message ?? ''}`, { problems })
  }
  return transact(db, async (tx) => {
    const old = await getSetting(tx, key)
    // Compared as the stored JSON: the schema has already trimmed and ordered what it keeps.
    const next = settingSchemas[key].parse(value) as SettingValue<SettingKey>
    if (JSON.stringify(old) === JSON.stringify(next)) return { changed: false }
    await setSetting(tx, actor, key, next)
    return { changed: true }
  })
}

export interface SettingEntry<K extends SettingKey = SettingKey> {
  key: K
  value: SettingValue<K>
  /** No row is stored: the default is in force. */
  isDefault: boolean
  updatedAt: string | null
}

/**
 * The settings an admin sees (all, or `keys`); reading those that name people is journaled as a read of
 * ПДн (`settings.view`).
 */
export async function readSettings(db: Db, actor: Actor, keys: readonly SettingKey[]): Promise<SettingEntry[]> {
  await authorize(
    db,
    actor,
    'settings.manage',
    { action: 'settings.view', objectType: 'setting', pdn: true, description: 'Отказано в просмотре настроек' },
    'Настройки видит только администратор',
  )
  return transact(db, async (tx) => {
    const rows = await tx
      .selectFrom('settings')
      .select(['key', 'updated_at'])
      .where('key', 'in', [...keys])
      .execute()
    const stored = new Map(rows.map((r) => [r.key, r.updated_at]))
    const entries: SettingEntry[] = []
    for (const key of keys) {
      entries.push({
        key,
        value: await getSetting(tx, key),
        isDefault: !stored.has(key),
        updatedAt: stored.get(key) ?? null,
      })
    }
    const personal = keys.filter((k) => personalSettingKeys.has(k))
    if (personal.length > 0) {
      await audit(tx, actor, {
        action: 'settings.view',
        objectType: 'setting',
        objectId: personal.join(','),
        pdn: true,
        description: 'Просмотр настроек с ПДн (комиссия, ответственный за обработку ПДн)',
        details: { keys: personal },
      })
    }
    return entries
  })
}
