import type { Db } from '#src/db/schema.ts'
import type { Actor } from '#src/users/actor.ts'
import { authorize } from '#src/users/authorize.ts'

/** A person's requests are the admin's: anyone else is refused, and the attempt journaled. */
export async function authorizeSubjectRequests(
  db: Db,
  actor: Actor,
  action: string,
  requestId: number | null = null,
): Promise<void> {
  await authorize(
    db,
    actor,
    'subject_request.manage',
    {
      action,
      objectType: 'subject_request',
      objectId: requestId,
      pdn: true,
      description:
        requestId === null ? 'Отказано в доступе к запросам субъектов' : `Отказано в доступе к запросу № ${requestId}`,
    },
    'Запросы субъектов доступны только администратору',
  )
}
