import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import { Client, type Entry, InvalidCredentialsError, SizeLimitExceededError } from 'ldapts'
import type { LdapConfig } from '#src/config.ts'
import { type Role, roles } from '#src/db/schema.ts'

/**
 * The directory side of LDAP / Active Directory sign-in (issue 9): find the person with the service account,
 * read their groups, then bind as them with the given password. What it answers says nothing about our own
 * accounts; ldap-login.ts decides.
 */

/** A person the directory vouched for (their password bound). */
export interface DirectoryUser {
  dn: string
  fullName: string
  mail: string | null
  phone: string | null
  department: string | null
  /** The groups' DNs as the directory gave them. */
  groups: string[]
  /** The highest role of the mapped groups; null when none is mapped. */
  role: Role | null
}

export type DirectoryAnswer =
  | { kind: 'ok'; user: DirectoryUser }
  /** No entry, or more than one, for the login. */
  | { kind: 'not_found' }
  | { kind: 'wrong_password' }

/** The directory did not answer (down, slow, refused the service account): sign-in fails closed. */
export class DirectoryUnavailableError extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'DirectoryUnavailableError'
  }
}

/** What ldap-login.ts needs of a directory; a test may give another. */
export interface Directory {
  authenticate(login: string, password: string): Promise<DirectoryAnswer>
}

/**
 * RFC 4515 §3: a value inside a filter has `*`, `(`, `)`, `\` and NUL written as `\XX`, so that a login
 * such as `*` or `admin)(|(uid=*` is looked up as those very characters and never widens the filter.
 */
export function escapeFilterValue(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the characters RFC 4515 escapes
  return value.replace(/[*()\\\u0000]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

/** `LDAP_USER_FILTER` with every `{login}` replaced by the escaped login. */
export function userFilter(template: string, login: string): string {
  const escaped = escapeFilterValue(login)
  return template.replaceAll('{login}', () => escaped)
}

/** DNs compare without case and without the spaces some tools put around `,` and `=`. */
export function normalizeDn(dn: string): string {
  return dn
    .trim()
    .toLowerCase()
    .replace(/\s*([,=])\s*/g, '$1')
}

/** The highest role any of the groups maps to; null when none is mapped. */
export function roleOfGroups(groups: readonly string[], groupRoles: Readonly<Record<string, Role>>): Role | null {
  const mapped = new Map(Object.entries(groupRoles).map(([dn, role]) => [normalizeDn(dn), role]))
  let best: Role | null = null
  for (const group of groups) {
    const role = mapped.get(normalizeDn(group))
    if (role && (best === null || roles.indexOf(role) > roles.indexOf(best))) best = role
  }
  return best
}

const ATTRIBUTES = ['displayName', 'cn', 'mail', 'telephoneNumber', 'department', 'ou', 'memberOf']

function first(entry: Entry, name: string): string | null {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase())
  const value = key === undefined ? undefined : entry[key]
  const one = Array.isArray(value) ? value[0] : value
  if (one === undefined) return null
  const text = (Buffer.isBuffer(one) ? one.toString('utf8') : String(one)).trim()
  return text === '' ? null : text
}

function all(entry: Entry, name: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase())
  const value = key === undefined ? undefined : entry[key]
  if (value === undefined) return []
  return (Array.isArray(value) ? value : [value]).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)))
}

/** The real directory of LDAP_* settings (ldapts). */
export class LdapDirectory implements Directory {
  readonly #config: LdapConfig
  readonly #tls: ConnectionOptions | undefined

  constructor(config: LdapConfig) {
    this.#config = config
    this.#tls = config.caFile ? { ca: readFileSync(config.caFile) } : undefined
  }

  async authenticate(login: string, password: string): Promise<DirectoryAnswer> {
    // An empty password would be an unauthenticated bind, which many servers accept as a success.
    if (password === '' || login === '') return { kind: 'not_found' }
    const deadline = Date.now() + this.#config.timeoutMs
    let timer: NodeJS.Timeout | undefined
    const clients: Client[] = []
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DirectoryUnavailableError(`no answer within ${this.#config.timeoutMs} ms`)),
        this.#config.timeoutMs,
      )
    })
    try {
      return await Promise.race([this.#attempt(login, password, deadline, clients), expired])
    } finally {
      clearTimeout(timer)
      // A slow server's connection is left to close on its own; nothing waits for it.
      for (const client of clients) client.unbind().catch(() => {})
    }
  }

  async #attempt(login: string, password: string, deadline: number, clients: Client[]): Promise<DirectoryAnswer> {
    const client = await this.#connect(deadline, clients)
    let entries: Entry[]
    try {
      const found = await client.search(this.#config.baseDn, {
        scope: 'sub',
        filter: userFilter(this.#config.userFilter, login),
        attributes: ATTRIBUTES,
        sizeLimit: 2,
      })
      entries = found.searchEntries
    } catch (error) {
      if (error instanceof SizeLimitExceededError) return { kind: 'not_found' }
      throw new DirectoryUnavailableError(`search failed: ${(error as Error).name}`)
    }
    // Two entries for one login: binding as either could be the wrong person.
    const entry = entries.length === 1 ? entries[0] : undefined
    if (!entry) return { kind: 'not_found' }
    const groups = all(entry, 'memberOf')
    if (groups.length === 0) groups.push(...(await this.#groupsOf(client, entry.dn)))
    try {
      await client.bind(entry.dn, password)
    } catch (error) {
      if (error instanceof InvalidCredentialsError) return { kind: 'wrong_password' }
      throw new DirectoryUnavailableError(`user bind failed: ${(error as Error).name}`)
    }
    return {
      kind: 'ok',
      user: {
        dn: entry.dn,
        fullName: first(entry, 'displayName') ?? first(entry, 'cn') ?? login,
        mail: first(entry, 'mail'),
        phone: first(entry, 'telephoneNumber'),
        department: first(entry, 'department') ?? first(entry, 'ou'),
        groups,
        role: roleOfGroups(groups, this.#config.groupRoles),
      },
    }
  }

  /** OpenLDAP without the memberof overlay: the groupOfNames that list the DN as a member. */
  async #groupsOf(client: Client, dn: string): Promise<string[]> {
    try {
      const found = await client.search(this.#config.baseDn, {
        scope: 'sub',
        filter: `(&(objectClass=groupOfNames)(member=${escapeFilterValue(dn)}))`,
        attributes: ['dn'],
      })
      return found.searchEntries.map((e) => e.dn)
    } catch (error) {
      throw new DirectoryUnavailableError(`group search failed: ${(error as Error).name}`)
    }
  }

  /** The first URL that connects and accepts the service account (failover in the configured order). */
  async #connect(deadline: number, clients: Client[]): Promise<Client> {
    let last = 'no LDAP_URL'
    for (const url of this.#config.urls) {
      const remaining = Math.max(1, deadline - Date.now())
      // tlsOptions only for ldaps://: ldapts opens TLS at once whenever they are given, which a plain
      // ldap:// server (StartTLS) drops.
      const secure = url.toLowerCase().startsWith('ldaps:')
      const client = new Client({
        url,
        timeout: remaining,
        connectTimeout: remaining,
        ...(secure && this.#tls ? { tlsOptions: { ...this.#tls } } : {}),
      })
      clients.push(client)
      try {
        // A fresh object each time (ldapts stores the socket in it), and the host named: without it Node
        // checks the certificate against `localhost`.
        if (this.#config.startTls) await client.startTLS({ ...this.#tls, host: new URL(url).hostname })
        await client.bind(this.#config.bindDn, this.#config.bindPassword)
        return client
      } catch (error) {
        last = `${url}: ${(error as Error).name}`
      }
    }
    throw new DirectoryUnavailableError(last)
  }
}
