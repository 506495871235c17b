import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Db } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import { addMessage } from '#src/tickets/add-message.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildUser } from '../../test/support/factories.ts'
import { buildTicket } from '../../test/support/ticket-factory.ts'
import { PART_SUFFIX, putFile, releaseFile, storedFilePath, storeFile } from './file-store.ts'
import { withStoredFiles } from './held-files.ts'
import { sweepFiles } from './sweep-files.ts'

let db: Db
let dataDir: string
beforeAll(async () => {
  db = (await testDatabase()).db
  dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-held-'))
})
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

let counter = 0
/** Content no other test stores. */
function unique(label: string): Uint8Array {
  return new TextEncoder().encode(`${label} ${++counter} ${Math.random()}`)
}

/** Every name under DATA_DIR/files (stored files and temporary ones). */
function onDisk(): string[] {
  try {
    return readdirSync(path.join(dataDir, 'files'), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.includes(path.sep))
      .map((name) => path.basename(name))
  } catch {
    return []
  }
}

function exists(sha256: string): boolean {
  return onDisk().includes(sha256)
}

/** Sets a stored file's time into the past, as if stored `hours` ago. */
function age(file: string, hours: number): void {
  const at = new Date(Date.now() - hours * 60 * 60_000)
  utimesSync(file, at, at)
}

const refused = () => Promise.reject(new DomainError('validation', 'Заполните поле «Описание»'))

describe('files stored for a request that is then refused', () => {
  test('are taken off the disk, whatever the refusal', async () => {
    for (const error of [
      new DomainError('validation', 'Заполните поле «Описание»'),
      new DomainError('not_found', 'Заявка не найдена'),
      new Error('connection terminated'),
    ]) {
      const before = onDisk()
      await expect(
        withStoredFiles(db, dataDir, [{ bytes: unique('a'), fileName: 'a.txt' }, { bytes: unique('b') }], () =>
          Promise.reject(error),
        ),
      ).rejects.toBe(error)
      expect(onDisk()).toEqual(before)
    }
  })

  test('a file that was there already, or is attached by the time of the refusal, stays', async () => {
    const ticket = await buildTicket(db)
    const { actor } = await buildActor(db, { role: 'executor' })
    const earlier = unique('earlier')
    const stored = await storeFile(dataDir, earlier, { fileName: 'старый.txt' })

    await expect(withStoredFiles(db, dataDir, [{ bytes: earlier }], refused)).rejects.toThrow()
    expect(exists(stored.sha256)).toBe(true)

    // Another request attached the same content while this one was being refused.
    const shared = unique('shared')
    await expect(
      withStoredFiles(db, dataDir, [{ bytes: shared }], async ([file]) => {
        if (!file) throw new Error('no file')
        await addMessage(db, actor, { ticketId: ticket.id, body: 'Лог', internal: false, attachments: [file] })
        return refused()
      }),
    ).rejects.toThrow()
    const row = await db.selectFrom('attachments').select('sha256').where('ticket_id', '=', ticket.id).execute()
    expect(row).toHaveLength(1)
    expect(exists(row[0]?.sha256 ?? '')).toBe(true)
  })

  test('a file another request of this process holds (stored, not yet attached) stays', async () => {
    const bytes = unique('both')
    const other = await putFile(dataDir, bytes, {}, { hold: true })
    try {
      await expect(withStoredFiles(db, dataDir, [{ bytes }], refused)).rejects.toThrow()
      expect(exists(other.file.sha256)).toBe(true)
    } finally {
      releaseFile(other.file.sha256)
    }
  })

  test('a write that fails (the disk full) leaves no temporary file', () => {
    // A child process whose files may not grow past 16 KB: the write of a 64 KB file fails half-way,
    // as on a full disk (EFBIG here, ENOSPC there), after the temporary file was created.
    const folder = mkdtempSync(path.join(tmpdir(), 'helpdesk-efbig-'))
    const script = `import { storeFile } from '#src/attachments/file-store.ts'
      try { await storeFile(process.argv[1], new Uint8Array(65536), {}) } catch (e) { process.stdout.write(String(e.code)) }`
    const run = spawnSync(
      'bash',
      ['-c', 'trap "" XFSZ; ulimit -f 16; exec node --import tsx --input-type=module -e "$0" "$1"', script, folder],
      { encoding: 'utf8' },
    )
    const left = readdirSync(folder, { recursive: true, encoding: 'utf8' })
    rmSync(folder, { recursive: true, force: true })
    expect(run.stdout.trim()).toBe('EFBIG')
    expect(left.filter((name) => name.endsWith(PART_SUFFIX))).toEqual([])
  })
})

describe('the daily sweep', () => {
  test('takes old unreferenced files and a crash’s temporary files, and nothing else', async () => {
    const requester = await buildUser(db)
    const ticket = await buildTicket(db, { requesterId: requester.id })
    const { actor } = await buildActor(db, { role: 'executor' })
    const orphan = await storeFile(dataDir, unique('orphan'), {})
    const fresh = await storeFile(dataDir, unique('fresh'), {})
    const attached = await storeFile(dataDir, unique('attached'), { fileName: 'скан.pdf' })
    await addMessage(db, actor, { ticketId: ticket.id, body: 'Скан', internal: false, attachments: [attached] })
    const waiting = await storeFile(dataDir, unique('waiting'), {})
    await db
      .insertInto('bot_conversations')
      .values({
        chat_id: '777',
        state: JSON.stringify({ flow: 'new_ticket', step: 'describe', files: [waiting] }),
        expires_at: '2999-01-01T00:00:00.000Z',
        updated_at: '2000-01-01T00:00:00.000Z',
      })
      .execute()
    const held = await putFile(dataDir, unique('held'), {}, { hold: true })
    const folder = path.dirname(storedFilePath(dataDir, orphan.sha256))
    const crashed = path.join(folder, `${orphan.sha256}.0123456789ab${PART_SUFFIX}`)
    const writing = path.join(folder, `${fresh.sha256}.ba9876543210${PART_SUFFIX}`)
    writeFileSync(crashed, 'half')
    writeFileSync(writing, 'half')
    for (const file of [orphan, attached, waiting, held.file]) age(storedFilePath(dataDir, file.sha256), 2)
    age(crashed, 2)

    const removed = await sweepFiles(db, dataDir)

    expect(removed).toBe(2)
    expect(exists(orphan.sha256)).toBe(false)
    expect(onDisk()).not.toContain(path.basename(crashed))
    for (const kept of [fresh, attached, waiting, held.file]) expect(exists(kept.sha256)).toBe(true)
    expect(onDisk()).toContain(path.basename(writing))
    releaseFile(held.file.sha256)
    rmSync(writing)
  })

  test('a file stored again since it became an orphan is young again, and stays', async () => {
    const bytes = unique('again')
    const first = await storeFile(dataDir, bytes, {})
    age(storedFilePath(dataDir, first.sha256), 3)
    await storeFile(dataDir, bytes, {})
    await sweepFiles(db, dataDir)
    expect(exists(first.sha256)).toBe(true)
  })
})
