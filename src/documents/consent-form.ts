import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import { nowDate } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { getSetting, type SettingValue } from '#src/settings/settings.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'
import { currentConsentText } from '#src/users/consent.ts'
import { requireUser } from '#src/users/user-store.ts'
import { renderPdf } from './pdf.ts'
import { renderInThread } from './pdf-thread.ts'

/** A blank to fill by hand on the printed form. */
const BLANK = '________________________________________'

/**
 * The written consent form (152-ФЗ ст. 9 ч. 4, issue 10) for a person who must sign one: the operator's
 * name and address from the settings (org.requisites), the person's ФИО, position and department filled
 * in, their identity document and address left to be written by hand, then the consent text in force —
 * the purposes, the list of data, the actions, the term and how to withdraw — and the lines to sign.
 * Printing it reads the person's data: journaled.
 */
export async function consentFormPdf(
  db: Db,
  actor: Actor,
  userId: number,
): Promise<{ bytes: Buffer; fileName: string }> {
  await authorize(
    db,
    actor,
    'user.manage',
    {
      action: 'consent.form_print',
      objectType: 'user',
      objectId: userId,
      subjectId: userId,
      pdn: true,
      description: `Отказано в печати бланка согласия пользователя № ${userId}`,
    },
    'Бланк согласия печатает только администратор',
  )
  const { user, department, org, text } = await transact(db, async (tx) => {
    const user = await requireUser(tx, userId)
    const department =
      user.department_id === null
        ? undefined
        : await tx.selectFrom('departments').select('name').where('id', '=', user.department_id).executeTakeFirst()
    const org = await getSetting(tx, 'org.requisites')
    const text = await currentConsentText(tx)
    await audit(tx, actor, {
      action: 'consent.form_print',
      objectType: 'user',
      objectId: user.id,
      subjectId: user.id,
      pdn: true,
      description: `Сформирован бланк письменного согласия пользователя № ${user.id} (версия текста ${text.version})`,
      details: { version: text.version },
    })
    return { user, department, org, text }
  })
  const facts: ConsentFormFacts = {
    fullName: user.full_name,
    position: user.position,
    department: department?.name ?? null,
    org,
    text: { version: text.version, text: text.text, sha256: text.sha256 },
    at: nowDate().toISOString(),
  }
  // Drawn off the event loop (pdfkit lays out synchronously): the web must not wait behind a document.
  const bytes = await renderInThread(new URL(import.meta.url), drawConsentForm.name, [facts])
  return { bytes, fileName: `soglasie-${user.id}.pdf` }
}

/** What the form prints: plain data, copied to the PDF thread. */
export interface ConsentFormFacts {
  fullName: string
  position: string | null
  department: string | null
  org: SettingValue<'org.requisites'>
  text: { version: number; text: string; sha256: string }
  /** ISO time the form was made. */
  at: string
}

export function drawConsentForm(facts: ConsentFormFacts): Promise<Buffer> {
  const { org, text } = facts
  const requisites = [org.inn ? `ИНН ${org.inn}` : '', org.ogrn ? `ОГРН ${org.ogrn}` : ''].filter(Boolean).join(', ')
  return renderPdf(
    { title: 'Согласие на обработку персональных данных', author: org.name, createdAt: new Date(facts.at) },
    (pdf) => {
      pdf.title('Согласие на обработку персональных данных')
      pdf.paragraph(
        '(письменная форма, ч. 4 ст. 9 Федерального закона от 27.07.2006 № 152-ФЗ «О персональных данных»)',
        {
          align: 'center',
        },
      )
      pdf.heading('Субъект персональных данных')
      pdf.fields([
        ['Фамилия, имя, отчество', facts.fullName],
        ['Должность', facts.position ?? BLANK],
        ['Отделение', facts.department ?? BLANK],
        ['Основной документ, удостоверяющий личность (вид, серия, номер)', BLANK],
        ['Кем и когда выдан', BLANK],
        ['Адрес', BLANK],
      ])
      pdf.heading('Оператор персональных данных')
      pdf.fields([
        ['Наименование', org.name],
        ['Адрес', org.address],
        ...(requisites ? ([['Реквизиты', requisites]] as const) : []),
        ...(org.responsible ? ([['Ответственный за организацию обработки ПДн', org.responsible]] as const) : []),
      ])
      pdf.heading(
        `Цель обработки, перечень данных, действия с ними, срок действия и порядок отзыва согласия (текст согласия, версия ${text.version})`,
      )
      for (const paragraph of text.text.split(/\n\s*\n/)) {
        if (paragraph.trim() !== '') pdf.paragraph(paragraph.trim())
      }
      pdf.paragraph(
        `Контрольная сумма текста (SHA-256): ${text.sha256}. Скан подписанного бланка хранится в системе заявок ИТ-отдела вместе с записью о согласии.`,
        { align: 'left' },
      )
      pdf.doc.moveDown(1)
      pdf.paragraph('Дата: «____» ______________ 20____ г.', { align: 'left' })
      pdf.signatures([{ position: 'Субъект персональных данных', name: facts.fullName }])
    },
  )
}
