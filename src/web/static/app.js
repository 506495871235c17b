// Small helpers for the pages (UI.md): `/` focuses the search, Ctrl+Enter sends the reply, the keys of the
// list and the ticket (`?` lists them), forms with data-confirm ask before a destructive action. No inline
// script anywhere (CSP).
;(() => {
  /** The ticket's keys: the element to press, or the message kind to choose before focusing the text. */
  const ticketKeys = {
    a: () => document.querySelector('[data-key="a"]'),
    r: () => document.getElementById('kind-external') ?? document.querySelector('[data-reply] textarea[name="body"]'),
    n: () => document.getElementById('kind-internal'),
    e: () => document.querySelector('textarea[name="resolution"]'),
  }
  /** j/k: the next or the previous ticket of the list, its link focused (Enter opens it). */
  const move = (step) => {
    const links = Array.from(document.querySelectorAll('table.tickets--list tbody a.ticket-link'))
    if (links.length === 0) return false
    const at = links.indexOf(document.activeElement)
    const next = links[at < 0 ? 0 : Math.min(links.length - 1, Math.max(0, at + step))]
    for (const row of document.querySelectorAll('tr.is-current')) row.classList.remove('is-current')
    next.closest('tr')?.classList.add('is-current')
    next.focus()
    next.scrollIntoView({ block: 'nearest' })
    return true
  }

  document.addEventListener('keydown', (event) => {
    const target = event.target
    const typing =
      target instanceof HTMLElement &&
      (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
    const plain = !typing && !event.ctrlKey && !event.metaKey && !event.altKey
    const help = document.getElementById('shortcuts')
    if (plain && event.key === '?' && help instanceof HTMLDialogElement) {
      event.preventDefault()
      if (!help.open) help.showModal()
    } else if (plain && (event.key === 'j' || event.key === 'k')) {
      if (move(event.key === 'j' ? 1 : -1)) event.preventDefault()
    } else if (plain && Object.hasOwn(ticketKeys, event.key)) {
      const found = ticketKeys[event.key]()
      if (found instanceof HTMLElement) {
        event.preventDefault()
        if (found instanceof HTMLTextAreaElement) found.focus()
        else if (found instanceof HTMLInputElement) {
          // The reply's kind, then its text.
          found.click()
          found.form?.querySelector('textarea[name="body"]')?.focus()
        } else found.click()
      }
    }
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

  // The list's «all on the page»: every ticket checkbox of the bulk form takes its state.
  document.addEventListener('change', (event) => {
    const all = event.target
    if (!(all instanceof HTMLInputElement) || !all.matches('[data-pick-all]')) return
    for (const box of document.querySelectorAll('input[name="ids"]')) box.checked = all.checked
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

  // New ticket: Enter in the caller search looks people up, it does not send the half-filled form.
  document.addEventListener('submit', (event) => {
    if (document.activeElement instanceof HTMLElement && document.activeElement.matches('[data-people-search]')) {
      event.preventDefault()
    }
  })

  // Files: one larger than the limit is refused before a long upload (the server refuses it again).
  document.addEventListener('change', (event) => {
    const input = event.target
    if (!(input instanceof HTMLInputElement) || input.type !== 'file' || !input.dataset.maxBytes) return
    const files = Array.from(input.files || [])
    const large = files.find((file) => file.size > Number(input.dataset.maxBytes))
    const total = files.reduce((sum, file) => sum + file.size, 0)
    const problem = large
      ? `${input.dataset.tooLarge || ''} (${large.name})`
      : total > Number(input.dataset.maxTotal || Number.POSITIVE_INFINITY)
        ? input.dataset.tooMuch || ''
        : ''
    input.setCustomValidity(problem)
    if (problem) input.reportValidity()
  })

  // Desk: the left navigation folds and stays folded across pages (the choice kept in this browser).
  // Phone: the menu is closed behind ☰ on every page.
  const navToggle = document.querySelector('[data-nav-toggle]')
  const phoneScreen = window.matchMedia('(max-width: 760px)')
  if (navToggle instanceof HTMLButtonElement && phoneScreen.matches) {
    document.body.classList.add('nav-menu')
    navToggle.hidden = false
    navToggle.setAttribute('aria-expanded', 'false')
    navToggle.addEventListener('click', () => {
      const open = document.body.classList.toggle('nav-open')
      navToggle.setAttribute('aria-expanded', String(open))
    })
  } else if (navToggle instanceof HTMLButtonElement) {
    const setFolded = (folded) => {
      document.body.classList.toggle('nav-folded', folded)
      navToggle.setAttribute('aria-expanded', String(!folded))
    }
    const stored = () => {
      try {
        return localStorage.getItem('nav-folded') === '1'
      } catch {
        return false
      }
    }
    setFolded(stored())
    navToggle.hidden = false
    navToggle.addEventListener('click', () => {
      const folded = !document.body.classList.contains('nav-folded')
      setFolded(folded)
      try {
        localStorage.setItem('nav-folded', folded ? '1' : '0')
      } catch {
        // Storage refused (private mode): the choice lasts for this page only.
      }
    })
  }

  // Phone: the list's filters start folded (unless some are set), so the tickets come first.
  const fold = document.querySelector('details[data-fold-on-phone]')
  const phone = window.matchMedia('(max-width: 760px)').matches
  if (fold instanceof HTMLDetailsElement && phone) fold.open = false
  // On a desk the panel stays as the person leaves it: a cookie the server reads, so no page opens it and shuts.
  const kept = document.querySelector('details[data-remember]')
  if (kept instanceof HTMLDetailsElement && !phone) {
    kept.addEventListener('toggle', () => {
      // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is missing in the older browsers wards keep
      document.cookie = `${kept.dataset.remember}=${kept.open ? '1' : '0'}; path=/; max-age=31536000; samesite=lax`
    })
  }

  // Live updates of a ticket page: the server's event stream says that the ticket changed; the header,
  // the timeline and the actions are fetched again and swapped. The reply box, where one types, stays;
  // so do the actions while something is typed there. Each fetch is a journaled read, so nothing is
  // fetched while the person is away (the session's idle timeout must still end it).
  const live = document.querySelector('[data-live]')
  if (live instanceof HTMLElement && 'EventSource' in window) {
    const base = live.dataset.live
    const AWAY_MS = 25 * 60 * 1000
    let shown = Number(live.dataset.liveAfter || '0')
    let lastInput = Date.now()
    let busy = false
    let again = false
    let missed = false
    const typingIn = (element) =>
      element.contains(document.activeElement) ||
      Array.from(element.querySelectorAll('textarea')).some((area) => area.value.trim() !== '')
    const refresh = async () => {
      if (Date.now() - lastInput > AWAY_MS) {
        missed = true
        return
      }
      if (busy) {
        again = true
        return
      }
      busy = true
      try {
        const response = await fetch(`${base}/live`, { credentials: 'same-origin' })
        if (response.redirected || response.status === 401) {
          // The session ended: the reload shows the login page.
          source.close()
          window.location.reload()
          return
        }
        if (response.status === 404) source.close()
        if (!response.ok) return
        const fresh = new DOMParser().parseFromString(await response.text(), 'text/html')
        for (const part of Array.from(fresh.querySelectorAll('[data-live-part]'))) {
          const current = document.getElementById(part.id)
          if (!current || (part.id === 'ticket-actions' && typingIn(current))) continue
          current.replaceWith(document.importNode(part, true))
        }
        const after = Number(fresh.querySelector('[data-live-after]')?.getAttribute('data-live-after') || '0')
        if (after > shown) shown = after
        live.dataset.liveAfter = String(shown)
      } catch {
        // The network hiccuped: the next change tries again.
      } finally {
        busy = false
        if (again) {
          again = false
          void refresh()
        }
      }
    }
    const back = () => {
      lastInput = Date.now()
      if (missed) {
        missed = false
        void refresh()
      }
    }
    for (const type of ['keydown', 'pointerdown', 'pointermove', 'scroll', 'focus'])
      window.addEventListener(type, back, true)
    const source = new EventSource(`${base}/events?after=${shown}`)
    source.addEventListener('change', (event) => {
      let late = false
      try {
        late = JSON.parse(event.data).late === true
      } catch {
        // Not ours: judged by its id alone.
      }
      if (late || Number(event.lastEventId) > shown) void refresh()
    })
  }
  // The bell and the live list: notification-live.tsx, live-list.routes.tsx.
  const list = document.querySelector('[data-live-list]')
  const row = (id, root = document) => root.querySelector(`[id="ticket-row-${id}"]`)
  let after = ''
  let source
  const open = () => {
    source = new EventSource(`/notifications/events?list=${list ? 1 : ''}&after=${after}`)
    source.addEventListener('bell', (event) => {
      document.querySelector('[data-bell]').outerHTML = event.data
    })
    source.addEventListener('tickets', async (event) => {
      after = event.lastEventId
      const ids = JSON.parse(event.data).ids
      if (!ids[0]) return
      const query = new URLSearchParams(location.search)
      query.set('ids', ids)
      const html = await (await fetch(`/tickets/rows?${query}`)).text()
      // Not the rows (the login page, the 404 page): nothing to do.
      const fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('tbody[data-order]')
      const body = document.querySelector('.tickets--list tbody')
      if (!body || !fresh) return
      const order = fresh.dataset.order.split(',')
      const anchor = [...body.rows].find((tr) => tr.getBoundingClientRect().bottom > 0)
      const top = anchor?.getBoundingClientRect().top
      for (const id of ids) {
        const old = row(id)
        const tr = row(id, fresh) || old
        if (!tr) continue
        tr.querySelector('.title-cell').dataset.mark = list.dataset[tr === old ? 'gone' : old ? 'updated' : 'new']
        if (!old) {
          const next = order
            .slice(order.indexOf(`${id}`) + 1)
            .map((n) => row(n))
            .find(Boolean)
          if (next) next.before(tr)
          else body.append(tr)
        } else if (tr !== old) {
          const focused = old.contains(document.activeElement)
          tr.querySelector('[name="ids"]').checked = old.querySelector('[name="ids"]').checked
          old.replaceWith(tr)
          if (focused) tr.querySelector('.ticket-link').focus()
        }
      }
      if (anchor) scrollBy(0, row(anchor.id.slice(11)).getBoundingClientRect().top - top)
      list.textContent = list.dataset.said
    })
  }
  if (document.querySelector('[data-bell]') && window.EventSource) {
    open()
    document.addEventListener('visibilitychange', () => (document.hidden ? source.close() : open()))
  }
  // A form being sent is not sent twice (once-form.ts is the rule). Listened to last: a form another handler
  // kept (a confirmation, the caller search, htmx) is left alone.
  document.addEventListener('submit', (event) => {
    const form = event.target
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return
    if (form.dataset.sending === '1') {
      event.preventDefault()
      return
    }
    form.dataset.sending = '1'
    // After this turn (a button disabled now drops its value); enabled again after 10 s (a download).
    setTimeout(() => buttons(form, true), 0)
    setTimeout(() => ready(form), 10_000)
  })
  const buttons = (form, disabled) => {
    for (const button of form.querySelectorAll('button:not([type="button"])')) button.disabled = disabled
  }
  const ready = (form) => {
    delete form.dataset.sending
    buttons(form, false)
  }
  window.addEventListener('pageshow', () => {
    for (const form of document.querySelectorAll('form[data-sending]')) ready(form)
  })
  // A filter form sends only what is chosen, not «?q=&from=&to=» (the server tidies such a URL too).
  document.addEventListener('htmx:configRequest', (event) => {
    const detail = event.detail
    if (detail?.verb !== 'get' || !(detail.formData instanceof FormData)) return
    const kept = [...detail.formData.entries()].filter(([, value]) => value !== '')
    for (const key of new Set([...detail.formData.keys()])) detail.formData.delete(key)
    for (const [key, value] of kept) detail.formData.append(key, value)
  })
})()
