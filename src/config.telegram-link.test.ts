import { describe, expect, test } from 'vitest'
import { tempDirs } from '../test/support/temp-dirs.ts'
import { ConfigError, loadConfig } from './config.ts'

const tempDir = tempDirs('helpdesk-config-')

describe('TELEGRAM_BOT_USERNAME', () => {
  test('absent (or empty) unless set; a leading @ and spaces are dropped', () => {
    expect(loadConfig({ DATA_DIR: tempDir() }).telegramBotUsername).toBeUndefined()
    expect(loadConfig({ DATA_DIR: tempDir(), TELEGRAM_BOT_USERNAME: '' }).telegramBotUsername).toBeUndefined()
    expect(loadConfig({ DATA_DIR: tempDir(), TELEGRAM_BOT_USERNAME: ' @kgkb_help_bot ' }).telegramBotUsername).toBe(
      'kgkb_help_bot',
    )
  })

  test.each(['kgkb help bot', 'bot', 'https://t.me/kgkb_help_bot'])('%s is refused by name', (name) => {
    expect(() => loadConfig({ DATA_DIR: tempDir(), TELEGRAM_BOT_USERNAME: name })).toThrow(ConfigError)
    expect(() => loadConfig({ DATA_DIR: tempDir(), TELEGRAM_BOT_USERNAME: name })).toThrow(/TELEGRAM_BOT_USERNAME/)
  })
})
