import { auditDenied } from '#src/audit/denied.ts'
import { audit } from '#src/audit/journal.ts'
import type { Db, Tx, User } from '#src/db/schema.ts'
import { now } from '#src/db/time.ts'
import { transact } from '#src/db/transaction.ts'
import { DomainError } from '#src/errors.ts'
import type { Actor } from './actor.ts'
import { revokeAccess } from './deactivate-user.ts'
import { normalizePhone } from './fields.ts'
import type { Directory, DirectoryUser } from './ldap-directory.ts'
import { findUserByLogin, insertUser, writeUserChanges } from './user-store.ts'

/**
 * LDAP / Active Directory as the first factor (issue 9). The directory says who the person is and which
 * groups they are in; the groups give the role; our account is made at the first sign-in and refreshed at
 * each one after. A state kept here wins over the directory: a deactivated account stays refused.
 */

/**
 * The refusal of a person the directory vouched for (their password bound) who is in no mapped group: 403
 * `ldap_no_access`. Said only after a right password, so it tells a guesser nothing; the person learns to
 * ask IT for the group rather than to retype the password.
 */
export const LDAP_NO_ACCESS = 'Нет доступа к системе заявок'

/** Shown when the directory cannot be asked: nothing about the login or password is known then. */
export const LDAP_UNAVAILABLE =
  'Служба каталога (Active Directory) не отвечает, поэтому вход по доменной учётной записи сейчас невозможен. Попробуйте через несколько минут или обратитесь в ИТ-отдел'

export type LdapOutcome = { ok: true; user: User } | { ok: false; user: User | undefined; reason: string }

/**
 * The sAMAccountName-style name of a sign-in name: `DOMAIN\user` (down-level, the domain a NetBIOS or DNS
 * name) and `user@domain` (UPN) both become `user`; anything else stays as typed. The directory is asked
 * for this name (escaped in the filter as any other) and our account's login is it in lower case. A name
 * such as `o*brien(x)\y`, whose part before `\` is no domain name, is left whole.
 */
export function directoryLogin(login: string): string {
  const typed = login.trim()
  const downLevel = /^[A-Za-z0-9][A-Za-z0-9.-]*\\(.+)$/.exec(typed)
  if (downLevel?.[1] !== undefined) return downLevel[1].trim()
  const upn = /^(.+)@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$/.exec(typed)
  if (upn?.[1] !== undefined) return upn[1].trim()
  return typed
}

/**
 * Checks a login and password against the directory and brings our account in line with it. Throws
 * DirectoryUnavailableError when the directory does not answer, and DomainError `ldap_no_access` when the
 * password bound but no group of the person is mapped to a role.
 */
export async function ldapFirstFactor(
  db: Db,
  directory: Directory,
  actor: Actor,
  typed: string,
  password: string,
): Promise<LdapOutcome> {
  const login = directoryLogin(typed)
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
  if (person.role === null) {
    await refuseWithoutGroup(db, actor, existing)
    throw new DomainError('ldap_no_access', LDAP_NO_ACCESS)
  }
  const role = person.role

  const departmentId = await departmentOf(db, person.department)
  const phone = phoneOf(person)
  const email = emailOf(person)
  return transact(db, async (tx) => {
    if (!existing) {
      const at = now()
      const user = await insertUser(tx, {
        role,
        status: 'active',
        full_name: person.fullName,
        login: login.trim().toLowerCase(),
        phone,
        email,
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
      ...(email !== null ? { email } : {}),
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

/**
 * A right password without a mapped group: the person was never given access, or was taken out of the
 * groups since. An LDAP account we already have loses its live sessions and API tokens too, so that access
 * ends with the groups and not only at the next sign-in (a local account of the same name, which the directory
 * does not own, keeps them). Both the refusal and the revocation are journaled.
 */
async function refuseWithoutGroup(db: Db, actor: Actor, existing: User | undefined): Promise<void> {
  if (existing?.auth_source === 'ldap') {
    await transact(db, async (tx) => {
      const revoked = await revokeAccess(tx, existing.id, now())
      if (revoked.sessionsRevoked + revoked.apiTokensRevoked === 0) return
      await audit(tx, actor, {
        action: 'auth.session_revoke',
        objectType: 'user',
        objectId: existing.id,
        subjectId: existing.id,
        description: `Завершены сеансы и отозваны API-токены пользователя № ${existing.id}: в каталоге LDAP нет группы с доступом`,
        details: { source: 'ldap', reason: 'ldap_no_group', ...revoked },
      })
    })
  }
  await auditDenied(db, actor, {
    action: 'auth.login_failed',
    objectType: existing ? 'user' : null,
    objectId: existing?.id ?? null,
    subjectId: existing?.id ?? null,
    description: existing
      ? `Неудачный вход пользователя № ${existing.id}: в каталоге LDAP нет группы с доступом`
      : 'Неудачный вход: в каталоге LDAP нет группы с доступом',
    details: { reason: 'ldap_no_group' },
  })
}

/** Our department whose name equals the directory's, ignoring case (done here: SQLite's lower() is ASCII only). */
async function departmentOf(db: Tx, name: string | null): Promise<number | null> {
  if (name === null) return null
  const wanted = name.trim().toLocaleLowerCase('ru')
  const departments = await db.selectFrom('departments').select(['id', 'name']).where('active', '=', 1).execute()
  return departments.find((d) => d.name.trim().toLocaleLowerCase('ru') === wanted)?.id ?? null
}

/** The directory's `mail` when it looks like an address; anything else is left out, as a phone we cannot read. */
function emailOf(person: DirectoryUser): string | null {
  const mail = person.mail?.trim() ?? ''
  return mail.length <= 254 && /^[^\s@]+@[^\s@]+$/.test(mail) ? mail : null
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
