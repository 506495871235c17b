import { Hono } from 'hono'
import { idParam } from '#src/api/validate.ts'
import { journalArchiveDue, listArchives } from '#src/audit/archive.ts'
import { audit } from '#src/audit/journal.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { parseId } from '#src/format/ids.ts'
import { destroySubject } from '#src/pdn/destroy-subject.ts'
import { findDestructionAct, listDestructionActs } from '#src/pdn/destruction-acts.ts'
import { dueReasonLabels, dueUsers, listDueForDestruction } from '#src/pdn/destruction-due.ts'
import { getSetting } from '#src/settings/settings.ts'
import { attempt, onlyWith, type WebContext } from './curator-forms.ts'
import type { WebEnv } from './env.ts'
import { readForm } from './forms.ts'
import { msg, t } from './i18n.ts'
import { requireSession } from './session.ts'
import {
  ApproveDestructionPage,
  type ApproveValues,
  DestructionActsPage,
  DestructionDuePage,
} from './views/pdn-destruction.tsx'

const SECTION = msg('Уничтожение персональных данных')

/**
 * /pdn/destruction (admin): «К уничтожению», the list of people whose data is due, and the approval of one
 * destruction (commission, «удалить тексты обращений», the reason) that makes the act. Plain forms with a
 * redirect to the act on /pdn/acts.
 */
export function destructionRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.use(onlyWith('pdn.destroy', SECTION))

  routes.get('/', async (c) => {
    const { db, config } = c.get('deps')
    const due = await listDueForDestruction(db)
    const people = await dueUsers(db, due)
    const journal = { due: await journalArchiveDue(db), archives: await listArchives(db) }
    // Names of the people on the list: a read of ПДн, journaled.
    await audit(db, c.get('actor'), {
      action: 'user.list',
      objectType: 'user',
      pdn: true,
      description: `Просмотр списка «К уничтожению»: ${due.length}`,
      details: { ids: due.map((d) => d.userId), list: 'destruction_due' },
    })
    return c.html(
      <DestructionDuePage
        user={c.get('user')}
        csrf={c.get('csrf')}
        rows={due.map((d) => ({ due: d, person: people.get(d.userId) }))}
        labels={dueReasonLabels}
        now={now()}
        tz={config.tzDisplay}
        journal={journal}
      />,
    )
  })

  routes.get('/:id', async (c) => {
    const userId = idParam(c)
    const due = (await listDueForDestruction(c.get('deps').db)).find((d) => d.userId === userId)
    const reason = due ? due.reasons.map((r) => dueReasonLabels[r.reason]).join('; ') : ''
    return renderApprove(c, userId, { reason, members: [], deleteTexts: false })
  })

  routes.post('/:id', async (c) => {
    const userId = idParam(c)
    const { db, config } = c.get('deps')
    const form = await readForm(c)
    const commission = await getSetting(db, 'pdn.commission')
    const members = commission.flatMap((_, i) => (form.text(`member_${i}`, 4) === '1' ? [i] : []))
    const values: ApproveValues = {
      reason: form.text('reason', 2000) ?? '',
      members,
      deleteTexts: form.text('delete_texts', 4) === '1',
    }
    let actId = 0
    const refused = await attempt(
      async () => {
        const result = await destroySubject(db, c.get('actor'), config, {
          userId,
          reason: values.reason,
          commission: members.flatMap((i) => (commission[i] ? [commission[i]] : [])),
          deleteTexts: values.deleteTexts,
        })
        actId = result.actId
      },
      (message) => renderApprove(c, userId, values, message, 422),
    )
    return refused ?? c.redirect(`/pdn/acts?done=${actId}#act-${actId}`, 303)
  })

  return routes
}

async function renderApprove(
  c: WebContext,
  userId: number,
  values: ApproveValues,
  error?: string,
  status: 200 | 422 = 200,
) {
  const { db } = c.get('deps')
  const person = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst()
  if (!person) throw new DomainError('not_found', 'Не найдено')
  if (person.pseudonymised_at !== null) throw new DomainError('not_found', 'Не найдено')
  const due = (await listDueForDestruction(db)).find((d) => d.userId === userId)
  await audit(db, c.get('actor'), {
    action: 'user.view',
    objectType: 'user',
    objectId: person.id,
    subjectId: person.id,
    pdn: true,
    description: `Просмотр пользователя № ${person.id} перед уничтожением его ПДн`,
  })
  return c.html(
    <ApproveDestructionPage
      user={c.get('user')}
      csrf={c.get('csrf')}
      person={person}
      reasons={(due?.reasons ?? []).map((r) => t(dueReasonLabels[r.reason]) + (r.note ? ` (${r.note})` : ''))}
      commission={await getSetting(db, 'pdn.commission')}
      values={values}
      error={error}
    />,
    status,
  )
}

const PDF = 'application/pdf'

/** /pdn/acts (admin): «Акты уничтожения», each act and its journal extract as PDFs to download. */
export function destructionActRoutes(): Hono<WebEnv> {
  const routes = new Hono<WebEnv>()
  routes.use(requireSession)
  routes.use(onlyWith('pdn.destroy', SECTION))

  routes.get('/', async (c) => {
    const { db, config } = c.get('deps')
    const acts = await listDestructionActs(db)
    return c.html(
      <DestructionActsPage
        user={c.get('user')}
        csrf={c.get('csrf')}
        acts={acts}
        done={parseId(c.req.query('done'))}
        tz={config.tzDisplay}
      />,
    )
  })

  const download = (part: 'act' | 'journal') => async (c: WebContext) => {
    const { db } = c.get('deps')
    const act = await findDestructionAct(db, idParam(c))
    if (!act) throw new DomainError('not_found', 'Не найдено')
    await audit(db, c.get('actor'), {
      action: 'pdn.act_download',
      objectType: 'destruction_act',
      objectId: act.id,
      subjectId: act.user_id,
      pdn: true,
      description: `Скачан ${part === 'act' ? 'акт' : 'выгрузка из журнала к акту'} № ${act.id}`,
    })
    const bytes = part === 'act' ? act.act_pdf : act.extract_pdf
    c.header('content-type', PDF)
    c.header('content-disposition', `attachment; filename="${part === 'act' ? 'act' : 'act-journal'}-${act.id}.pdf"`)
    c.header('cache-control', 'no-store')
    return c.body(new Uint8Array(bytes))
  }
  routes.get('/:id/act.pdf', download('act'))
  routes.get('/:id/journal.pdf', download('journal'))

  return routes
}
