/**
 * Live: the latest capture with its ROIs, the verdict, counters, cycle times and a manual trigger.
 * "Latest failure" holds the last failing capture on screen while the counters keep running.
 * @module pages/live
 */

import * as api from '../api.js';
import { drawCapture } from '../capture-view.js';
import * as events from '../events.js';
import { loadDocument } from '../recipes-data.js';
import * as station from '../station.js';
import { timerControl } from '../timer-control.js';
import { h, millis, outcomeOf, percent, pickFiles, render, reportError, when } from '../ui.js';

const STAGES = ['decode', 'align', 'crop', 'models', 'rules'];

/** @param {HTMLElement} view */
export async function mount(view) {
  /** @type {'latest'|'failure'} */
  let mode = 'latest';
  /** @type {any|null} */
  let shown = null;
  /** @type {Map<string, any>} */
  const documents = new Map();

  const canvas = /** @type {HTMLCanvasElement} */ (h('canvas', { 'aria-label': 'Latest capture' }));
  const placeholder = h('div.placeholder', null, 'No capture yet. Press Trigger to inspect a part.');
  const holdFlag = h('span.badge.fail.hold-flag', { hidden: true }, 'Holding the latest failure');
  const stage = h('div.live-stage', null, placeholder, canvas, holdFlag);
  canvas.hidden = true;
  const verdict = h('div.verdict', { 'data-testid': 'verdict', 'aria-live': 'assertive' },
    h('div.word', null, '—'), h('div.meta', null, 'Waiting for the first capture'));
  const triggerButton = h('button.primary.trigger-btn', { type: 'button', 'data-testid': 'trigger' }, 'Trigger');
  const fileButton = h('button', { type: 'button' }, 'Inspect an image file…');
  const latestButton = h('button', { type: 'button', 'aria-pressed': 'true' }, 'Latest');
  const failButton = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Latest failure');
  const counters = h('div.counters', { 'data-testid': 'counters' });
  const timing = h('div.timing');
  const rois = h('div.roi-list', { 'data-testid': 'roi-results' });
  const recipeNote = h('p.muted.small');
  const timer = timerControl();

  render(view, h('section.page', null,
    h('div.page-head', null,
      h('div', null, h('h1', null, 'Live'), recipeNote),
      h('div.seg-toggle', { role: 'group', 'aria-label': 'What to show' }, latestButton, failButton)),
    h('div.live', null,
      h('div.live-main', null, stage,
        h('div.live-figures', null,
          h('div.card', null, h('h3', null, 'Since start'), counters),
          h('div.card', null, h('h3', null, 'Cycle time per stage'), timing))),
      h('aside.side', null,
        verdict,
        h('div.card.stack', null, triggerButton, fileButton, timer.element),
        h('div.card', null, h('h3', null, 'ROIs'), rois)))));

  async function documentOf(name) {
    if (!documents.has(name)) documents.set(name, await api.whenMissing(loadDocument(name), { rois: [], types: [] }));
    return documents.get(name);
  }

  /** @param {any} record a stored result. */
  async function show(record) {
    shown = record;
    const outcome = outcomeOf(record);
    const word = { pass: 'PASS', fail: 'FAIL', error: 'NOT JUDGED', skipped: 'SKIPPED' }[outcome];
    verdict.className = `verdict ${outcome === 'skipped' ? 'error' : outcome}`;
    render(verdict,
      h('div.word', null, word),
      record.reason === 'alignment' ? h('div.reason', null, 'The part was not found in the capture.') : null,
      record.error ? h('div.reason', null, record.error) : null,
      record.skipped ? h('div.reason', null, 'The station was busy; this trigger was not inspected.') : null,
      h('div.meta', null, `${record.recipe} · ${when(record.time)}${record.timing_ms ? ` · ${millis(record.timing_ms.total)}` : ''}`));
    paintRois(record);
    paintTiming(record);
    const doc = await documentOf(record.recipe);
    // the station holds its latest captures in memory: archived or not, a recent result has its picture
    const image = record.skipped ? null : await api.whenMissing(api.loadImage(`/results/${record.id}/image`), null);
    if (shown !== record) return;
    const boxes = Boolean(image) || Boolean(record.rois);
    canvas.hidden = !boxes;
    if (boxes) drawCapture(canvas, image, doc, record.rois || [], sizeOf(doc), record.alignment);
    placeholder.hidden = Boolean(image);
    placeholder.textContent = record.rois
      ? 'The station no longer holds this capture (it keeps the latest ones, failures and a sample of passes).'
      : 'No picture for this trigger.';
  }

  /** @param {any} record */
  function paintRois(record) {
    const list = record.rois || [];
    if (!list.length) {
      render(rois, h('p.muted.small', null, 'No ROI results for this capture.'));
      return;
    }
    render(rois, list.map((r) => h(`div.roi-item.${r.pass ? 'pass' : 'fail'}`, { 'data-roi': r.roi },
      h('span', null, h('strong', null, r.roi), ' ', h('span.muted.small', null, r.type)),
      r.class != null
        ? h('span', null, h(`span.badge.${r.pass ? 'pass' : 'fail'}`, null, r.class), ' ',
          h('span.mono', { 'data-testid': 'confidence' }, percent(r.confidence)))
        : h(`span.badge.${r.pass ? 'pass' : 'fail'}`, null, r.pass ? 'OK' : (r.failed_rules || []).join(', ') || 'defect'))));
  }

  /** @param {any} record */
  function paintTiming(record) {
    const times = record.timing_ms || {};
    const total = times.total || 0;
    const stages = [...STAGES.filter((s) => s in times), ...Object.keys(times).filter((k) => k !== 'total' && !STAGES.includes(k))];
    const status = station.current();
    render(timing,
      stages.map((name) => h('div.bar-line', null, h('span', null, name),
        h('div', null, h('div.bar', { style: `width: ${total ? (100 * times[name]) / total : 0}%` })),
        h('span.v', null, millis(times[name])))),
      h('div.bar-line', null, h('strong', null, 'total'), h('span'), h('strong.v', null, millis(times.total))),
      status && status.cycle_ms.count ? h('p.muted.small', null,
        `mean ${millis(status.cycle_ms.mean)} · p95 ${millis(status.cycle_ms.p95)} over ${status.cycle_ms.count}`) : null);
  }

  /** @param {any} status */
  function paintCounters(status) {
    if (!status) return;
    const c = status.counts;
    render(counters,
      counter('Pass', c.pass, 'pass'), counter('Fail', c.fail, 'fail'),
      counter('Pass rate', percent(status.pass_rate), ''), counter('Not judged', c.error + c.skipped, ''));
    recipeNote.textContent = status.recipe ? `Recipe ${status.recipe}` : 'No active recipe: activate one on the Recipes page.';
    triggerButton.disabled = !status.recipe && !busy;
  }

  let busy = false;
  async function trigger(file) {
    if (busy) return;
    busy = true;
    triggerButton.disabled = true;
    triggerButton.textContent = 'Inspecting…';
    try {
      let record;
      if (file) {
        const form = new FormData();
        form.append('image', file);
        record = await api.request('POST', '/trigger', { body: form });
      } else {
        record = await api.request('POST', '/trigger');
      }
      consider(record);
    } catch (err) {
      reportError(err);
    } finally {
      busy = false;
      triggerButton.disabled = false;
      triggerButton.textContent = 'Trigger';
    }
  }

  /** @param {any} record a result from the trigger's answer or the live feed. */
  function consider(record) {
    if (shown && shown.id === record.id) return;
    if (mode === 'failure' && outcomeOf(record) !== 'fail') return;
    show(record);
  }

  async function setMode(next) {
    mode = next;
    latestButton.setAttribute('aria-pressed', String(next === 'latest'));
    failButton.setAttribute('aria-pressed', String(next === 'failure'));
    holdFlag.hidden = next !== 'failure';
    const page = await api.get('/results', { limit: 1, verdict: next === 'failure' ? 'fail' : undefined })
      .catch((err) => (reportError(err), { items: [] }));
    if (page.items.length) show(page.items[0]);
  }

  triggerButton.addEventListener('click', () => trigger(null));
  fileButton.addEventListener('click', async () => {
    const [file] = await pickFiles('image/*');
    if (file) trigger(file);
  });
  latestButton.addEventListener('click', () => setMode('latest'));
  failButton.addEventListener('click', () => setMode('failure'));
  const onKey = (event) => {
    if (event.key === 't' && !event.ctrlKey && !event.metaKey && !(event.target instanceof HTMLInputElement)) trigger(null);
  };
  document.addEventListener('keydown', onKey);

  const stopResults = events.on('result', consider);
  const stopStatus = station.watch(paintCounters);
  await setMode('latest');
  return () => {
    stopResults();
    stopStatus();
    timer.stop();
    document.removeEventListener('keydown', onKey);
  };
}

/** @param {string} label @param {any} value @param {string} kind */
function counter(label, value, kind) {
  return h(`div.counter${kind ? `.${kind}` : ''}`, null, h('div.n', null, String(value)), h('div.k', null, label));
}

/** @param {any} doc a recipe document @returns {{width: number, height: number}} a canvas that holds its ROIs. */
function sizeOf(doc) {
  let width = 640;
  let height = 360;
  for (const roi of doc.rois || []) {
    if (roi.x != null) {
      width = Math.max(width, roi.x + roi.w + 20);
      height = Math.max(height, roi.y + roi.h + 20);
    }
  }
  return { width, height };
}
