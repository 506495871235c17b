import { setClock } from '#src/db/time.ts'

/**
 * Freezes the application's clock (src/db/time.ts) at an instant; call again to move it. The real clock
 * comes back after each test (test/support/setup.ts calls `restoreClock`).
 */
let restore: (() => void) | undefined

export function restoreClock(): void {
  restore?.()
  restore = undefined
}

export function setTestClock(instant: string | number): void {
  const frozen = new Date(instant).getTime()
  const undo = setClock(() => new Date(frozen))
  restore ??= undo
}

/** The instant most clock-driven tests start from. */
export const T0 = Date.parse('2026-03-02T08:00:00.000Z')

/** Freezes the clock `offsetMs` after T0. */
export function clockAt(offsetMs: number): void {
  setTestClock(T0 + offsetMs)
}
