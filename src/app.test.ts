import { describe, expect, test } from 'vitest'
import { loggablePath } from './app.ts'

describe('the request log', () => {
  test('never carries the secret of a one-time login link', () => {
    expect(loggablePath('/login/telegram/Zm9vYmFyLXNlY3JldC10b2tlbg')).toBe('/login/telegram/…')
    expect(loggablePath('/login/telegram/abc/extra')).toBe('/login/telegram/…/extra')
    expect(loggablePath('/tickets/15')).toBe('/tickets/15')
    expect(loggablePath('/login')).toBe('/login')
  })

  test('never carries the secret of a set-password link', () => {
    expect(loggablePath('/password/set/Zm9vYmFyLXNlY3JldC10b2tlbg')).toBe('/password/set/…')
    expect(loggablePath('/password/set')).toBe('/password/set')
  })
})
