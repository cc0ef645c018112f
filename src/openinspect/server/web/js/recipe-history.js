/**
 * A recipe's History panel for the editor: its revisions (who saved what, when), the diff of one against the
 * revision before it, and revert (the revision's content becomes the next revision). Engineers only.
 * @module recipe-history
 */

import * as api from './api.js';
import { confirmDialog, h, render, reportError, shortWhen, toast } from './ui.js';

/**
 * The History card of recipe `name`; it loads its list now and again on `refresh()`.
 * @param {string} name
 * @param {() => void} onReverted called after a revert stored a new revision.
 * @returns {{element: HTMLElement, refresh: () => Promise<void>}}
 */
export function historyPanel(name, onReverted) {
  const base = `/recipes/${encodeURIComponent(name)}`;
  const list = h('ol.stack.small', { 'data-testid': 'revisions', reversed: true });
  const diff = h('pre.mono.small', { hidden: true, 'data-testid': 'revision-diff', style: 'white-space: pre-wrap' });
  const element = h('div.card.stack.engineer-only', { 'data-testid': 'history' }, h('h2', null, 'History'), list, diff);

  async function showDiff(revision) {
    const answer = await api.get(`${base}/diff`, { a: revision - 1, b: revision }).catch(reportError);
    if (!answer) return;
    diff.textContent = answer.diff || 'No change.';
    diff.hidden = false;
  }

  async function revert(revision) {
    const ok = await confirmDialog(`Revert to revision ${revision}?`,
      `Its content becomes the next revision of ${name}; unsaved edits here are dropped.`, 'Revert');
    if (!ok) return;
    try {
      const state = await api.post(`${base}/revert`, { revision });
      toast(`${name} is now revision ${state.revision} (the content of revision ${revision})`, 'ok');
      onReverted();
    } catch (err) {
      reportError(err);
    }
  }

  const row = (r, latest) => h('li', { 'data-revision': r.revision },
    h('strong', null, `#${r.revision}`), ` ${shortWhen(r.created_at)} · ${r.actor} · ${r.summary} `,
    r.revision > 1 ? h('button.small', { type: 'button', onclick: () => showDiff(r.revision) }, 'Diff') : null,
    latest ? null : h('button.small', { type: 'button', onclick: () => revert(r.revision) }, 'Revert'));

  async function refresh() {
    const revisions = await api.get(`${base}/revisions`).catch((err) => (reportError(err), []));
    render(list, revisions.map((r, i) => row(r, i === 0)));
  }

  refresh();
  return { element, refresh };
}
