import { t } from '../i18n.ts'

/**
 * The timeline's words for the link events (src/tickets/link-tickets.ts, unlink-tickets.ts, merge-ticket.ts,
 * unmerge-ticket.ts): `to_value` is the other ticket's number, `from_value` what it is to this one.
 */
export function linkEventText(e: { kind: string; from_value: string | null; to_value: string | null }): string | null {
  const id = e.to_value ?? '?'
  switch (e.kind) {
    case 'linked':
      if (e.from_value === 'parent') return t('указал(а) родительскую заявку № {id}', { id })
      if (e.from_value === 'child') return t('добавил(а) дочернюю заявку № {id}', { id })
      return t('связал(а) с заявкой № {id}', { id })
    case 'unlinked':
      if (e.from_value === 'parent') return t('убрал(а) родительскую заявку № {id}', { id })
      if (e.from_value === 'child') return t('убрал(а) дочернюю заявку № {id}', { id })
      return t('убрал(а) связь с заявкой № {id}', { id })
    case 'merged':
      return t('объединил(а) с заявкой № {id}: эта заявка — дубликат', { id })
    case 'merged_in':
      return t('присоединил(а) заявку № {id} как дубликат', { id })
    case 'unmerged':
      return t('отменил(а) объединение с заявкой № {id}', { id })
    case 'unmerged_in':
      return t('отменил(а) объединение: заявка № {id} снова отдельная', { id })
    default:
      return null
  }
}
