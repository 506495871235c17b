import { describe, expect, test } from 'vitest'
import { tempDirs } from '../test/support/temp-dirs.ts'
import { ConfigError, loadConfig } from './config.ts'

const tempDir = tempDirs('helpdesk-config-max-')

describe('MAX settings', () => {
  test('without MAX_BOT_TOKEN the MAX bot is off, whatever else is set', () => {
    expect(loadConfig({ DATA_DIR: tempDir() }).max).toEqual({ enabled: false })
    expect(loadConfig({ DATA_DIR: tempDir(), MAX_MODE: 'webhook', MAX_API_ROOT: 'http://127.0.0.1:9' }).max).toEqual({
      enabled: false,
    })
    // A token of spaces is no token.
    expect(loadConfig({ DATA_DIR: tempDir(), MAX_BOT_TOKEN: '   ' }).max).toEqual({ enabled: false })
  })

  test('a token switches it on in polling mode, with MAX’s own API root and the shared proxy', () => {
    const config = loadConfig({ DATA_DIR: tempDir(), MAX_BOT_TOKEN: ' max-token-1 ' })
    expect(config.max).toEqual({
      enabled: true,
      token: 'max-token-1',
      mode: 'polling',
      webhookSecret: undefined,
      apiRoot: undefined,
      proxy: undefined,
    })
    const proxied = loadConfig({
      DATA_DIR: tempDir(),
      MAX_BOT_TOKEN: 'max-token-1',
      TELEGRAM_PROXY: 'socks5://127.0.0.1:1080',
    })
    expect(proxied.max).toMatchObject({ enabled: true, proxy: 'socks5://127.0.0.1:1080' })
  })

  test('webhook mode, its secret and the API root (tests) are taken as given', () => {
    const secret = `Ab0_-${'x'.repeat(251)}`
    expect(secret).toHaveLength(256)
    const config = loadConfig({
      DATA_DIR: tempDir(),
      MAX_BOT_TOKEN: 'max-token-1',
      MAX_MODE: 'webhook',
      MAX_WEBHOOK_SECRET: secret,
      MAX_API_ROOT: 'http://127.0.0.1:8081',
    })
    expect(config.max).toMatchObject({
      enabled: true,
      mode: 'webhook',
      webhookSecret: secret,
      apiRoot: 'http://127.0.0.1:8081',
    })
    const shortest = loadConfig({ DATA_DIR: tempDir(), MAX_BOT_TOKEN: 't', MAX_WEBHOOK_SECRET: 'a-b_9' })
    expect(shortest.max).toMatchObject({ webhookSecret: 'a-b_9' })
  })

  test.each([
    [{ MAX_MODE: 'longpoll' }, /MAX_MODE/],
    [{ MAX_WEBHOOK_SECRET: 'abcd' }, /MAX_WEBHOOK_SECRET.*5–256/],
    [{ MAX_WEBHOOK_SECRET: 'x'.repeat(257) }, /MAX_WEBHOOK_SECRET/],
    [{ MAX_WEBHOOK_SECRET: 'has space' }, /MAX_WEBHOOK_SECRET/],
    [{ MAX_WEBHOOK_SECRET: 'секрет-секрет' }, /MAX_WEBHOOK_SECRET/],
    [{ MAX_WEBHOOK_SECRET: 'a+b/c=d' }, /MAX_WEBHOOK_SECRET/],
    [{ MAX_API_ROOT: 'not a url' }, /MAX_API_ROOT/],
  ])('a bad value stops the start with a clear message: %o', (env, message) => {
    const load = () => loadConfig({ DATA_DIR: tempDir(), MAX_BOT_TOKEN: 'max-token-1', ...env })
    expect(load).toThrow(ConfigError)
    expect(load).toThrow(message)
  })
})
