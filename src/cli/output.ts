import { styleText } from 'node:util'

/**
 * What the command prints. Results go to stdout, messages and progress to stderr; colours only when
 * the stream is a terminal (and NO_COLOR is not set), so pipes and files get plain text.
 */
export interface Output {
  out(text: string): void
  err(text: string): void
  readonly colour: boolean
  readonly stderrIsTty: boolean
  readonly columns: number
}

export function processOutput(): Output {
  // `helpdesk audit --limit 100000 | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw error
  })
  const colour = process.stdout.isTTY === true && !process.env.NO_COLOR
  return {
    out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    colour,
    stderrIsTty: process.stderr.isTTY === true,
    columns: Math.min(process.stdout.columns ?? 100, 100) || 100,
  }
}

type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'gray'

export function paint(output: Output, style: Style, text: string): string {
  return output.colour ? styleText(style, text) : text
}

export interface Column<T> {
  header: string
  value: (row: T) => string
  /** Right-aligned (numbers). */
  align?: 'left' | 'right'
  /** Never narrower than this when space is short. */
  min?: number
  /** The column that gives up width first when the table is too wide. */
  shrink?: boolean
  style?: (row: T) => Style | undefined
}

/**
 * A plain text table that fits `width` columns: the shrinkable columns are cut with «…» first,
 * then the widest ones. Widths count characters (our text is Cyrillic and Latin, one cell each).
 */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[], output: Output): string {
  const cells = rows.map((row) => columns.map((c) => clean(c.value(row))))
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)))
  const gap = 2
  const budget = output.columns - gap * (columns.length - 1)
  const order = columns.map((c, i) => ({ i, shrink: c.shrink === true }))
  let excess = widths.reduce((a, b) => a + b, 0) - budget
  for (const pass of [true, false]) {
    while (excess > 0) {
      const candidates = order.filter((o) => o.shrink === pass || !pass)
      let widest = -1
      for (const o of candidates) {
        const min = columns[o.i]?.min ?? 4
        if ((widths[o.i] ?? 0) > min && (widest === -1 || (widths[o.i] ?? 0) > (widths[widest] ?? 0))) widest = o.i
      }
      if (widest === -1) break
      widths[widest] = (widths[widest] ?? 0) - 1
      excess--
    }
  }
  const render = (texts: readonly string[], styleOf: (i: number) => Style | undefined) =>
    texts
      .map((text, i) => {
        const width = widths[i] ?? 0
        const cut = text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text
        const padded = columns[i]?.align === 'right' ? cut.padStart(width) : cut.padEnd(width)
        const style = styleOf(i)
        return style ? paint(output, style, padded) : padded
      })
      .join(' '.repeat(gap))
      .trimEnd()
  const lines = [
    render(
      columns.map((c) => c.header),
      () => 'bold',
    ),
  ]
  rows.forEach((row, r) => {
    lines.push(render(cells[r] ?? [], (i) => columns[i]?.style?.(row)))
  })
  return lines.join('\n')
}

function clean(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ')
}

/** A progress bar on stderr, drawn only on a terminal and only once the work has taken over two seconds. */
export interface Progress {
  update(done: number): void
  finish(): void
}

export function progressBar(output: Output, label: string, total: number): Progress {
  const started = Date.now()
  let lastDraw = 0
  let drawn = false
  const draw = (done: number) => {
    const width = 30
    const share = total > 0 ? Math.min(1, done / total) : 1
    const filled = Math.round(share * width)
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`
    process.stderr.write(`\r${label} ${bar} ${Math.round(share * 100)}% (${done}/${total})`)
    drawn = true
  }
  return {
    update(done) {
      if (!output.stderrIsTty) return
      const t = Date.now()
      if (t - started < 2000 || t - lastDraw < 100) return
      lastDraw = t
      draw(done)
    },
    finish() {
      if (drawn) {
        draw(total)
        process.stderr.write('\n')
      }
    },
  }
}
