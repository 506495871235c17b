/**
 * Fixed log-spaced histogram buckets of durations in minutes, for the percentiles of the daily summary
 * (daily-summary.ts): a day's tickets add their counts to the buckets, and the median and 90th percentile of
 * any set of days come from the summed buckets.
 *
 * Bucket 0 holds [0, 1) minute (and a negative duration, a clock's slip); buckets 1…60 split 1 minute … 90
 * days into 60 equal steps of the logarithm, each `STEP` ≈ 1.217 times wider than the last; bucket 61 holds
 * 90 days and more. A value is estimated by its bucket's geometric middle, so that:
 * - between 1 minute and 90 days a percentile is within a factor √STEP of the exact one: at most 10.3 %
 *   off (the interpolation between two ranks mixes two estimates each within that factor, so it is too);
 * - under a minute it is within 0.5 minute;
 * - beyond 90 days it reads as 90 days (a lower bound).
 */

export const BUCKET_COUNT = 62
const FIRST_MINUTES = 1
const LAST_MINUTES = 90 * 24 * 60
const STEPS = 60
const STEP = (LAST_MINUTES / FIRST_MINUTES) ** (1 / STEPS)
const LOG_STEP = Math.log(STEP)

/** The largest relative error of a percentile between 1 minute and 90 days (≈ 0.1031). */
export const BUCKET_RELATIVE_ERROR = Math.sqrt(STEP) - 1

/** Counts per bucket, BUCKET_COUNT long. */
export type Histogram = number[]

export function emptyHistogram(): Histogram {
  return new Array<number>(BUCKET_COUNT).fill(0)
}

export function bucketIndex(minutes: number): number {
  if (!(minutes >= FIRST_MINUTES)) return 0
  if (minutes >= LAST_MINUTES) return BUCKET_COUNT - 1
  // Floating point may put an exact edge a hair below it: clamp into the middle buckets.
  return Math.min(STEPS, Math.max(1, 1 + Math.floor(Math.log(minutes / FIRST_MINUTES) / LOG_STEP)))
}

/** The value a bucket's members are taken to have. */
function estimate(index: number): number {
  if (index <= 0) return FIRST_MINUTES / 2
  if (index >= BUCKET_COUNT - 1) return LAST_MINUTES
  return FIRST_MINUTES * STEP ** (index - 0.5)
}

export function addToHistogram(histogram: Histogram, minutes: number): void {
  const index = bucketIndex(minutes)
  histogram[index] = (histogram[index] ?? 0) + 1
}

/** Adds `from`'s counts into `into`. */
export function mergeHistogram(into: Histogram, from: Histogram): void {
  for (let i = 0; i < BUCKET_COUNT; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0)
}

/** The stored form: `index:count` of the non-empty buckets, comma-separated (most rows hold one ticket). */
export function encodeHistogram(histogram: Histogram): string {
  const parts: string[] = []
  for (let i = 0; i < BUCKET_COUNT; i++) {
    const n = histogram[i] ?? 0
    if (n > 0) parts.push(`${i}:${n}`)
  }
  return parts.join(',')
}

/** Adds a stored histogram's counts into `into`; a part that is not `index:count` in range is skipped. */
export function addEncodedHistogram(into: Histogram, encoded: string): void {
  if (encoded === '') return
  for (const part of encoded.split(',')) {
    const colon = part.indexOf(':')
    const index = Number(part.slice(0, colon))
    const n = Number(part.slice(colon + 1))
    if (Number.isInteger(index) && index >= 0 && index < BUCKET_COUNT && n > 0) {
      into[index] = (into[index] ?? 0) + n
    }
  }
}

export function histogramCount(histogram: Histogram): number {
  return histogram.reduce((sum, n) => sum + n, 0)
}

/**
 * The p-th percentile interpolated between the nearest ranks, as `percentile()` over sorted values does,
 * with each rank's value estimated by its bucket. Null when the histogram is empty.
 */
export function histogramPercentile(histogram: Histogram, p: number): number | null {
  const total = histogramCount(histogram)
  if (total === 0) return null
  const rank = (total - 1) * p
  const low = Math.floor(rank)
  const lowValue = valueAtRank(histogram, low)
  const highValue = valueAtRank(histogram, Math.ceil(rank))
  return lowValue + (highValue - lowValue) * (rank - low)
}

/** The estimated value of the `rank`-th smallest member (0-based). */
function valueAtRank(histogram: Histogram, rank: number): number {
  let seen = 0
  for (let i = 0; i < BUCKET_COUNT; i++) {
    seen += histogram[i] ?? 0
    if (rank < seen) return estimate(i)
  }
  return estimate(BUCKET_COUNT - 1)
}
