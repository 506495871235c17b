import { existsSync, mkdtempSync, rmSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { storedFilePath, storeFile } from '#src/attachments/file-store.ts'
import { discardFiles } from '#src/attachments/held-files.ts'
import { sweepFiles } from '#src/attachments/sweep-files.ts'
import type { Db } from '#src/db/schema.ts'
import { testDatabase } from '../../test/support/database.ts'
import { buildActor, buildConsent, buildUser } from '../../test/support/factories.ts'
import { actorFromUser, systemActor } from './actor.ts'
import { consentToAsk, currentConsentText, hasCurrentConsent, listConsentTexts, publishConsentText } from './consent.ts'
import { checkScan } from './consent-scan.ts'
import { recordPaperConsent, withdrawConsentOnPaper } from './paper-consent.ts'
import { renewConsent } from './renew-consent.ts'
import { createSession, resolveSession } from './sessions.ts'
import { openSignedInSession } from './sign-in.ts'

/** Issue 10: where a person's consent stands, renewing it, paper records and their scans. */

const folders: string[] = []
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})

const PDF = new TextEncoder().encode('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n')

async function newVersion(db: Db, text = `Текст ${Math.random()}`) {
  return publishConsentText(db, systemActor(), { text })
}

describe('where a consent stands', () => {
  test('current, outdated after a new version, none, withdrawn; the versions count the people holding each', async () => {
    const { db } = await testDatabase()
    const consented = await buildUser(db)
    await buildConsent(db, consented.id)
    const never = await buildUser(db)
    const withdrawn = await buildUser(db)
    await buildConsent(db, withdrawn.id, 'withdrawn')
    expect(await hasCurrentConsent(db, consented.id)).toBe(true)
    expect(await consentToAsk(db, consented.id)).toBeUndefined()

    const v2 = await newVersion(db)
    expect(await hasCurrentConsent(db, consented.id)).toBe(false)
    expect(await consentToAsk(db, consented.id)).toMatchObject({ text: { id: v2.id }, first: false })
    for (const user of [never, withdrawn]) {
      expect(await hasCurrentConsent(db, user.id)).toBe(false)
      // No consent in force: the bot asks for a first one (the web at sign-in).
      expect(await consentToAsk(db, user.id)).toMatchObject({ text: { id: v2.id }, first: true })
    }
    expect((await listConsentTexts(db)).map((v) => [v.version, v.consents])).toEqual([
      [2, 0],
      [1, 1],
    ])
  })
})

describe('renewConsent', () => {
  test('the person agrees to the text in force once; the sessions held at the consent page are let through', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, {}, 'web')
    const text = await currentConsentText(db)
    const session = await createSession(db, user.id, { ip: null, userAgent: null, consentDue: true })
    expect((await resolveSession(db, session.token))?.consentDue).toBe(true)

    const first = await renewConsent(db, actor, {
      userId: user.id,
      consentTextId: text.id,
      channel: 'web',
      evidence: {},
    })
    const again = await renewConsent(db, actor, {
      userId: user.id,
      consentTextId: text.id,
      channel: 'web',
      evidence: {},
    })
    expect(again).toBe(first)
    expect(await db.selectFrom('consent_records').select('id').where('user_id', '=', user.id).execute()).toHaveLength(1)
    expect((await resolveSession(db, session.token))?.consentDue).toBe(false)
  })

  test('refused for someone else, for an account not active, and for a text no longer in force', async () => {
    const { db } = await testDatabase()
    const { user, actor } = await buildActor(db, {}, 'bot')
    const { actor: admin } = await buildActor(db, { role: 'admin' })
    const v1 = await currentConsentText(db)
    const input = { userId: user.id, consentTextId: v1.id, channel: 'bot' as const, evidence: {} }
    await expect(renewConsent(db, admin, input)).rejects.toMatchObject({ code: 'forbidden' })
    await newVersion(db)
    await expect(renewConsent(db, actor, input)).rejects.toMatchObject({ code: 'conflict' })
    const pending = await buildUser(db, { status: 'pending' })
    const v2 = await currentConsentText(db)
    await expect(
      renewConsent(db, actorFromUser(pending, 'bot'), { ...input, userId: pending.id, consentTextId: v2.id }),
    ).rejects.toMatchObject({ code: 'conflict' })
    expect(await db.selectFrom('consent_records').select('id').execute()).toEqual([])
  })
})

describe('the consent page at sign-in', () => {
  test('a web sign-in without current consent is held at the page; the API and a consented person are not', async () => {
    const { db } = await testDatabase()
    const fresh = await buildUser(db)
    const consented = await buildUser(db)
    await buildConsent(db, consented.id)
    const how = { ip: null, userAgent: null, description: 'Вход' }
    const web = await db.transaction().execute((tx) => openSignedInSession(tx, fresh.id, { ...how, channel: 'web' }))
    const api = await db.transaction().execute((tx) => openSignedInSession(tx, fresh.id, { ...how, channel: 'api' }))
    const ok = await db.transaction().execute((tx) => openSignedInSession(tx, consented.id, { ...how, channel: 'web' }))
    expect((await resolveSession(db, web.token))?.consentDue).toBe(true)
    expect((await resolveSession(db, api.token))?.consentDue).toBe(false)
    expect((await resolveSession(db, ok.token))?.consentDue).toBe(false)
  })
})

describe('paper consent and withdrawal', () => {
  test('only an admin records them; the scan must be a PDF, JPEG or PNG by its bytes; a rejected person is refused', async () => {
    const { db } = await testDatabase()
    const { actor: curator } = await buildActor(db, { role: 'curator' })
    const { actor: admin } = await buildActor(db, { role: 'admin' })
    const person = await buildUser(db)
    const scan = { sha256: 'a'.repeat(64), size: 10, fileName: 'скан.pdf', mimeType: 'application/pdf' }
    await expect(
      recordPaperConsent(db, curator, { userId: person.id, signedOn: '2026-11-20', scan }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    await expect(
      withdrawConsentOnPaper(db, curator, { userId: person.id, reason: 'Заявление', withdrawnOn: '2026-11-20' }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    const denied = await db
      .selectFrom('audit_log')
      .select(['action', 'subject_id'])
      .where('result', '=', 'denied')
      .orderBy('id')
      .execute()
    expect(denied).toEqual([
      { action: 'consent.give', subject_id: person.id },
      { action: 'consent.withdraw', subject_id: person.id },
    ])
    await expect(
      recordPaperConsent(db, admin, {
        userId: person.id,
        signedOn: '2026-11-20',
        scan: { ...scan, mimeType: 'text/html' },
      }),
    ).rejects.toMatchObject({ code: 'validation' })
    await expect(
      recordPaperConsent(db, admin, { userId: person.id, signedOn: '20.11.2026', scan }),
    ).rejects.toMatchObject({ code: 'validation' })
    const rejected = await buildUser(db, { status: 'rejected' })
    await expect(
      recordPaperConsent(db, admin, { userId: rejected.id, signedOn: '2026-11-20', scan }),
    ).rejects.toMatchObject({ code: 'conflict' })
    await expect(checkScan({ bytes: new TextEncoder().encode('<svg/>'), fileName: 'a.png' })).rejects.toMatchObject({
      code: 'validation',
    })
    expect(await checkScan({ bytes: PDF, fileName: 'Скан.JPG' })).toEqual({
      mimeType: 'application/pdf',
      fileName: 'Скан.pdf',
    })
    expect(await db.selectFrom('consent_records').select('id').execute()).toEqual([])
  })

  test('a recorded scan is never swept or discarded as unreferenced', async () => {
    const { db } = await testDatabase()
    const dataDir = mkdtempSync(path.join(tmpdir(), 'helpdesk-consent-'))
    folders.push(dataDir)
    const { actor: admin } = await buildActor(db, { role: 'admin' })
    const person = await buildUser(db)
    const stored = await storeFile(dataDir, PDF, { fileName: 'скан.pdf', mimeType: 'application/pdf' })
    const loose = await storeFile(dataDir, new TextEncoder().encode('%PDF-1.4 loose'), { fileName: 'x.pdf' })
    await recordPaperConsent(db, admin, { userId: person.id, signedOn: '2026-11-20', scan: stored })
    const old = new Date(Date.now() - 2 * 3_600_000)
    for (const file of [stored, loose]) utimesSync(storedFilePath(dataDir, file.sha256), old, old)

    expect(await discardFiles(db, dataDir, [stored.sha256])).toBe(0)
    expect(await sweepFiles(db, dataDir)).toBe(1)
    expect(existsSync(storedFilePath(dataDir, stored.sha256))).toBe(true)
    expect(existsSync(storedFilePath(dataDir, loose.sha256))).toBe(false)
  })
})
