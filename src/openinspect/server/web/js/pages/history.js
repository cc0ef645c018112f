/**
 * History: stored results, filtered and paged, the capture on click (zoom and pan), CSV export of the filtered
 * records. `#/history/<result id>` opens that result (the Live page's recent results link here).
 * An engineer can add a wrongly judged capture to the training set from its detail, with the correct class.
 * @module pages/history
 */

import * as api from '../api.js';
import { classBadge, drawCapture, scoreText, typeClasses, ZoomView } from '../capture-view.js';
import * as events from '../events.js';
import { loadDocument } from '../recipes-data.js';
import { download, field, h, millis, outcomeOf, render, reportError, shortWhen, when } from '../ui.js';

const PAGE = 25;

/**
 * @param {HTMLElement} view
 * @param {string[]} params `[result id]`, optional: the result to open.
 */
export async function mount(view, params) {
  const recipes = await api.get('/recipes');
  const recipe = h('select', { name: 'recipe' }, h('option', { value: '' }, 'All recipes'),
    recipes.map((r) => h('option', { value: r.name }, r.name)));
  const verdict = h('select', { name: 'verdict' }, h('option', { value: '' }, 'All verdicts'),
    h('option', { value: 'pass' }, 'Pass'), h('option', { value: 'fail' }, 'Fail'),
    h('option', { value: 'error' }, 'Not judged'), h('option', { value: 'skipped' }, 'Skipped (busy)'));
  const since = h('input', { type: 'datetime-local', name: 'since' });
  const until = h('input', { type: 'datetime-local', name: 'until' });
  const roi = h('input', { type: 'text', name: 'roi', placeholder: 'any', style: 'width: 110px' });
  const cls = h('input', { type: 'text', name: 'class', placeholder: 'any', style: 'width: 110px' });
  const tbody = h('tbody');
  const pager = h('div.pager');
  const detail = h('aside.card.detail.stack', { hidden: true, 'data-testid': 'result-detail' });
  const layout = h('div.history-view.closed', null,
    h('div.card', { style: 'padding: 0; overflow: auto' },
      h('table.data', { 'data-testid': 'results-table' },
        h('thead', null, h('tr', null, h('th', null, 'Time'), h('th', null, 'Recipe'), h('th', null, 'Verdict'),
          h('th', null, 'Failing ROIs'), h('th', null, 'Cycle'))),
        tbody),
      pager),
    detail);
  const form = h('form.card.filters', { 'aria-label': 'Filter results' },
    field('Recipe', recipe), field('Verdict', verdict), field('From', since), field('To', until),
    field('ROI', roi), field('Class', cls),
    h('div.actions', null, h('button.primary', { type: 'submit' }, 'Apply'),
      h('button', { type: 'button', onclick: () => { form.reset(); offset = 0; load(); } }, 'Clear')));
  render(view, h('section.page', null,
    h('div.page-head', null,
      h('div', null, h('h1', null, 'History'), h('p.sub', null, 'Every trigger the station took, newest first.')),
      h('div.actions', null, h('button', { type: 'button', 'data-testid': 'export-csv', onclick: () => exportCsv() }, 'Export CSV'))),
    form, layout));

  let offset = 0;
  /** @type {string|null} */
  let openId = null;

  /** @returns {Record<string, string>} the API's query for the form's filters. */
  function query() {
    const toIso = (value) => (value ? new Date(value).toISOString() : '');
    return { recipe: recipe.value, verdict: verdict.value, since: toIso(since.value), until: toIso(until.value),
             roi: roi.value.trim(), class: cls.value.trim() };
  }

  async function load() {
    let page;
    try {
      page = await api.get('/results', { ...query(), limit: PAGE, offset });
    } catch (err) {
      reportError(err);
      return;
    }
    if (!page.items.length) {
      render(tbody, h('tr', null, h('td', { colspan: 5 }, h('div.empty', null, h('strong', null, 'No results'),
        'Nothing the station stored matches these filters.'))));
    } else {
      render(tbody, page.items.map((r) => row(r)));
    }
    const last = Math.min(offset + PAGE, page.total);
    render(pager,
      h('span.muted.small', { 'data-testid': 'page-info' }, page.total ? `${offset + 1}–${last} of ${page.total}` : '0 results'),
      h('button.small', { type: 'button', disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - PAGE); load(); } }, '‹ Newer'),
      h('button.small', { type: 'button', disabled: last >= page.total, onclick: () => { offset += PAGE; load(); } }, 'Older ›'));
  }

  /** @param {any} record */
  function row(record) {
    const outcome = outcomeOf(record);
    const failing = (record.rois || []).filter((r) => !r.pass).map((r) => (r.class ? `${r.roi} (${r.class})` : r.roi));
    return h(`tr.clickable${record.id === openId ? '.selected' : ''}`, { tabindex: 0, 'data-id': record.id,
      onclick: () => open(record), onkeydown: (e) => { if (e.key === 'Enter') open(record); } },
    h('td', { style: 'white-space: nowrap' }, shortWhen(record.time)), h('td', null, record.recipe),
    h('td', null, h(`span.badge.${outcome === 'pass' ? 'pass' : outcome === 'fail' ? 'fail' : 'warn'}`, null,
      { pass: 'PASS', fail: 'FAIL', error: 'NOT JUDGED', skipped: 'SKIPPED' }[outcome])),
    h('td', null, failing.join(', ') || (record.error ? h('span.muted.small', null, record.error.slice(0, 80)) : '–')),
    h('td.mono', null, millis(record.timing_ms?.total)));
  }

  /** @param {any} record */
  async function open(record) {
    openId = record.id;
    layout.classList.remove('closed');
    detail.hidden = false;
    const canvas = /** @type {HTMLCanvasElement} */ (h('canvas', { 'aria-label': `Capture of ${when(record.time)}` }));
    const zoom = new ZoomView(canvas, { label: 'the capture' });
    const items = new Map((record.rois || []).map((r) => [r.roi, h(`div.roi-item.${r.pass ? 'pass' : 'fail'}`, { 'data-roi': r.roi },
      h('strong', null, r.roi), r.class ? h('span', { 'data-class-of': r.roi }, r.class, ` ${Math.round((r.confidence ?? 0) * 100)} %`)
        : r.score != null ? scoreText(r) : h('span', null, (r.failed_rules || []).join(', ') || (r.pass ? 'OK' : 'defect')))]));
    render(detail,
      h('div.page-head', null, h('h2', null, when(record.time)),
        h('button.ghost.small', { type: 'button', 'aria-label': 'Close', onclick: () => { detail.hidden = true; layout.classList.add('closed'); openId = null; } }, '✕')),
      h('p.muted.small', null, `${record.recipe} · ${record.image} · ${record.trigger}`),
      zoom.element,
      record.error ? h('p.notice.error', null, record.error) : null,
      h('div.roi-list', null, [...items.values()]));
    const [doc, image] = await Promise.all([
      api.whenMissing(loadDocument(record.recipe), { rois: [], types: [] }),
      api.whenMissing(api.loadImage(`/results/${record.id}/image`), null)]);
    if (openId !== record.id) return;
    for (const r of record.rois || []) {
      const spec = doc.types.find((t) => t.name === r.type);
      const place = items.get(r.roi)?.querySelector(`[data-class-of="${CSS.escape(r.roi)}"]`);
      if (place) render(place, classBadge(spec, r.class), ` ${Math.round((r.confidence ?? 0) * 100)} %`);
    }
    if (!image) {
      zoom.element.replaceWith(h('p.notice.info', null, 'The station did not keep this capture (retention keeps failures and '
        + 'a sample of passes), so it cannot be added to the training set.'));
      return;
    }
    drawCapture(canvas, image, doc, record.rois || [], undefined, record.alignment);
    for (const r of record.rois || []) {
      const spec = doc.types.find((t) => t.name === r.type);
      if (spec) items.get(r.roi)?.append(trainingControls(record, r, spec));
    }
  }

  /** @param {string} id a result's id, as a link names it. */
  async function openById(id) {
    try {
      await open(await api.get(`/results/${encodeURIComponent(id)}`));
      for (const tr of tbody.querySelectorAll('tr[data-id]')) tr.classList.toggle('selected', tr.dataset.id === id);
    } catch (err) {
      reportError(err);
    }
  }

  async function exportCsv() {
    try {
      const response = await api.request('GET', '/results.csv', { query: query(), raw: true });
      download(`openinspect-results-${new Date().toISOString().slice(0, 10)}.csv`, await response.blob());
    } catch (err) {
      reportError(err);
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    offset = 0;
    load();
  });
  let pending = 0;
  const stop = events.on('result', () => {
    if (offset !== 0) return;
    clearTimeout(pending);
    pending = window.setTimeout(load, 400);
  });
  await load();
  if (params[0]) await openById(params[0]);
  return () => {
    stop();
    clearTimeout(pending);
  };
}

/**
 * Controls under one ROI of a judged capture that add the capture to the recipe's training images:
 * classifier and anomaly ROIs with the class picked, segmenter ROIs as good (an empty mask) or to paint on the Label
 * page.
 * @param {any} record the result.
 * @param {any} r the ROI's result.
 * @param {any} spec the ROI's inspection type in the recipe document.
 * @returns {HTMLElement}
 */
function trainingControls(record, r, spec) {
  const outcome = h('div.roi-train-outcome', { 'aria-live': 'polite', 'data-testid': 'training-outcome' });
  const labelPage = (image) => `#/label/${encodeURIComponent(record.recipe)}/${encodeURIComponent(spec.name)}/${image}`;
  const buttons = [];
  /** @param {any} correction @param {(added: any) => string} said @param {string} linkText */
  const send = async (correction, said, linkText) => {
    buttons.forEach((b) => { b.disabled = true; });
    render(outcome);
    try {
      const added = await api.post(`/results/${encodeURIComponent(record.id)}/labels`, { labels: [correction] });
      render(outcome, h('span.small', null, said(added), added.added ? '' : ' (the capture was there already)', ' '),
        h('a.small', { href: labelPage(added.image) }, linkText));
    } catch (err) {
      render(outcome, h('p.notice.error', { role: 'alert' }, err.message));
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  };
  const button = (text, onclick) => {
    const el = h('button.small', { type: 'button', onclick }, text);
    buttons.push(el);
    return el;
  };
  const roi = { roi: r.roi, type: r.type };
  if (spec.kind !== 'segmenter') {
    const judged = r.class ?? (r.pass ? 'good' : 'anomalous');
    const select = h('select', { 'aria-label': `Correct class of ${r.roi}` },
      typeClasses(spec).map((c) => h('option', { value: c.name, selected: c.name === judged }, c.name)));
    return h('div.roi-train.engineer-only', null, select,
      button('Add to training set', () => send({ ...roi, class: select.value },
        (added) => `Added to the training set as ${added.labels[r.roi]}.`, 'Open on the Label page →')),
      outcome);
  }
  return h('div.roi-train.engineer-only', null,
    button('Add as good (no defect)', () => send({ ...roi, mask: 'background' },
      () => `Added as good: an empty ${spec.name} mask.`, 'Open on the Label page →')),
    button('Add to label', () => send(roi, () => 'Added to the captures to paint.', 'Paint it on the Label page →')),
    outcome);
}
