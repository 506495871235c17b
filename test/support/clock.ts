import { setClock } from '#src/db/time.ts'

/**
 * Freezes the application's clock (src/db/time.ts) at an instant; call again to move it. The real clock
 * comes back after each test (test/support/setup.ts calls `restoreClock`).
 */
export function restoreClock(): void {
  // Also undoes a test's own `setClock` that forgot its restore: a frozen clock must never reach the next test.
  setClock(() => new Date())
}

export function setTestClock(instant: string | number): void {
  const frozen = new Date(instant).getTime()
  setClock(() => new Date(frozen))
}

/** The instant most clock-driven tests start from. */
export const T0 = Date.parse('2026-03-02T08:00:00.000Z')

/** Freezes the clock `offsetMs` after T0. */
export function clockAt(offsetMs: number): void {
  setTestClock(T0 + offsetMs)
}
