// Small helpers for the pages (UI.md): `/` focuses the search, Ctrl+Enter sends the reply,
// forms with data-confirm ask before a destructive action. No inline script anywhere (CSP).
;(() => {
  document.addEventListener('keydown', (event) => {
    const target = event.target
    const typing =
      target instanceof HTMLElement &&
      (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
    if (event.key === '/' && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      const search = document.querySelector('[data-search]')
      if (search instanceof HTMLInputElement) {
        event.preventDefault()
        search.focus()
        search.select()
      }
    }
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && target instanceof HTMLTextAreaElement) {
      const form = target.form
      if (form) {
        event.preventDefault()
        form.requestSubmit()
      }
    }
  })

  document.addEventListener(
    'submit',
    (event) => {
      const form = event.target
      if (!(form instanceof HTMLFormElement)) return
      const question = form.dataset.confirm
      if (question && !window.confirm(question)) {
        event.preventDefault()
        event.stopImmediatePropagation()
      }
    },
    true,
  )
})()
