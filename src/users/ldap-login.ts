import { audit } from '#src/audit/journal.ts'
import type { Db, Tx, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import type { Actor } from './actor.ts'
import { normalizePhone } from './fields.ts'
import type { Directory, DirectoryUser } from './ldap-directory.ts'
import { findUserByLogin, insertUser, writeUserChanges } from './user-store.ts'

/**
 * LDAP / Active Directory as the first factor (issue 9). The directory says who the person is and which
 * groups they are in; the groups give the role; our account is made at the first sign-in and refreshed at
 * each one after. A state kept here wins over the directory: a deactivated account stays refused.
 */

/** The journal's wording of a refusal for want of a mapped group (the person sees the one login refusal). */
export const LDAP_NO_ACCESS = 'Нет доступа к системе заявок'

/** Shown when the directory cannot be asked: nothing about the login or password is known then. */
export const LDAP_UNAVAILABLE =
  'Служба каталога (Active Directory) не отвечает, поэтому вход по доменной учётной записи сейчас невозможен. Попробуйте через несколько минут или обратитесь в ИТ-отдел'

export type LdapOutcome = { ok: true; user: User } | { ok: false; user: User | undefined; reason: string }

/**
 * Checks a login and password against the directory and brings our account in line with it. Throws
 * DirectoryUnavailableError when the directory does not answer.
 */
export async function ldapFirstFactor(
  db: Db,
  directory: Directory,
  actor: Actor,
  login: string,
  password: string,
): Promise<LdapOutcome> {
  const answer = await directory.authenticate(login, password)
  const existing = await findUserByLogin(db, login)
  if (answer.kind === 'not_found') return { ok: false, user: existing, reason: 'unknown_login' }
  if (answer.kind === 'wrong_password') return { ok: false, user: existing, reason: 'wrong_password' }
  const person = answer.user
  if (existing && existing.status !== 'active') {
    return { ok: false, user: existing, reason: `status_${existing.status}` }
  }
  // A local account with a password never reaches here (login.ts checks it itself); one with a password
  // set meanwhile is not taken over by a directory entry of the same name. An LDAP account that somehow
  // got a local password is still the directory's: its groups keep deciding.
  if (existing && existing.auth_source === 'local' && existing.password_hash !== null) {
    return { ok: false, user: existing, reason: 'local_account' }
  }
  if (person.role === null) return { ok: false, user: existing, reason: 'ldap_no_group' }
  const role = person.role

  const departmentId = await departmentOf(db, person.department)
  const phone = phoneOf(person)
  return transact(db, async (tx) => {
    if (!existing) {
      const at = now()
      const user = await insertUser(tx, {
        role,
        status: 'active',
        full_name: person.fullName,
        login: login.trim().toLowerCase(),
        phone,
        department_id: departmentId,
        auth_source: 'ldap',
        external_dn: person.dn,
        confirmed_at: at,
      })
      await audit(tx, actor, {
        action: 'user.create',
        objectType: 'user',
        objectId: user.id,
        subjectId: user.id,
        pdn: true,
        description: `Пользователь № ${user.id} создан при первом входе через каталог LDAP`,
        details: { source: 'ldap', role, department_id: departmentId },
      })
      return { ok: true, user }
    }
    const { updated, changed } = await writeUserChanges(tx, existing, {
      full_name: person.fullName,
      role,
      external_dn: person.dn,
      auth_source: 'ldap' as const,
      // What the directory does not say is kept as it was here.
      ...(phone !== null ? { phone } : {}),
      ...(departmentId !== null ? { department_id: departmentId } : {}),
    })
    if (changed.length > 0) {
      await audit(tx, actor, {
        action: 'user.update',
        objectType: 'user',
        objectId: existing.id,
        subjectId: existing.id,
        pdn: true,
        description: `Данные пользователя № ${existing.id} обновлены из каталога LDAP при входе`,
        details: { source: 'ldap', fields: changed, ...(changed.includes('role') ? { role } : {}) },
      })
    }
    return { ok: true, user: updated }
  })
}

/** Our department whose name equals the directory's, ignoring case (done here: SQLite's lower() is ASCII only). */
async function departmentOf(db: Tx, name: string | null): Promise<number | null> {
  if (name === null) return null
  const wanted = name.trim().toLocaleLowerCase('ru')
  const departments = await db.selectFrom('departments').select(['id', 'name']).where('active', '=', 1).execute()
  return departments.find((d) => d.name.trim().toLocaleLowerCase('ru') === wanted)?.id ?? null
}

/** The directory's phone in our form; one we cannot read is left out rather than refusing the sign-in. */
function phoneOf(person: DirectoryUser): string | null {
  if (person.phone === null) return null
  try {
    return normalizePhone(person.phone)
  } catch {
    return null
  }
}
