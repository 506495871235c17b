import { fileTypeFromBuffer } from 'file-type'
import { DomainError } from '#src/errors.ts'

/**
 * The scan of a signed paper consent or withdrawal (issue 10): a PDF, JPEG or PNG as its bytes say — the
 * name and the type the browser claims decide nothing — of at most MAX_SCAN_BYTES.
 */
export const MAX_SCAN_BYTES = 10 * 1024 * 1024

export const scanTypes = ['application/pdf', 'image/jpeg', 'image/png'] as const
export type ScanType = (typeof scanTypes)[number]

const extensions: Record<ScanType, string> = { 'application/pdf': 'pdf', 'image/jpeg': 'jpg', 'image/png': 'png' }

/** A scan as an admin uploaded it, before it is stored. */
export interface IncomingScan {
  bytes: Uint8Array
  fileName: string
}

/** The scan's type from its content, or a refusal in Russian; its extension comes from that type. */
export async function checkScan(scan: IncomingScan): Promise<{ mimeType: ScanType; fileName: string }> {
  if (scan.bytes.byteLength === 0) throw new DomainError('validation', 'Файл скана пустой')
  if (scan.bytes.byteLength > MAX_SCAN_BYTES) throw new DomainError('validation', 'Скан больше 10 МБ')
  const found = (await fileTypeFromBuffer(scan.bytes))?.mime
  const mimeType = scanTypes.find((type) => type === found)
  if (!mimeType) throw new DomainError('validation', 'Скан должен быть файлом PDF, JPEG или PNG')
  const base = scan.fileName.replace(/\.[^.]*$/, '').trim()
  return { mimeType, fileName: `${base === '' ? 'скан' : base}.${extensions[mimeType]}` }
}
