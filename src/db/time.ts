/**
 * The clock. Everything asks `now()` so that tests can move time (`setClock`) without faking timers.
 * Times are UTC ISO-8601 strings, which sort and compare correctly as text in both databases.
 */
let clock: () => Date = () => new Date()

export function now(): string {
  return clock().toISOString()
}

export function nowDate(): Date {
  return clock()
}

/** Replaces the clock (tests); returns a function that restores the real one. */
export function setClock(next: () => Date): () => void {
  clock = next
  return () => {
    clock = () => new Date()
  }
}

export function addMinutes(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString()
}
