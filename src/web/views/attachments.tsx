import { isPreviewableImage, safeFileName } from '#src/attachments/file-store.ts'
import type { Attachment } from '#src/db/schema.ts'
import { t } from '../i18n.ts'

/**
 * Files of the description or of a message: images as previews, the rest as download links with their size
 * (the ticket page, and the conversation of a duplicate merged into it).
 */
export function Attachments(props: { ticketId: number; files: Attachment[] }) {
  if (props.files.length === 0) return null
  const images = props.files.filter((f) => isPreviewableImage(f.mime_type))
  const others = props.files.filter((f) => !isPreviewableImage(f.mime_type))
  return (
    <div class="attachments">
      {images.length > 0 ? (
        <ul class="attachments__images">
          {images.map((f) => (
            <li>
              <a href={fileUrl(props.ticketId, f)} target="_blank" rel="noopener" title={shownName(f)}>
                <img
                  src={fileUrl(props.ticketId, f)}
                  alt={shownName(f)}
                  class="attachment-thumb"
                  loading="lazy"
                  decoding="async"
                />
              </a>
            </li>
          ))}
        </ul>
      ) : null}
      {others.length > 0 ? (
        <ul class="attachments__files">
          {others.map((f) => (
            <li>
              <a href={fileUrl(props.ticketId, f)} download={shownName(f)} class="attachment-file">
                {shownName(f)}
              </a>{' '}
              <span class="muted small">{fileSize(f.size)}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  )
}

/** Names kept before they were made safe on the way in (bidi overrides, controls) are made safe here. */
function shownName(file: Attachment): string {
  return safeFileName(file.file_name, file.sha256, file.mime_type)
}

function fileUrl(ticketId: number, file: Attachment): string {
  return `/tickets/${ticketId}/files/${file.id}`
}

/** «640 КБ», «2,4 МБ». */
function fileSize(bytes: number): string {
  if (bytes < 1024) return t('{n} Б', { n: bytes })
  if (bytes < 1024 * 1024) return t('{n} КБ', { n: Math.ceil(bytes / 1024) })
  const mb = (bytes / (1024 * 1024)).toFixed(1)
  return t('{n} МБ', { n: mb.replace('.', t(',')) })
}
