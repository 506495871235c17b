import { Hono } from 'hono'
import { z } from 'zod'
import { dutyShiftKinds } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { createShift } from '#src/duty/create-shift.ts'
import { deleteShift } from '#src/duty/delete-shift.ts'
import { DUTY_NOTE_MAX, mondayOf } from '#src/duty/duty-rules.ts'
import type { DutyShiftRow } from '#src/duty/duty-store.ts'
import { listShifts } from '#src/duty/list-shifts.ts'
import { viewOnDuty } from '#src/duty/on-duty.ts'
import { updateShift } from '#src/duty/update-shift.ts'
import { addDays, beforeBound, dayStartUtc, fromBound, localDay } from '#src/format/zone-days.ts'
import { authenticate } from './authenticate.ts'
import type { ApiEnv } from './env.ts'
import { dbId, idParam, jsonBody, q, queryOf, text } from './validate.ts'

const moment = z.string().max(40).describe('Момент ISO-8601 с часовым поясом, например 2026-03-02T20:00:00+03:00')

export const createShiftBody = z
  .object({
    group_id: dbId(),
    user_id: dbId(),
    starts_at: moment,
    ends_at: moment,
    kind: z.enum(dutyShiftKinds),
    note: text(DUTY_NOTE_MAX * 2)
      .nullable()
      .optional(),
  })
  .strict()

export const updateShiftBody = createShiftBody
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'Укажите, что изменить')

export const listShiftsQuery = z
  .object({
    from: q.dateOrMoment().optional(),
    to: q.dateOrMoment().optional(),
    group_id: q.int().optional(),
  })
  .strict()

/** A shift as the API shows it: the person's name and role, nothing else of them. */
export function presentShift(shift: DutyShiftRow) {
  return {
    id: shift.id,
    group_id: shift.group_id,
    group_name: shift.group_name,
    user_id: shift.user_id,
    user_name: shift.person_name,
    user_role: shift.person_role,
    starts_at: shift.starts_at,
    ends_at: shift.ends_at,
    kind: shift.kind,
    note: shift.note,
    created_by: shift.created_by,
    created_at: shift.created_at,
    updated_by: shift.updated_by,
    updated_at: shift.updated_at,
  }
}

/** /duty: «Дежурства» — IT staff read the roster and who is on duty now; curators and admins change it. */
export function dutyRoutes(): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>()
  routes.use(authenticate)

  routes.get('/', async (c) => {
    const query = queryOf(c, listShiftsQuery)
    const { db, config } = c.get('deps')
    const tz = config.tzDisplay
    const week = mondayOf(localDay(now(), tz))
    const from = query.from ? fromBound(query.from, tz) : dayStartUtc(week, tz)
    const to = query.to ? beforeBound(query.to, tz) : dayStartUtc(addDays(week, 7), tz)
    const items = await listShifts(db, c.get('actor'), {
      from,
      to,
      ...(query.group_id !== undefined ? { groupId: query.group_id } : {}),
    })
    return c.json({ from, to, time_zone: tz, items: items.map(presentShift) })
  })

  routes.get('/now', async (c) => {
    const groups = await viewOnDuty(c.get('deps').db, c.get('actor'))
    return c.json({
      at: now(),
      groups: groups.map((g) => ({
        group_id: g.groupId,
        group_name: g.groupName,
        people: g.people.map((p) => ({
          user_id: p.userId,
          name: p.name,
          role: p.role,
          kind: p.kind,
          ends_at: p.endsAt,
        })),
      })),
    })
  })

  routes.post('/', async (c) => {
    const body = await jsonBody(c, createShiftBody)
    const shift = await createShift(c.get('deps').db, c.get('actor'), {
      groupId: body.group_id,
      userId: body.user_id,
      startsAt: body.starts_at,
      endsAt: body.ends_at,
      kind: body.kind,
      note: body.note ?? null,
    })
    return c.json(presentShift(shift), 201)
  })

  routes.patch('/:id', async (c) => {
    const id = idParam(c)
    const body = await jsonBody(c, updateShiftBody)
    const shift = await updateShift(c.get('deps').db, c.get('actor'), {
      id,
      ...(body.group_id !== undefined ? { groupId: body.group_id } : {}),
      ...(body.user_id !== undefined ? { userId: body.user_id } : {}),
      ...(body.starts_at !== undefined ? { startsAt: body.starts_at } : {}),
      ...(body.ends_at !== undefined ? { endsAt: body.ends_at } : {}),
      ...(body.kind !== undefined ? { kind: body.kind } : {}),
      ...(body.note !== undefined ? { note: body.note } : {}),
    })
    return c.json(presentShift(shift))
  })

  routes.delete('/:id', async (c) => {
    await deleteShift(c.get('deps').db, c.get('actor'), { id: idParam(c) })
    return c.body(null, 204)
  })

  return routes
}
