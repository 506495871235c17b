import { describe, expect, test } from 'vitest'
import { commonPasswords } from './common-passwords.ts'
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts'

describe('passwords', () => {
  test('a password is hashed with argon2id, salted, and verifies', async () => {
    const first = await hashPassword('Лето в Курске 2026')
    const second = await hashPassword('Лето в Курске 2026')
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(first).not.toBe(second)
    expect(await verifyPassword(first, 'Лето в Курске 2026')).toBe(true)
    expect(await verifyPassword(first, 'лето в курске 2026')).toBe(false)
  })

  test('a stored value that is not an argon2 hash never verifies', async () => {
    expect(await verifyPassword('plaintext-password', 'plaintext-password')).toBe(false)
    expect(await verifyPassword('', '')).toBe(false)
  })

  test.each([
    ['', 'не менее 8'],
    ['1234567', 'не менее 8'],
    ['пароль', 'не менее 8'],
    ['password', 'распространён'],
    ['PassWord123', 'распространён'],
    ['йцукенгшщз', 'распространён'],
    ['12345678', 'распространён'],
    ['x'.repeat(257), 'не более 256'],
  ])('%j is refused', (plain, message) => {
    expect(passwordProblem(plain)).toContain(message)
  })

  test.each(['correct horse', 'Шёл снег 1999', 'скорая-помощь', 'aB3$zz9!'])('%j is accepted', (plain) => {
    expect(passwordProblem(plain)).toBeNull()
  })

  test('length counts characters, not bytes or UTF-16 units', () => {
    expect(passwordProblem('😀😀😀😀😀😀😀')).toContain('не менее 8')
    expect(passwordProblem('😀😀😀😀😀😀😀😀')).toBeNull()
  })

  test('the list of common passwords holds about a hundred lower-case entries', () => {
    expect(commonPasswords.length).toBeGreaterThanOrEqual(100)
    for (const p of commonPasswords) expect(p).toBe(p.toLowerCase())
  })
})
