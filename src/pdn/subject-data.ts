import { readFile } from 'node:fs/promises'
import { safeFileName, storedFilePath } from '#src/attachments/file-store.ts'
import type { Role, Tx } from '#src/db/schema.ts'
import { DomainError } from '#src/errors.ts'
import { priorityLabels, statusLabels } from '#src/tickets/rules.ts'

/**
 * Everything the helpdesk holds about one person (152-ФЗ ст. 14 ч. 7), as their access answer gives it: the
 * profile, the consents, their tickets with the messages they can see, the files they sent, and who touched
 * their data (the journal rows with their subject id). Other people appear only as their role («Исполнитель
 * ИТ-отдела»), never by name, login or address: the answer must not hand over anyone else's personal data.
 */
export interface SubjectData {
  profile: {
    id: number
    fullName: string
    phone: string | null
    email: string | null
    employeeNumber: string | null
    position: string | null
    room: string | null
    department: string | null
    login: string | null
    telegramUsername: string | null
    telegramLinked: boolean
    role: string
    status: string
    createdAt: string
    confirmedAt: string | null
    deactivatedAt: string | null
    blockedAt: string | null
  }
  consents: Array<{
    version: number | null
    channel: string
    status: string
    givenAt: string
    withdrawnAt: string | null
    evidence: unknown
  }>
  tickets: Array<{
    id: number
    title: string
    description: string
    status: string
    priority: string
    category: string | null
    location: string | null
    createdAt: string
    closedAt: string | null
    resolution: string | null
    messages: Array<{ id: number; at: string; author: string; text: string }>
  }>
  /** Messages the person wrote on tickets that are not theirs (as staff): the text only. */
  otherMessages: Array<{ ticketId: number; at: string; text: string }>
  files: Array<{
    id: number
    ticketId: number
    name: string
    mimeType: string
    size: number
    sentAt: string
    path: string | null
  }>
  accessLog: Array<{ at: string; who: string; channel: string; action: string; description: string; result: string }>
}

/** How another person appears in a person's answer: by role only. */
export const roleInAnswer: Record<Role | 'system', string> = {
  requester: 'Сотрудник больницы (пользователь)',
  executor: 'Исполнитель ИТ-отдела',
  curator: 'Куратор ИТ-отдела',
  admin: 'Администратор системы',
  system: 'Система (автоматически)',
}

export const SELF_IN_ANSWER = 'Вы'

export interface SubjectFile {
  /** The path inside the ZIP. */
  path: string
  bytes: Uint8Array
}

/** Reads what is held about the person; `dataDir` is where the files are. */
export async function collectSubjectData(
  tx: Tx,
  dataDir: string,
  userId: number,
): Promise<{ data: SubjectData; files: SubjectFile[] }> {
  const user = await tx
    .selectFrom('users as u')
    .leftJoin('departments as d', 'd.id', 'u.department_id')
    .selectAll('u')
    .select('d.name as department_name')
    .where('u.id', '=', userId)
    .executeTakeFirst()
  if (!user) throw new DomainError('not_found', 'Пользователь не найден')

  const consents = await tx
    .selectFrom('consent_records as r')
    .leftJoin('consent_texts as t', 't.id', 'r.consent_text_id')
    .select(['t.version', 'r.channel', 'r.status', 'r.created_at', 'r.withdrawn_at', 'r.evidence'])
    .where('r.user_id', '=', userId)
    .orderBy('r.id')
    .execute()

  const tickets = await tx
    .selectFrom('tickets as t')
    .leftJoin('categories as c', 'c.id', 't.category_id')
    .selectAll('t')
    .select('c.name as category_name')
    .where('t.requester_id', '=', userId)
    .orderBy('t.id')
    .execute()
  const ticketIds = tickets.map((t) => t.id)
  // Only the messages the person was shown: internal notes are IT's working notes about the work, not sent.
  const messages =
    ticketIds.length === 0
      ? []
      : await tx
          .selectFrom('ticket_messages as m')
          .innerJoin('users as a', 'a.id', 'm.author_id')
          .select(['m.id', 'm.ticket_id', 'm.author_id', 'm.body', 'm.created_at', 'a.role as author_role'])
          .where('m.ticket_id', 'in', ticketIds)
          .where('m.kind', '=', 'external')
          .orderBy('m.id')
          .execute()
  const otherMessages = await tx
    .selectFrom('ticket_messages as m')
    .innerJoin('tickets as t', 't.id', 'm.ticket_id')
    .select(['m.ticket_id', 'm.body', 'm.created_at'])
    .where('m.author_id', '=', userId)
    .where('t.requester_id', '<>', userId)
    .orderBy('m.id')
    .execute()

  const attachments = await tx
    .selectFrom('attachments')
    .selectAll()
    .where('uploader_id', '=', userId)
    .orderBy('id')
    .execute()
  const files: SubjectFile[] = []
  const fileRows: SubjectData['files'] = []
  for (const a of attachments) {
    const name = `files/${a.id}-${safeFileName(a.file_name, a.sha256, a.mime_type)}`
    const bytes = await readFile(storedFilePath(dataDir, a.sha256)).catch(() => undefined)
    if (bytes) files.push({ path: name, bytes })
    fileRows.push({
      id: a.id,
      ticketId: a.ticket_id,
      name: a.file_name,
      mimeType: a.mime_type,
      size: a.size,
      sentAt: a.created_at,
      path: bytes ? name : null,
    })
  }

  const journal = await tx
    .selectFrom('audit_log as l')
    .leftJoin('users as a', 'a.id', 'l.actor_id')
    .select(['l.at', 'l.actor_id', 'a.role as actor_role', 'l.channel', 'l.action', 'l.description', 'l.result'])
    .where('l.subject_id', '=', userId)
    .orderBy('l.id')
    .execute()

  const who = (actorId: number | null, role: Role | null) =>
    actorId === userId ? SELF_IN_ANSWER : roleInAnswer[actorId === null || role === null ? 'system' : role]

  const data: SubjectData = {
    profile: {
      id: user.id,
      fullName: user.full_name,
      phone: user.phone,
      email: user.email,
      employeeNumber: user.employee_number,
      position: user.position,
      room: user.room,
      department: user.department_name,
      login: user.login,
      telegramUsername: user.telegram_username,
      telegramLinked: user.telegram_chat_id !== null,
      role: roleInAnswer[user.role],
      status: user.status,
      createdAt: user.created_at,
      confirmedAt: user.confirmed_at,
      deactivatedAt: user.deactivated_at,
      blockedAt: user.blocked_at,
    },
    consents: consents.map((c) => ({
      version: c.version,
      channel: c.channel,
      status: c.status,
      givenAt: c.created_at,
      withdrawnAt: c.withdrawn_at,
      evidence: withoutStaffIds(parseJson(c.evidence)),
    })),
    tickets: tickets.map((t) => ({
      id: t.id,
      title: t.title,
      description: t.description,
      status: statusLabels[t.status],
      priority: priorityLabels[t.priority],
      category: t.category_name,
      location: t.location,
      createdAt: t.created_at,
      closedAt: t.closed_at ?? t.cancelled_at,
      resolution: t.resolution,
      messages: messages
        .filter((m) => m.ticket_id === t.id)
        .map((m) => ({ id: m.id, at: m.created_at, author: who(m.author_id, m.author_role), text: m.body })),
    })),
    otherMessages: otherMessages.map((m) => ({ ticketId: m.ticket_id, at: m.created_at, text: m.body })),
    files: fileRows,
    accessLog: journal.map((j) => ({
      at: j.at,
      who: who(j.actor_id, j.actor_role),
      channel: j.channel,
      action: j.action,
      description: j.description,
      result: j.result,
    })),
  }
  return { data, files }
}

/**
 * A paper consent's evidence names the admin who recorded it by id: the answer says who by role, as
 * everywhere else in it.
 */
function withoutStaffIds(evidence: unknown): unknown {
  if (typeof evidence !== 'object' || evidence === null || !('recorded_by' in evidence)) return evidence
  return { ...evidence, recorded_by: roleInAnswer.admin }
}

function parseJson(text: string | null): unknown {
  if (text === null) return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
