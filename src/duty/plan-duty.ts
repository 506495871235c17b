import { audit } from '#src/audit/journal.ts'
import type { DutyShiftKind, Tx } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { DomainError } from '#src/errors.ts'
import { nameKey, type Planned, type PlannedRow, readRows, sortByLine } from '#src/import/plan.ts'
import type { ImportRow } from '#src/import/read-table.ts'
import { getSetting } from '#src/settings/settings.ts'
import { checkShiftNote, checkShiftSpan, shiftEnd, wallTimeToUtc } from './duty-rules.ts'

/**
 * The roster from a spreadsheet («Дежурства → Импорт», `helpdesk import duty`): a row is a shift — the group by its
 * name, the person by табельный номер or by ФИО when exactly one active IT account has it, the day (ДД.ММ.ГГГГ or
 * ГГГГ-ММ-ДД) and the times on the hospital's wall clock (the zone of the setting `tickets.working_hours`); an end
 * no later than the start is the next morning. A shift already in the roster as it is stays unchanged; one that
 * overlaps another of the same person in the group (in the roster or earlier in the file) is a bad row, and any
 * bad row refuses the whole file (import-file.ts).
 */

interface Read {
  line: number
  groupId: number
  groupName: string
  userId: number
  userName: string
  startsAt: string
  endsAt: string
  kind: DutyShiftKind
  note: string | null
  label: string
}

const kindWords: Record<string, DutyShiftKind> = {
  день: 'day',
  дневная: 'day',
  дневной: 'day',
  day: 'day',
  ночь: 'night',
  ночная: 'night',
  ночной: 'night',
  night: 'night',
  другая: 'other',
  other: 'other',
  сутки: 'other',
  суточная: 'other',
}

function dayOf(text: string): string | undefined {
  const dotted = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(text)
  if (dotted) return `${dotted[3]}-${(dotted[2] ?? '').padStart(2, '0')}-${(dotted[1] ?? '').padStart(2, '0')}`
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? text : undefined
}

export async function planDuty(tx: Tx, rows: readonly ImportRow[]): Promise<Planned> {
  const timeZone = (await getSetting(tx, 'tickets.working_hours')).timeZone
  const groups = await tx.selectFrom('executor_groups').select(['id', 'name']).where('active', '=', 1).execute()
  const groupByName = new Map(groups.map((g) => [nameKey(g.name), g]))
  const people = await tx
    .selectFrom('users')
    .select(['id', 'full_name', 'role', 'employee_number'])
    .where('status', '=', 'active')
    .where('role', 'in', ['executor', 'curator', 'admin'])
    .execute()
  const members = await tx.selectFrom('group_members').select(['group_id', 'user_id']).execute()
  const isMember = (groupId: number, userId: number) =>
    members.some((m) => m.group_id === groupId && m.user_id === userId)

  const { read, bad } = readRows(rows, (row): Read => {
    const cell = (field: string) => (row.values[field] ?? '').trim()
    const group = groupByName.get(nameKey(cell('group')))
    if (!group) throw new DomainError('validation', `Группа «${cell('group')}» не найдена среди активных`)
    const who = cell('person')
    const byNumber = people.filter((p) => p.employee_number !== null && p.employee_number === who)
    const byName = people.filter((p) => nameKey(p.full_name) === nameKey(who))
    const found = byNumber.length === 1 ? byNumber : byName
    const person = found[0]
    if (found.length > 1)
      throw new DomainError('validation', `«${who}»: несколько сотрудников с таким ФИО — укажите табельный номер`)
    if (!person)
      throw new DomainError('validation', `«${who}»: нет активного сотрудника ИТ с таким ФИО или табельным номером`)
    if (person.role === 'executor' && !isMember(group.id, person.id)) {
      throw new DomainError(
        'validation',
        `${person.full_name} — не в группе «${group.name}»: дежурит исполнитель группы или куратор`,
      )
    }
    const day = dayOf(cell('date'))
    if (day === undefined) throw new DomainError('validation', `Дата «${cell('date')}»: нужна в виде ДД.ММ.ГГГГ`)
    const startsAt = wallTimeToUtc(day, cell('from'), timeZone)
    const endsAt = shiftEnd(day, cell('from'), cell('to'), timeZone)
    if (startsAt === undefined || endsAt === undefined) {
      throw new DomainError('validation', `Время «${cell('from')}»–«${cell('to')}»: нужно в виде ЧЧ:ММ`)
    }
    const span = checkShiftSpan(startsAt, endsAt)
    const kindText = cell('kind').toLocaleLowerCase('ru')
    const kind = kindText === '' ? 'other' : kindWords[kindText]
    if (kind === undefined) throw new DomainError('validation', `Смена «${cell('kind')}»: дневная, ночная или другая`)
    return {
      line: row.line,
      groupId: group.id,
      groupName: group.name,
      userId: person.id,
      userName: person.full_name,
      ...span,
      kind,
      note: checkShiftNote(cell('note')),
      label: `${group.name}: ${person.full_name}, ${cell('date')} ${cell('from')}–${cell('to')}`,
    }
  })

  const planned: PlannedRow[] = []
  const creates: Read[] = []
  for (const shift of read) {
    const clash = (other: { startsAt: string; endsAt: string }) =>
      other.startsAt < shift.endsAt && other.endsAt > shift.startsAt
    const existing = await tx
      .selectFrom('duty_shifts')
      .select(['id', 'starts_at', 'ends_at'])
      .where('group_id', '=', shift.groupId)
      .where('user_id', '=', shift.userId)
      .where('starts_at', '<', shift.endsAt)
      .where('ends_at', '>', shift.startsAt)
      .execute()
    const same = existing.find((e) => e.starts_at === shift.startsAt && e.ends_at === shift.endsAt)
    if (same && existing.length === 1) {
      planned.push({ line: shift.line, action: 'unchanged', label: shift.label, fields: [] })
      continue
    }
    const earlier = creates.find((c) => c.groupId === shift.groupId && c.userId === shift.userId && clash(c))
    if (existing.length > 0 || earlier) {
      bad.push({
        line: shift.line,
        reason: earlier
          ? `пересекается со сменой в строке ${earlier.line}`
          : `у сотрудника уже есть смена в эти часы (№ ${existing[0]?.id ?? ''})`,
      })
      continue
    }
    creates.push(shift)
    planned.push({ line: shift.line, action: 'create', label: shift.label, fields: [] })
  }

  return {
    plan: sortByLine({ rows: planned, bad }),
    apply: async (applyTx, actor) => {
      const at = now()
      for (const shift of creates) {
        const row = await applyTx
          .insertInto('duty_shifts')
          .values({
            group_id: shift.groupId,
            user_id: shift.userId,
            starts_at: shift.startsAt,
            ends_at: shift.endsAt,
            kind: shift.kind,
            note: shift.note,
            created_by: actor.id,
            created_at: at,
            updated_by: actor.id,
            updated_at: at,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
        await audit(applyTx, actor, {
          action: 'duty.create',
          objectType: 'duty_shift',
          objectId: row.id,
          description: `Добавлена смена дежурства № ${row.id} (импорт)`,
          details: {
            groupId: shift.groupId,
            userId: shift.userId,
            startsAt: shift.startsAt,
            endsAt: shift.endsAt,
            kind: shift.kind,
          },
        })
      }
    },
  }
}
