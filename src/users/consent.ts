import { createHash } from 'node:crypto'
import type { Selectable } from 'kysely'
import { audit } from '#src/audit/journal.ts'
import type { ConsentRecordsTable, ConsentTextsTable, Db, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import { type Actor, systemActor } from './actor.ts'
import { authorize } from './authorize.ts'

/**
 * Consent texts (152-ФЗ ст. 9, COMPLIANCE.md §1): versioned, never edited — a change is a new version,
 * and each person's consent record names the version they agreed to.
 */
export type ConsentText = Selectable<ConsentTextsTable>
export type ConsentRecord = Selectable<ConsentRecordsTable>

export const OPERATOR_NAME = 'ОБУЗ «Курская городская клиническая больница скорой медицинской помощи»'

/** Version 1, used until a curator publishes another. The hospital's lawyer should review it. */
export const DEFAULT_CONSENT_TEXT = `Согласие на обработку персональных данных

Я, действуя свободно, своей волей и в своём интересе, даю согласие оператору — ${OPERATOR_NAME} (областное бюджетное учреждение здравоохранения, г. Курск, ул. Пирогова, д. 14) — на обработку моих персональных данных на следующих условиях.

1. Цель обработки: приём, учёт и выполнение моих заявок в отдел информационных технологий больницы (служба технической поддержки), связь со мной по этим заявкам, подтверждение того, что я работник больницы.

2. Перечень персональных данных: фамилия, имя, отчество (ФИО); номер телефона; должность; отделение; кабинет (корпус); идентификатор (Telegram id) и имя пользователя в Telegram; тексты заявок и сообщений, которые я отправляю, и приложенные к ним файлы.

3. Действия с персональными данными: сбор, запись, систематизация, накопление, хранение, уточнение (обновление, изменение), извлечение, использование, предоставление работникам отдела информационных технологий оператора, обезличивание, блокирование, удаление, уничтожение. Обработка смешанная: с использованием средств автоматизации и без них. Сообщения о заявках доставляются мне через мессенджер Telegram.

4. Срок действия: согласие действует с момента его предоставления до достижения целей обработки (прекращения моей работы у оператора) или до его отзыва.

5. Отзыв согласия: я могу отозвать согласие в любой момент — командой /revoke в боте, кнопкой в профиле веб-интерфейса или письменным заявлением оператору. После отзыва учётная запись отключается сразу, а мои персональные данные уничтожаются (обезличиваются) в течение 30 дней, кроме случаев, когда закон разрешает обработку без согласия (ч. 2 ст. 9 Федерального закона от 27.07.2006 № 152-ФЗ «О персональных данных»).

Я подтверждаю, что ознакомлен(а) с правами субъекта персональных данных, установленными главой 3 Федерального закона № 152-ФЗ.`

export const CONSENT_TEXT_MAX = 50_000

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/** A person's latest consent record (given, refused or withdrawn): it says where their consent stands. */
export async function latestConsent(db: Tx, userId: number): Promise<ConsentRecord | undefined> {
  return db
    .selectFrom('consent_records')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
}

async function newestConsentText(db: Tx): Promise<ConsentText | undefined> {
  return db.selectFrom('consent_texts').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst()
}

/** The text people consent to now: the newest version, or version 1 (the default) on a fresh database. */
export async function currentConsentText(db: Tx): Promise<ConsentText> {
  const newest = await newestConsentText(db)
  if (newest) return newest
  if (!db.isTransaction) return transact(db, (tx) => currentConsentText(tx))
  const at = now()
  // Two first readers at once: the unique version lets one insert and the other find its row.
  const created = await db
    .insertInto('consent_texts')
    .values({
      version: 1,
      text: DEFAULT_CONSENT_TEXT,
      sha256: sha256(DEFAULT_CONSENT_TEXT),
      valid_from: at,
      created_by: null,
      created_at: at,
    })
    .onConflict((oc) => oc.column('version').doNothing())
    .returningAll()
    .executeTakeFirst()
  if (created) {
    await audit(db, systemActor(), {
      action: 'consent.text_publish',
      objectType: 'consent_text',
      objectId: created.id,
      description: 'Опубликован текст согласия на обработку ПДн, версия 1 (по умолчанию)',
      details: { version: 1, sha256: created.sha256 },
    })
    return created
  }
  const found = await newestConsentText(db)
  if (!found) throw new Error('consent text vanished while it was being created')
  return found
}

/**
 * Whether the person's latest consent record is a consent to the current text: false with none at all (an
 * account made on the web or by an admin), after a withdrawal, and once a newer text is published.
 */
export async function hasCurrentConsent(db: Tx, userId: number): Promise<boolean> {
  const latest = await latestConsent(db, userId)
  if (latest?.status !== 'given') return false
  return latest.consent_text_id === (await currentConsentText(db)).id
}

/**
 * What the bot asks an active person before anything else (issue 10): the text in force, unless they consented
 * to it. `first`: no consent in force at all — an account made on the web, by an admin or by an import (the
 * web asks at sign-in, the bot at the first message), or one given back after a withdrawal — rather than a
 * consent to an older version.
 */
export async function consentToAsk(db: Tx, userId: number): Promise<{ text: ConsentText; first: boolean } | undefined> {
  const latest = await latestConsent(db, userId)
  const current = await currentConsentText(db)
  if (latest?.status === 'given' && latest.consent_text_id === current.id) return undefined
  return { text: current, first: latest?.status !== 'given' }
}

/** Every version of the consent text, newest first, with how many consents each one holds now. */
export interface ConsentTextVersion extends ConsentText {
  /** People whose latest record is a consent to this version. */
  consents: number
}

export async function listConsentTexts(db: Tx): Promise<ConsentTextVersion[]> {
  await currentConsentText(db)
  const texts = await db.selectFrom('consent_texts').selectAll().orderBy('version', 'desc').execute()
  const latest = db
    .selectFrom('consent_records')
    .select((eb) => eb.fn.max('id').as('id'))
    .where('user_id', 'is not', null)
    .groupBy('user_id')
  const counts = await db
    .selectFrom('consent_records')
    .select(['consent_text_id', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('id', 'in', latest)
    .where('status', '=', 'given')
    .groupBy('consent_text_id')
    .execute()
  const byText = new Map(counts.map((row) => [row.consent_text_id, Number(row.n)]))
  return texts.map((text) => ({ ...text, consents: byText.get(text.id) ?? 0 }))
}

export interface GivenConsent {
  userId: number
  /** The version of the text the person agreed to. */
  text: Pick<ConsentText, 'id' | 'version'>
  channel: 'bot' | 'web' | 'paper'
  /**
   * Proof of the consent: Telegram `update_id`/`message_id`, the browser's address and user agent, or for
   * paper the date it was signed and the admin who uploaded the scan.
   */
  evidence: Record<string, unknown>
  at: string
  /** The scan of a signed paper consent, in the file store. */
  file?: { sha256: string; fileName: string; mimeType: string }
}

const consentChannelWords: Record<GivenConsent['channel'], string> = {
  bot: 'через бот',
  web: 'на сайте',
  paper: 'на бумаге',
}

/**
 * Records a person's consent to a text version and journals it, inside the caller's transaction (the
 * registration in the bot, the set-password link on the web). Returns the record's id.
 */
export async function recordConsentGiven(tx: Tx, actor: Actor, consent: GivenConsent): Promise<number> {
  const record = await tx
    .insertInto('consent_records')
    .values({
      user_id: consent.userId,
      consent_text_id: consent.text.id,
      channel: consent.channel,
      status: 'given',
      evidence: JSON.stringify(consent.evidence),
      created_at: consent.at,
      withdrawn_at: null,
      evidence_file: consent.file?.sha256 ?? null,
      evidence_file_name: consent.file?.fileName ?? null,
      evidence_file_type: consent.file?.mimeType ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  // Signed in without it: the consent page no longer stands in the way.
  await tx.updateTable('sessions').set({ consent_due: 0 }).where('user_id', '=', consent.userId).execute()
  await audit(tx, actor, {
    action: 'consent.give',
    objectType: 'consent_record',
    objectId: record.id,
    subjectId: consent.userId,
    pdn: true,
    description: `Пользователь № ${consent.userId} дал согласие на обработку ПДн (версия текста ${consent.text.version}, ${consentChannelWords[consent.channel]})`,
    details: {
      consentTextId: consent.text.id,
      version: consent.text.version,
      channel: consent.channel,
      ...(consent.file ? { file: consent.file.sha256 } : {}),
    },
  })
  return record.id
}

export interface PublishConsentTextInput {
  text: string
}

/** Publishes the next version of the consent text (curator or admin); the bot asks everyone again. */
export async function publishConsentText(db: Db, actor: Actor, input: PublishConsentTextInput): Promise<ConsentText> {
  await authorize(
    db,
    actor,
    'consent.manage',
    {
      action: 'consent.text_publish',
      objectType: 'consent_text',
      description: 'Отказано в публикации текста согласия',
    },
    'Нет прав изменять текст согласия',
  )
  const text = input.text.trim()
  if (text === '') throw new DomainError('validation', 'Текст согласия пуст')
  if (text.length > CONSENT_TEXT_MAX) {
    throw new DomainError('validation', `Текст согласия длиннее ${CONSENT_TEXT_MAX} символов`)
  }
  return transact(db, async (tx) => {
    const current = await currentConsentText(tx)
    const hash = sha256(text)
    if (hash === current.sha256) {
      throw new DomainError('conflict', `Этот текст уже действует (версия ${current.version})`)
    }
    const at = now()
    const published = await tx
      .insertInto('consent_texts')
      .values({
        version: current.version + 1,
        text,
        sha256: hash,
        valid_from: at,
        created_by: actor.id,
        created_at: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    await audit(tx, actor, {
      action: 'consent.text_publish',
      objectType: 'consent_text',
      objectId: published.id,
      description: `Опубликован текст согласия на обработку ПДн, версия ${published.version}`,
      details: { version: published.version, sha256: hash, previousVersion: current.version },
    })
    return published
  })
}
