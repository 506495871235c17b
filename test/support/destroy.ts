import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Db } from '#src/db/schema.ts'
import { destroySubject } from '#src/pdn/destroy-subject.ts'
import { setSetting } from '#src/settings/settings.ts'
import { systemActor } from '#src/users/actor.ts'

const COMMISSION = [{ name: 'Комиссарова Анна Сергеевна', position: 'Заместитель главного врача' }]

/**
 * A staff member leaves and their personal data is destroyed (ст. 21 152-ФЗ), as an admin does it from the command
 * line: the account deactivated, a commission named, `destroySubject` run with the texts kept. The act's files go to
 * a scratch folder, removed after.
 */
export async function destroyLeaver(db: Db, userId: number): Promise<void> {
  await setSetting(db, systemActor(), 'pdn.commission', COMMISSION)
  await db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', userId).execute()
  const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-destroy-'))
  try {
    await destroySubject(
      db,
      systemActor('cli'),
      { dataDir, tzDisplay: 'Europe/Moscow' },
      { userId, reason: 'Увольнение', commission: COMMISSION, deleteTexts: false },
    )
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}
