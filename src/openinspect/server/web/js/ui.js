/**
 * Small DOM helpers shared by the pages: an element builder, toasts, dialogs and formatting.
 * @module ui
 */

/**
 * Build an element.
 * @param {string} tag tag name, optionally with classes: `button.primary.big`.
 * @param {Record<string, any>|null} [attrs] attributes; `on*` functions become listeners, `dataset` an object,
 *   booleans toggle the attribute.
 * @param {...(Node|string|number|null|undefined|false|Array<any>)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name);
  if (classes.length) el.className = classes.join(' ');
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'class') el.className = [el.className, value].filter(Boolean).join(' ');
    else if (key === 'value') el.value = value;
    else if (key === 'checked') el.checked = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** @param {Node} parent @param {any[]} children */
function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replace an element's children.
 * @param {Element} el
 * @param {...any} children
 */
export function render(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * Show a short message in the corner. A message still on screen is not shown twice (a poll that keeps failing
 * keeps one toast up instead of stacking them).
 * @param {string} message
 * @param {'info'|'ok'|'error'} [kind]
 */
export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  const shown = [...box.children].find((el) => el.textContent === message && el.classList.contains(kind));
  const el = shown || h(`div.toast.${kind}`, { role: kind === 'error' ? 'alert' : 'status' }, message);
  clearTimeout(Number(el.dataset.timer));
  if (!shown) box.append(el);
  el.dataset.timer = String(setTimeout(() => el.remove(), kind === 'error' ? 8000 : 3500));
}

/**
 * Report a failure to the person: the API's message (or the error's) as an error toast. The one place the pages
 * send errors they do not handle themselves. A 401 shows nothing here: the API client has already sent the person
 * back to sign-in, which says why.
 * @param {any} err an `ApiError` or any thrown value.
 */
export function reportError(err) {
  console.error(err);
  if (err && err.status === 401) return;
  toast(err && err.message ? err.message : String(err), 'error');
}

/**
 * A modal dialog with a form; resolves with the form's values, or null when cancelled.
 * @param {{title: string, body: (Node|string)[], ok?: string, danger?: boolean, wide?: boolean,
 *          validate?: (form: HTMLFormElement) => Promise<string|null>|string|null}} spec
 * @returns {Promise<Record<string, FormDataEntryValue>|null>}
 */
export function formDialog(spec) {
  return new Promise((resolve) => {
    const problem = h('p.notice.error', { hidden: true, role: 'alert' });
    const okButton = h(`button.${spec.danger ? 'danger.solid' : 'primary'}`, { type: 'submit', value: 'ok' },
      spec.ok || 'OK');
    const form = h('form', { method: 'dialog' },
      h('h2', null, spec.title), ...spec.body, problem,
      h('div.dialog-actions', null,
        h('button', { type: 'button', onclick: () => dialog.close('cancel') }, 'Cancel'), okButton));
    const dialog = h(`dialog${spec.wide ? '.wide' : ''}`, null, form);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const message = spec.validate ? await spec.validate(form) : null;
      if (message) {
        problem.textContent = message;
        problem.hidden = false;
        return;
      }
      const values = Object.fromEntries(new FormData(form).entries());
      dialog.close('ok');
      resolve(values);
    });
    dialog.addEventListener('close', () => {
      if (dialog.returnValue !== 'ok') resolve(null);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    const first = form.querySelector('input, select, textarea');
    if (first) first.focus();
  });
}

/**
 * Ask before something that cannot be undone.
 * @param {string} title
 * @param {string} text
 * @param {string} [ok] the confirming button's label.
 * @returns {Promise<boolean>}
 */
export async function confirmDialog(title, text, ok = 'Delete') {
  return (await formDialog({ title, body: [h('p', null, text)], ok, danger: true })) !== null;
}

/**
 * A labelled form field.
 * @param {string} label
 * @param {HTMLElement} control
 * @param {string} [hint]
 */
export function field(label, control, hint) {
  return h('label.field', null, label, control, hint ? h('span.hint', null, hint) : null);
}

/** @param {number|null|undefined} value a fraction 0..1 @returns {string} `97.5 %` or `–`. */
export function percent(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  const pct = value * 100;
  return `${Number.isInteger(Math.round(pct * 10) / 10) ? Math.round(pct) : pct.toFixed(1)} %`;
}

/** @param {number|null|undefined} ms @returns {string} `7.4 ms` or `–`. */
export function millis(ms) {
  if (ms === null || ms === undefined) return '–';
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

/** @param {string} iso an ISO time @returns {string} local date and time, seconds included. */
export function when(iso) {
  const date = new Date(iso.endsWith('Z') || /[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** @param {string} iso an ISO time @returns {string} a compact local time: `25 Nov 23:43:07`. */
export function shortWhen(iso) {
  const date = new Date(iso.endsWith('Z') || /[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
  return `${date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })} ${date.toLocaleTimeString(undefined, { hour12: false })}`;
}

/** @param {number} seconds @returns {string} `1 min 20 s`. */
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/**
 * Ask for a file.
 * @param {string} accept e.g. `image/*`.
 * @param {boolean} [multiple]
 * @returns {Promise<File[]>} the chosen files (empty when cancelled).
 */
export function pickFiles(accept, multiple = false) {
  return new Promise((resolve) => {
    const input = h('input', { type: 'file', accept, multiple, hidden: true });
    input.addEventListener('change', () => {
      resolve([...input.files]);
      input.remove();
    });
    input.addEventListener('cancel', () => {
      resolve([]);
      input.remove();
    });
    document.body.append(input);
    input.click();
  });
}

/**
 * Offer text as a download.
 * @param {string} name file name.
 * @param {Blob} blob contents.
 */
export function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * A stored result's outcome, as the station recorded it (the API's `outcome`).
 * @param {any} record a stored result. @returns {'pass'|'fail'|'error'|'skipped'}
 */
export function outcomeOf(record) {
  return record.outcome;
}

/** @type {(() => Promise<boolean>)|null} */
let leaveGuard = null;

/**
 * Let a page ask before the person navigates away (unsaved changes); null removes the guard.
 * @param {(() => Promise<boolean>)|null} guard resolves true when leaving is fine.
 */
export function setLeaveGuard(guard) {
  leaveGuard = guard;
}

/** @returns {Promise<boolean>} whether the current page lets the person leave. */
export async function mayLeave() {
  return leaveGuard ? leaveGuard() : true;
}

/**
 * A model's training mode as every page shows it: a Fast model says it is for trying a set-up.
 * @param {string} mode `fast` or `accurate` (segmenters: `accurate`).
 * @returns {string}
 */
export function modeText(mode) {
  return mode === 'fast' ? 'Fast (for trying a set-up, not for production)' : mode;
}
