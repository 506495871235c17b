import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

/**
 * A real OpenLDAP for the LDAP sign-in tests (issue 9, TESTING.md F10): Debian's slapd on a free loopback
 * port, with a generated slapd.conf (mdb in a temp folder) and an LDIF of people and groupOfNames groups.
 * The tests stop it themselves (`stopSlapd` in afterAll); `stop()`/`start()` take the directory down and
 * bring it back on the same port.
 */

export const SLAPD = '/usr/sbin/slapd'
const SLAPADD = '/usr/sbin/slapadd'
const hasSlapd = existsSync(SLAPD) && existsSync(SLAPADD)
/** In CI a missing slapd fails the LDAP tests (as a missing chromium fails the journeys); elsewhere they are skipped. */
export const runLdap = hasSlapd || process.env.CI === 'true'

if (!hasSlapd && process.env.CI !== 'true') {
  process.stderr.write(`LDAP tests skipped: ${SLAPD} is absent (apt-get install -y slapd ldap-utils)\n`)
}

export const BASE_DN = 'dc=example,dc=org'
export const SERVICE_DN = `cn=helpdesk,ou=service,${BASE_DN}`
export const SERVICE_PASSWORD = 'service-secret'
export const GROUPS = {
  executors: `cn=helpdesk-executors,ou=groups,${BASE_DN}`,
  curators: `cn=helpdesk-curators,ou=groups,${BASE_DN}`,
  admins: `cn=helpdesk-admins,ou=groups,${BASE_DN}`,
  /** A group the helpdesk does not map to a role. */
  other: `cn=accounting,ou=groups,${BASE_DN}`,
} as const
/** OpenLDAP's people are inetOrgPerson with `uid`, not AD's `user` with `sAMAccountName`. */
export const USER_FILTER = '(&(objectClass=inetOrgPerson)(uid={login}))'

export interface DirectoryPerson {
  uid: string
  password: string
  cn: string
  displayName?: string
  mail?: string
  phone?: string
  /** Stored as `ou` (inetOrgPerson has no AD `department`). */
  department?: string
  groups: Array<keyof typeof GROUPS>
}

/** Every person of the test directory. */
export const PEOPLE = {
  /** An executor whose ФИО is Cyrillic (displayName) and whose department exists in the helpdesk. */
  ivanov: {
    uid: 'ivanov',
    password: 'пароль-Иванова-1',
    cn: 'Ivan Ivanov',
    displayName: 'Иванов Иван Иванович',
    mail: 'ivanov@example.org',
    phone: '+7 900 111-22-33',
    department: 'Хирургия',
    groups: ['executors'],
  },
  /** In two mapped groups: the higher role (curator) wins. */
  petrova: { uid: 'petrova', password: 'petrova-pass-2', cn: 'Петрова Анна', groups: ['executors', 'curators'] },
  /** In the admins group and an unmapped one. */
  boss: { uid: 'boss', password: 'boss-pass-3', cn: 'Главный Админ', groups: ['admins', 'other'] },
  /** Only in an unmapped group: no access. */
  sidorov: { uid: 'sidorov', password: 'sidorov-pass-4', cn: 'Сидоров Сидор', groups: ['other'] },
  /** In no group at all. */
  loner: { uid: 'loner', password: 'loner-pass-5', cn: 'Одинокий Пользователь', groups: [] },
  /** A name full of filter metacharacters: it must be found by its exact name, and only by it. */
  odd: { uid: 'o*brien(x)\\y', password: 'odd-pass-6', cn: 'O*Brien (X) \\ Y', groups: ['executors'] },
} as const satisfies Record<string, DirectoryPerson>

export interface Slapd {
  url: string
  /** With `tls`: the self-signed certificate, to be given as LDAP_CA_FILE. */
  certFile: string
  /** With `tls`: the same directory over ldaps://. */
  ldapsUrl: string
  port: number
  /** Takes the directory down (the port then refuses connections). */
  stop(): Promise<void>
  /** Brings it back on the same port with the same data. */
  start(): Promise<void>
  /** Stops it for good and removes its folder. */
  dispose(): Promise<void>
  /** Removes a person from a group (ldapmodify as the root DN). */
  removeFromGroup(uid: string, group: keyof typeof GROUPS): void
}

function ldif(part: 'all' | 'people' | 'groups' = 'all'): string {
  const entries: string[] = [
    `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example Hospital`,
    `dn: ou=people,${BASE_DN}\nobjectClass: organizationalUnit\nou: people`,
    `dn: ou=groups,${BASE_DN}\nobjectClass: organizationalUnit\nou: groups`,
    `dn: ou=service,${BASE_DN}\nobjectClass: organizationalUnit\nou: service`,
    `dn: ${SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: helpdesk\nuserPassword: ${SERVICE_PASSWORD}`,
  ]
  const people = Object.values(PEOPLE) as DirectoryPerson[]
  if (part === 'groups') entries.length = 0
  for (const p of part === 'groups' ? [] : people) {
    // Base64 (`::`) for anything not plain ASCII or with LDIF's special characters.
    const lines = [
      `dn:: ${b64(personDn(p.uid))}`,
      'objectClass: inetOrgPerson',
      `uid:: ${b64(p.uid)}`,
      `cn:: ${b64(p.cn)}`,
      `sn:: ${b64(p.cn)}`,
      `userPassword:: ${b64(p.password)}`,
    ]
    if (p.displayName) lines.push(`displayName:: ${b64(p.displayName)}`)
    if (p.mail) lines.push(`mail: ${p.mail}`)
    if (p.phone) lines.push(`telephoneNumber: ${p.phone}`)
    if (p.department) lines.push(`ou:: ${b64(p.department)}`)
    entries.push(lines.join('\n'))
  }
  for (const [key, dn] of Object.entries(part === 'people' ? {} : GROUPS)) {
    const members = people.filter((p) => (p.groups as string[]).includes(key)).map((p) => personDn(p.uid))
    // groupOfNames needs a member: an empty group holds the service account.
    if (members.length === 0) members.push(SERVICE_DN)
    entries.push(
      [`dn: ${dn}`, 'objectClass: groupOfNames', `cn: ${dn.slice(3, dn.indexOf(','))}`]
        .concat(members.map((m) => `member:: ${b64(m)}`))
        .join('\n'),
    )
  }
  return `${entries.join('\n\n')}\n`
}

/** The DN of a person, with the RDN value escaped per RFC 4514. */
export function personDn(uid: string): string {
  const escaped = uid.replace(/[\\,+"<>;=#]/g, (c) => `\\${c}`)
  return `uid=${escaped},ou=people,${BASE_DN}`
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')

function conf(dir: string, memberOf: boolean, tls: boolean): string {
  return [
    ...(tls ? [`TLSCertificateFile ${dir}/cert.pem`, `TLSCertificateKeyFile ${dir}/key.pem`] : []),
    'include /etc/ldap/schema/core.schema',
    'include /etc/ldap/schema/cosine.schema',
    'include /etc/ldap/schema/inetorgperson.schema',
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    ...(memberOf ? ['moduleload memberof'] : []),
    `pidfile ${dir}/slapd.pid`,
    `argsfile ${dir}/slapd.args`,
    'database mdb',
    `suffix "${BASE_DN}"`,
    `rootdn "cn=root,${BASE_DN}"`,
    'rootpw root-secret',
    `directory ${dir}/db`,
    'maxsize 10485760',
    // AD's way: memberOf on the person, and the groups themselves out of the service account's sight, so
    // that only the memberOf path can find them.
    ...(memberOf ? ['overlay memberof', `access to dn.subtree="ou=groups,${BASE_DN}" by * none`] : []),
    'access to attrs=userPassword by anonymous auth by * none',
    'access to * by users read by * none',
    '',
  ].join('\n')
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * Starts a fresh slapd with the test directory loaded. `memberOf`: the memberof overlay keeps each person's
 * memberOf (groups are then added over LDAP, as the overlay does not see slapadd) and groups are unreadable.
 */
export async function startSlapd(options: { memberOf?: boolean; tls?: boolean } = {}): Promise<Slapd> {
  const memberOf = options.memberOf ?? false
  const tls = options.tls ?? false
  if (!hasSlapd) throw new Error(`${SLAPD} is required in CI: apt-get install -y slapd ldap-utils`)
  const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-slapd-'))
  mkdirSync(path.join(dir, 'db'))
  const confFile = path.join(dir, 'slapd.conf')
  const ldifFile = path.join(dir, 'data.ldif')
  if (tls) {
    // A self-signed certificate for 127.0.0.1: StartTLS and ldaps:// trust it only through LDAP_CA_FILE.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    )
  }
  writeFileSync(confFile, conf(dir, memberOf, tls))
  writeFileSync(ldifFile, ldif(memberOf ? 'people' : 'all'))
  execFileSync(SLAPADD, ['-f', confFile, '-l', ldifFile], { stdio: 'pipe' })
  const port = await freePort()
  const url = `ldap://127.0.0.1:${port}`
  const ldapsUrl = tls ? `ldaps://127.0.0.1:${await freePort()}` : ''
  let child: ChildProcess | undefined

  const start = async () => {
    // `-d 0` keeps slapd in the foreground, so that it is this process's child and dies with the test.
    const listen = tls ? `${url}/ ${ldapsUrl}/` : `${url}/`
    const proc = spawn(SLAPD, ['-f', confFile, '-h', listen, '-d', '0'], { stdio: 'ignore' })
    child = proc
    // Should the test process end without afterAll (a crash, a timeout), slapd is not left running.
    const orphaned = () => proc.kill('SIGKILL')
    process.once('exit', orphaned)
    proc.once('exit', () => process.removeListener('exit', orphaned))
    const deadline = Date.now() + 10_000
    while (!(await accepts(port))) {
      if (proc.exitCode !== null) throw new Error(`slapd exited with ${proc.exitCode}`)
      if (Date.now() > deadline) throw new Error('slapd did not start within 10 s')
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const stop = async () => {
    const proc = child
    child = undefined
    if (!proc || proc.exitCode !== null) return
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  await start()
  if (memberOf) {
    execFileSync('ldapadd', ['-x', '-H', url, '-D', `cn=root,${BASE_DN}`, '-w', 'root-secret'], {
      input: ldif('groups'),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
  }
  return {
    url,
    certFile: path.join(dir, 'cert.pem'),
    ldapsUrl,
    port,
    start,
    stop,
    async dispose() {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
    removeFromGroup(uid, group) {
      const change = `dn: ${GROUPS[group]}\nchangetype: modify\ndelete: member\nmember:: ${b64(personDn(uid))}\n`
      execFileSync('ldapmodify', ['-x', '-H', url, '-D', `cn=root,${BASE_DN}`, '-w', 'root-secret'], {
        input: change,
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    },
  }
}
