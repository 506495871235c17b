import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, test } from 'vitest'
import type { OutboxRow } from '#src/db/schema.ts'
import { createLoggingChannel } from './logging-channel.ts'

describe('logging channel', () => {
  test('logs the kind and ids of a notice, never its recipient or contents, and reports it delivered', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const channel = createLoggingChannel(pino({ level: 'info' }, sink))
    const row: OutboxRow = {
      id: 41,
      channel: 'telegram',
      recipient: '987654321',
      kind: 'ticket_message',
      payload: JSON.stringify({ userId: 5, text: 'Иванов Иван, +79001234567' }),
      status: 'sending',
      attempts: 1,
      next_attempt_at: '2026-03-02T08:00:00.000Z',
      last_error: null,
      ticket_id: 12,
      message_id: 30,
      created_at: '2026-03-02T08:00:00.000Z',
      sent_at: null,
      telegram_message_id: null,
    }
    expect(channel.name).toBe('telegram')
    expect(await channel.send(row)).toEqual({ ok: true })
    expect(lines).toHaveLength(1)
    const entry = JSON.parse(lines[0] ?? '{}')
    expect(entry).toMatchObject({
      channel: 'telegram',
      outboxId: 41,
      kind: 'ticket_message',
      ticketId: 12,
      messageId: 30,
    })
    expect(lines[0]).not.toContain('987654321')
    expect(lines[0]).not.toContain('Иванов')
    expect(lines[0]).not.toContain('+7900')
  })
})
