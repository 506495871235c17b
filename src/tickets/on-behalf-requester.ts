import { audit } from '#src/audit/journal.ts'
import type { Db } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { can } from '#src/users/permissions.ts'

export interface OnBehalfRequester {
  id: number
  full_name: string
}

/**
 * The person staff chose to file for, to show again in a refused «Новая заявка» form. Only someone the
 * actor may file for (an active account, not the actor, who is «Я сам(а)» already); the name is ПДн,
 * so showing it is a journaled read like the search that found it. Anyone else: nothing, and nothing read.
 */
export async function onBehalfRequester(db: Db, actor: Actor, userId: number): Promise<OnBehalfRequester | undefined> {
  if (userId === actor.id || !can(actor, 'ticket.create_on_behalf')) return undefined
  const person = await db
    .selectFrom('users')
    .select(['id', 'full_name'])
    .where('id', '=', userId)
    .where('status', '=', 'active')
    .executeTakeFirst()
  if (!person) return undefined
  await audit(db, actor, {
    action: 'user.view',
    objectType: 'user',
    objectId: person.id,
    subjectId: person.id,
    pdn: true,
    description: `Просмотр ФИО заявителя № ${person.id} в форме новой заявки`,
    details: { purpose: 'ticket.create_on_behalf' },
  })
  return person
}
