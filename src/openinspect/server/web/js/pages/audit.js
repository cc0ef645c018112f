/**
 * Audit: who changed which recipe, labels, training or the active recipe, when, before and after; filtered by
 * actor and recipe, newest first, paged. Read only. Engineers only.
 * @module pages/audit
 */

import * as api from '../api.js';
import { field, h, render, shortWhen, reportError } from '../ui.js';

const PAGE = 50;

/** @param {HTMLElement} view */
export async function mount(view) {
  const actor = h('input', { name: 'actor', placeholder: 'alice, cli:bob…' });
  const recipe = h('input', { name: 'recipe', placeholder: 'any recipe' });
  const body = h('tbody', { 'data-testid': 'audit-rows' });
  const more = h('button', { type: 'button', hidden: true }, 'Older…');
  const count = h('span.muted.small');
  let offset = 0;

  async function load(reset) {
    if (reset) offset = 0;
    const query = { actor: actor.value.trim(), recipe: recipe.value.trim(), limit: PAGE, offset };
    const page = await api.get('/audit', query).catch((err) => (reportError(err), null));
    if (!page) return;
    const rows = page.items.map((r) => h('tr', null, h('td', null, shortWhen(r.time)), h('td', null, r.actor),
      h('td.mono', null, r.action), h('td', null, r.object), h('td', null, `${r.before ?? '–'} → ${r.after ?? '–'}`),
      h('td.small', null, r.detail)));
    if (reset) render(body, rows);
    else body.append(...rows);
    offset += page.items.length;
    count.textContent = `${offset} of ${page.total}`;
    more.hidden = offset >= page.total;
  }

  more.addEventListener('click', () => load(false));
  const filters = h('form.actions', { onsubmit: (e) => { e.preventDefault(); load(true); } },
    field('Actor', actor), field('Recipe', recipe), h('button', { type: 'submit' }, 'Filter'), count);
  render(view, h('section.page', null,
    h('div.page-head', null, h('div', null, h('h1', null, 'Audit'),
      h('p.sub', null, 'Every change: recipe saves and reverts, labels, training, the active recipe'))),
    h('div.card.stack', null, filters,
      h('table', null, h('thead', null, h('tr', null, ['When', 'Who', 'Action', 'Object', 'Before → after', 'Detail']
        .map((t) => h('th', null, t)))), body), more)));
  await load(true);
}
