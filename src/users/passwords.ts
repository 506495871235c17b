import { hash, verify } from '@node-rs/argon2'
import { isBreached } from './breached-passwords.ts'

/**
 * Passwords (COMPLIANCE.md §5, ASVS 6.2, NIST SP 800-63B 3.1.1.2): argon2id, at least 8 characters, no
 * composition rules; refused when guessed first: in a breached-password list, one or two characters
 * repeated, the login in it, or the hospital's and the service's names with digits.
 */

// OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane); @node-rs/argon2 defaults to argon2id.
const options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 256

export async function hashPassword(plain: string): Promise<string> {
  return hash(plain, options)
}

/** False for a wrong password and for a hash that is not argon2 at all. */
export async function verifyPassword(passwordHash: string, plain: string): Promise<boolean> {
  try {
    return await verify(passwordHash, plain)
  } catch {
    return false
  }
}

/**
 * What attackers try first against this site: its own names (the hospital, the town, the service).
 * A password made of them and digits or signs (`kgkbsmp2024`, `Курск2026`, `helpdesk1`) is refused.
 */
const siteWords = [
  'кгкбсмп',
  'kgkbsmp',
  'обуз',
  'helpdesk',
  'хелпдеск',
  'курск',
  'kursk',
  'больница',
  'bolnica',
  'bolnitsa',
  'скорая',
  'skoraya',
  'smp',
  'смп',
  'admin',
  'админ',
]

/** Letters left after the site's names and the login are taken out: fewer than this is no password of one's own. */
const OWN_LETTERS = 4

export interface PasswordContext {
  /** The account's login, which the password must not contain. */
  login?: string | null
}

/** What is wrong with a new password, in Russian (saying why), or null when it is acceptable. */
export async function passwordProblem(plain: string, context: PasswordContext = {}): Promise<string | null> {
  const length = [...plain].length
  if (length < PASSWORD_MIN) return `Пароль должен содержать не менее ${PASSWORD_MIN} символов`
  if (length > PASSWORD_MAX) return `Пароль должен содержать не более ${PASSWORD_MAX} символов`
  const lower = plain.toLowerCase()
  if (new Set([...lower]).size < 3)
    return 'Пароль из одного-двух повторяющихся символов подбирается сразу, выберите другой'
  const login = context.login?.trim().toLowerCase() ?? ''
  if (login.length >= 3 && lower.includes(login)) return 'Пароль не должен совпадать с логином или содержать его'
  if (madeOfNames(lower, login)) {
    return 'Пароль из названия больницы или сервиса с цифрами подбирают первым, выберите другой'
  }
  if (await isBreached(plain)) {
    return 'Этот пароль слишком распространён: он есть в списках утёкших паролей, выберите другой'
  }
  return null
}

/** A site's name (or the login) with hardly a letter of one's own beside it. */
function madeOfNames(lower: string, login: string): boolean {
  let rest = lower
  for (const word of login ? [...siteWords, login] : siteWords) rest = rest.replaceAll(word, '')
  return rest !== lower && (rest.match(/\p{L}/gu)?.length ?? 0) < OWN_LETTERS
}
