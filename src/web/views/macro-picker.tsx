import type { TicketMacro } from '#src/macros/ticket-macros.ts'
import { t } from '../i18n.ts'
import { assetUrl } from '../static.ts'
import { macroAlso } from './macros.tsx'

/**
 * The reply box's canned responses: the «Шаблон» list (a field of the form: the macro goes with the reply, its
 * status and priority too, and without JavaScript an empty reply takes the macro's text), and the list `::` opens
 * in the text (static/macros.js). Each macro's text is rendered for this ticket already, so inserting it asks the
 * server nothing. Nothing at all for someone with no macros, but the way to make one. `chosen`: the macro that
 * went with a refused reply, chosen again so that re-sending keeps its status and priority.
 */
export function MacroPicker(props: { macros: readonly TicketMacro[] | undefined; chosen?: number | undefined }) {
  const macros = props.macros ?? []
  const chosen = macros.find((m) => m.id === props.chosen)
  const chosenAlso = chosen ? macroAlso(chosen.setStatus, chosen.setPriority) : ''
  if (macros.length === 0) {
    return (
      <p class="hint">
        <a href="/macros/new">{t('Создать шаблон ответа')}</a>
      </p>
    )
  }
  return (
    <div class="stack macro-picker">
      <div id="macro-list" class="macro-list" role="listbox" aria-label={t('Шаблоны ответов')} hidden>
        {macros.map((m) => {
          const also = macroAlso(m.setStatus, m.setPriority)
          return (
            // biome-ignore lint/a11y/useFocusableInteractive: the reply text keeps the focus (aria-activedescendant)
            <div role="option" id={`macro-option-${m.id}`} data-id={String(m.id)} aria-selected="false">
              {m.title}
              {also ? <span class="muted small">{` · ${also}`}</span> : null}
            </div>
          )
        })}
      </div>
      <label class="field">
        <span>{t('Шаблон')}</span>
        <select name="macro" data-macro-pick>
          <option value="">{t('— без шаблона —')}</option>
          {macros.map((m) => (
            <option
              value={String(m.id)}
              data-text={m.text}
              data-kind={m.internal ? 'internal' : 'external'}
              data-also={macroAlso(m.setStatus, m.setPriority)}
              selected={m.id === chosen?.id}
            >
              {m.title}
            </option>
          ))}
        </select>
      </label>
      <p id="macro-also" class="hint macro-also" role="status" hidden={chosenAlso === ''}>
        {chosenAlso}
      </p>
      <p class="hint">
        {t('Наберите :: в тексте, чтобы выбрать шаблон.')} <a href="/macros">{t('Все шаблоны')}</a>
      </p>
      <script src={assetUrl('macros.js')} defer />
    </div>
  )
}
