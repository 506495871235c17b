/**
 * Charts drawn on the server as inline SVG: no script, no style attributes (the CSP forbids both), the
 * colours from classes of app.css. Each chart is an image with a title and a description; the table
 * beside it carries the numbers for screen readers and for copying.
 */

export interface Bar {
  label: string
  value: number
}

/** The most bars one chart draws; the rest become one «Остальные» bar. */
const MAX_BARS = 12

/** Bars fit a half-width block at about their natural size, so that the labels stay legible. */
const BAR_WIDTH = 440
const LABEL_WIDTH = 200
const VALUE_WIDTH = 44
const ROW = 26
/** The trend spans the page. */
const TREND_WIDTH = 720

/** A label longer than this is shortened to fit its 200 units at any width; its <title> keeps the full text. */
const LABEL_CHARS = 20

/** Horizontal bars, largest first as given: categories, departments, executors, statuses. */
export function BarChart(props: { id: string; title: string; description: string; bars: Bar[]; others: string }) {
  const bars = capped(props.bars, props.others)
  if (bars.length === 0) return null
  const max = Math.max(1, ...bars.map((b) => b.value))
  const span = BAR_WIDTH - LABEL_WIDTH - VALUE_WIDTH
  const height = bars.length * ROW + 4
  return (
    <svg
      class="chart chart--bars"
      viewBox={`0 0 ${BAR_WIDTH} ${height}`}
      role="img"
      aria-labelledby={`${props.id}-title ${props.id}-desc`}
      preserveAspectRatio="xMinYMin meet"
    >
      <title id={`${props.id}-title`}>{props.title}</title>
      <desc id={`${props.id}-desc`}>{props.description}</desc>
      {bars.map((bar, i) => {
        const y = i * ROW + 2
        const width = bar.value === 0 ? 0 : Math.max(2, Math.round((bar.value / max) * span))
        return (
          <g class="chart__row">
            <text class="chart__label" x={LABEL_WIDTH - 8} y={y + ROW / 2} text-anchor="end" dominant-baseline="middle">
              {bar.label.length > LABEL_CHARS ? <title>{bar.label}</title> : null}
              {shorten(bar.label, LABEL_CHARS)}
            </text>
            <rect class="chart__bar" x={LABEL_WIDTH} y={y + 4} width={width} height={ROW - 8} rx="2">
              <title>{`${bar.label}: ${bar.value}`}</title>
            </rect>
            <text class="chart__value" x={LABEL_WIDTH + width + 6} y={y + ROW / 2} dominant-baseline="middle">
              {bar.value.toLocaleString('ru-RU')}
            </text>
          </g>
        )
      })}
    </svg>
  )
}

export interface Series {
  label: string
  /** A class of app.css that colours it (`chart__col--created`). */
  class: string
  values: number[]
}

const TREND_HEIGHT = 240
const PAD_LEFT = 44
const PAD_BOTTOM = 28
const PAD_TOP = 10

/** Columns per period (day, week, month), the series side by side, a scale on the left. */
export function ColumnChart(props: {
  id: string
  title: string
  description: string
  labels: string[]
  series: Series[]
}) {
  const { labels, series } = props
  if (labels.length === 0) return null
  const top = niceCeiling(Math.max(1, ...series.flatMap((s) => s.values)))
  const plotWidth = TREND_WIDTH - PAD_LEFT - 8
  const plotHeight = TREND_HEIGHT - PAD_TOP - PAD_BOTTOM
  const slot = plotWidth / labels.length
  const gap = Math.min(6, slot * 0.2)
  // A few periods must not become slabs: a column is at most 36 units wide, centred in its slot.
  const column = Math.min(36, Math.max(1, (slot - gap) / series.length))
  const y = (value: number) => PAD_TOP + plotHeight - (value / top) * plotHeight
  const every = Math.max(1, Math.ceil(labels.length / 12))
  // Counts are whole: a middle line only where it falls on a whole number.
  const ticks = Number.isInteger(top / 2) ? [0, top / 2, top] : [0, top]
  return (
    <svg
      class="chart chart--columns"
      viewBox={`0 0 ${TREND_WIDTH} ${TREND_HEIGHT}`}
      role="img"
      aria-labelledby={`${props.id}-title ${props.id}-desc`}
    >
      <title id={`${props.id}-title`}>{props.title}</title>
      <desc id={`${props.id}-desc`}>{props.description}</desc>
      {ticks.map((tick) => (
        <g class="chart__grid">
          <line x1={PAD_LEFT} x2={PAD_LEFT + plotWidth} y1={y(tick)} y2={y(tick)} />
          <text class="chart__axis" x={PAD_LEFT - 6} y={y(tick)} text-anchor="end" dominant-baseline="middle">
            {tick}
          </text>
        </g>
      ))}
      {labels.map((label, i) => {
        const x0 = PAD_LEFT + i * slot + (slot - column * series.length) / 2
        return (
          <g>
            {series.map((s, k) => {
              const value = s.values[i] ?? 0
              return (
                <rect
                  class={`chart__col ${s.class}`}
                  x={round(x0 + k * column)}
                  y={round(y(value))}
                  width={round(Math.max(1, column - 1))}
                  height={round(PAD_TOP + plotHeight - y(value))}
                >
                  <title>{`${label} · ${s.label}: ${value}`}</title>
                </rect>
              )
            })}
            {i % every === 0 ? (
              <text
                class="chart__axis"
                x={round(PAD_LEFT + (i + 0.5) * slot)}
                y={TREND_HEIGHT - 8}
                text-anchor="middle"
              >
                {label}
              </text>
            ) : null}
          </g>
        )
      })}
    </svg>
  )
}

/** The legend of a column chart, in HTML (colour with its label). */
export function Legend(props: { series: Series[] }) {
  return (
    <ul class="chart-legend">
      {props.series.map((s) => (
        <li>
          <span class={`chart-legend__swatch ${s.class}`} aria-hidden="true" />
          {s.label}
        </li>
      ))}
    </ul>
  )
}

function capped(bars: Bar[], others: string): Bar[] {
  if (bars.length <= MAX_BARS) return bars
  const rest = bars.slice(MAX_BARS - 1).reduce((sum, b) => sum + b.value, 0)
  return [...bars.slice(0, MAX_BARS - 1), { label: others, value: rest }]
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

/** 1, 2, 4, 6, 8 × 10ⁿ at or above the value: a scale that reads easily, its middle a whole number. */
export function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 4, 6, 8, 10]) if (step * power >= value) return step * power
  return 10 * power
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
