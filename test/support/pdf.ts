import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** The text of a PDF as poppler's pdftotext reads it (`poppler-utils`; .ci/run installs it). */
export function pdfText(bytes: Buffer | Uint8Array): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-pdf-'))
  try {
    const file = path.join(dir, 'document.pdf')
    writeFileSync(file, bytes)
    return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
