// Canned replies on a ticket page (views/macro-picker.tsx), loaded only where a staff member has macros. A macro
// chosen in the «Шаблон» list, or after `::` typed in the reply (letters filter, ↑/↓ and Enter choose, Escape
// closes), puts its text (placeholders filled by the server) into the reply; the form then carries the macro, so
// its status and priority go with the reply. No inline script (CSP).
;(() => {
  const pick = document.querySelector('[data-macro-pick]')
  const area = pick?.form?.querySelector('textarea[name="body"]')
  const list = document.getElementById('macro-list')
  const also = document.getElementById('macro-also')
  if (!(pick instanceof HTMLSelectElement) || !(area instanceof HTMLTextAreaElement) || !list || !also) return
  area.setAttribute('aria-controls', list.id)
  /** Where `::` starts in the text while the list is open. */
  let from = -1
  /** The text as the last choice left it: a new choice replaces it while it is untouched. */
  let last = ''
  const shown = () => Array.from(list.children).filter((item) => !item.hidden)
  const mark = (item) => {
    for (const other of list.children) other.setAttribute('aria-selected', String(other === item))
    if (item) area.setAttribute('aria-activedescendant', item.id)
    item?.scrollIntoView({ block: 'nearest' })
    return item
  }
  const close = () => {
    list.hidden = true
    from = -1
    area.removeAttribute('aria-activedescendant')
  }
  const choose = (id, at = area.selectionStart) => {
    pick.value = id
    const option = pick.selectedOptions[0]
    also.textContent = option?.dataset.also || ''
    also.hidden = !also.textContent
    if (area.value === last) {
      area.value = ''
      at = 0
    }
    area.setRangeText(option?.dataset.text || '', at, area.selectionStart, 'end')
    last = area.value
    if (id) document.getElementById(`kind-${option?.dataset.kind}`)?.click()
    close()
  }
  pick.addEventListener('change', () => choose(pick.value))
  area.addEventListener('input', () => {
    const typed = /(^|\s)::([^\s:]*)$/.exec(area.value.slice(0, area.selectionStart))
    if (!typed) return close()
    from = area.selectionStart - typed[2].length - 2
    const query = typed[2].toLowerCase()
    for (const item of list.children) item.hidden = !item.firstChild?.textContent?.toLowerCase().includes(query)
    list.hidden = !mark(shown()[0])
  })
  area.addEventListener('keydown', (event) => {
    if (list.hidden) return
    const items = shown()
    const at = items.findIndex((item) => item.getAttribute('aria-selected') === 'true')
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      mark(items[(at + (event.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length])
    } else if (event.key === 'Enter' && !event.ctrlKey && !event.metaKey && items[at]) {
      choose(items[at].dataset.id, from)
    } else if (event.key === 'Escape') close()
    else return
    event.preventDefault()
  })
  list.addEventListener('mousedown', (event) => {
    const item = event.target instanceof Element ? event.target.closest('[role="option"]') : null
    if (!item) return
    // The text keeps the focus (and its caret) while the list is clicked.
    event.preventDefault()
    choose(item.dataset.id, from)
  })
})()
