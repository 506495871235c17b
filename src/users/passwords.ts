import { hash, verify } from '@node-rs/argon2'
import { commonPasswords } from './common-passwords.ts'

/**
 * Passwords (COMPLIANCE.md §5, ASVS 6.2): argon2id, at least 8 characters, not one of the most common
 * ones, no composition rules. Messages stay generic.
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

const common = new Set(commonPasswords)

/** What is wrong with a new password, in Russian, or null when it is acceptable. */
export function passwordProblem(plain: string): string | null {
  const length = [...plain].length
  if (length < PASSWORD_MIN) return `Пароль должен содержать не менее ${PASSWORD_MIN} символов`
  if (length > PASSWORD_MAX) return `Пароль должен содержать не более ${PASSWORD_MAX} символов`
  if (common.has(plain.toLowerCase())) return 'Этот пароль слишком распространён, выберите другой'
  return null
}
