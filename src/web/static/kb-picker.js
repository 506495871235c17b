// «Вставить статью» on a ticket page (views/knowledge.tsx `ArticlePicker`), for IT staff: the list comes from
// /kb/picker (htmx); «Вставить ссылку в ответ» (or a double click, or Enter in the list) puts the chosen article's
// title and link into the reply at the caret. No inline script (CSP).
;(() => {
  const picker = document.querySelector('.kb-picker')
  const area = picker?.closest('form')?.querySelector('textarea[name="body"]')
  if (!picker || !(area instanceof HTMLTextAreaElement)) return
  const insert = () => {
    const select = picker.querySelector('.kb-picker__select')
    if (!(select instanceof HTMLSelectElement) || !select.value) return
    const before = area.value.slice(0, area.selectionStart)
    const gap = before === '' || before.endsWith('\n') ? '' : before.endsWith(' ') ? '' : ' '
    area.setRangeText(`${gap}${select.value}`, area.selectionStart, area.selectionEnd, 'end')
    area.dispatchEvent(new Event('input', { bubbles: true }))
    area.focus()
  }
  picker.addEventListener('click', (event) => {
    if (event.target instanceof Element && event.target.closest('[data-kb-insert]')) insert()
  })
  picker.addEventListener('dblclick', (event) => {
    if (event.target instanceof Element && event.target.closest('.kb-picker__select')) insert()
  })
  picker.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || !(event.target instanceof Element)) return
    if (event.target.closest('.kb-picker__select')) {
      event.preventDefault()
      insert()
    } else if (event.target.matches('input[type="search"]')) event.preventDefault()
  })
})()
