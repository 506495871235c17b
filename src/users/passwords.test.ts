import { describe, expect, test } from 'vitest'
import { breachedPasswords, SHORTEST } from './breached-passwords.ts'
import { hashPassword, PASSWORD_MIN, passwordProblem, verifyPassword } from './passwords.ts'

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
    ['x'.repeat(257), 'не более 256'],
    ['aaaaaaaa', 'повторяющихся'],
    ['        ', 'повторяющихся'],
    ['abababab', 'повторяющихся'],
    ['ivanova-m', 'логином'],
    ['IVANOVA-M2026', 'логином'],
    ['kgkbsmp2024', 'названия больницы'],
    ['КГКБСМП_2024!', 'названия больницы'],
    ['helpdesk1', 'названия больницы'],
    ['Курск2026', 'названия больницы'],
    ['password', 'распространён'],
    ['PassWord123', 'распространён'],
    ['йцукенгшщз', 'распространён'],
    ['12345678', 'распространён'],
    ['QWERTYUIOP', 'распространён'],
    ['iloveyou2', 'распространён'],
  ])('%j is refused, saying why', async (plain, why) => {
    expect(await passwordProblem(plain, { login: 'ivanova-m' })).toContain(why)
  })

  test.each(['correct horse', 'Шёл снег 1999', 'скорая-помощь', 'aB3$zz9!', 'Курск — мой город', '739184625'])(
    '%j is accepted',
    async (plain) => {
      expect(await passwordProblem(plain, { login: 'ivanova-m' })).toBeNull()
    },
  )

  test('length counts characters, not bytes or UTF-16 units', async () => {
    expect(await passwordProblem('😀😁😂🤣😃😄😅')).toContain('не менее 8')
    expect(await passwordProblem('😀😁😂🤣😃😄😅😆')).toBeNull()
    expect(await passwordProblem('😀😁😀😁😀😁😀😁')).toContain('повторяющихся')
  })

  test('the breached list is offline, large, lower case, and loaded once', async () => {
    const list = await breachedPasswords()
    expect(list.size).toBeGreaterThanOrEqual(100_000)
    expect(await breachedPasswords()).toBe(list)
    expect(SHORTEST).toBe(PASSWORD_MIN)
    let checked = 0
    for (const entry of list) {
      expect(entry).toBe(entry.toLowerCase())
      expect(entry.length).toBeGreaterThanOrEqual(SHORTEST)
      if (++checked === 1000) break
    }
  })
})
