/**
 * Live: the latest capture with its ROIs (zoom and pan), the verdict, a strip of the recent results, the shift
 * counters with their reset, cycle times, a manual trigger and, for engineers, the active recipe.
 * "Latest failure" holds the last failing capture on screen while the counters keep running.
 * The shift counters are the station's, so every browser shows the same figures and a reset reaches them all.
 * @module pages/live
 */

import * as api from '../api.js';
import { classBadge, drawCapture, scoreText, ZoomView } from '../capture-view.js';
import * as events from '../events.js';
import { loadDocument } from '../recipes-data.js';
import * as station from '../station.js';
import { timerControl } from '../timer-control.js';
import { confirmDialog, h, millis, outcomeOf, percent, pickFiles, render, reportError, shortWhen, toast, when } from '../ui.js';

const STAGES = ['decode', 'align', 'crop', 'models', 'rules'];
/** Results the recent strip shows. */
const RECENT = 20;
const WORDS = { pass: 'PASS', fail: 'FAIL', error: 'NOT JUDGED', skipped: 'SKIPPED' };

/** @param {HTMLElement} view */
export async function mount(view) {
  /** @type {'latest'|'failure'} */
  let mode = 'latest';
  /** @type {any|null} */
  let shown = null;
  /** @type {Map<string, any>} */
  const documents = new Map();

  const canvas = /** @type {HTMLCanvasElement} */ (h('canvas', { 'aria-label': 'Latest capture' }));
  const zoom = new ZoomView(canvas, { label: 'the capture' });
  const placeholder = h('div.placeholder', null, 'No capture yet. Press Trigger to inspect a part.');
  const holdFlag = h('span.badge.fail.hold-flag', { hidden: true }, 'Holding the latest failure');
  const stage = h('div.live-stage', null, placeholder, zoom.element, holdFlag);
  zoom.element.hidden = true;
  const strip = h('div.recent-strip', { 'data-testid': 'recent-results', role: 'list', 'aria-label': 'Recent results' });
  /** @type {any[]} the strip's results, newest first. */
  let recent = [];
  const shiftNote = h('p.muted.small', { 'data-testid': 'shift-start' });
  const resetButton = h('button.small', { type: 'button', 'data-testid': 'shift-reset', onclick: () => resetShift() },
    'Reset');
  const recipeSwitch = h('select', { 'aria-label': 'Active recipe', 'data-testid': 'recipe-switch',
    onchange: () => switchRecipe(recipeSwitch.value) });
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
      h('div.actions.live-controls', null,
        h('label.inline-field.engineer-only', null, 'Recipe', recipeSwitch),
        h('div.seg-toggle', { role: 'group', 'aria-label': 'What to show' }, latestButton, failButton))),
    h('div.live', null,
      h('div.live-main', null, stage, strip,
        h('div.live-figures', null,
          h('div.card', { 'data-testid': 'shift' },
            h('div.page-head', null, h('h3', null, 'This shift'), resetButton), counters, shiftNote),
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
    paintRecent();
    const outcome = outcomeOf(record);
    const word = WORDS[outcome];
    verdict.className = `verdict ${outcome === 'skipped' ? 'error' : outcome}`;
    render(verdict,
      h('div.word', null, word),
      record.reason === 'alignment' ? h('div.reason', null, 'The part was not found in the capture.') : null,
      record.error ? h('div.reason', null, record.error) : null,
      record.skipped ? h('div.reason', null, 'The station was busy; this trigger was not inspected.') : null,
      h('div.meta', null, `${record.recipe} · ${when(record.time)}${record.timing_ms ? ` · ${millis(record.timing_ms.total)}` : ''}`));
    paintTiming(record);
    const doc = await documentOf(record.recipe);
    if (shown !== record) return;
    paintRois(record, doc);
    // the station holds its latest captures in memory: archived or not, a recent result has its picture
    const image = record.skipped ? null : await api.whenMissing(api.loadImage(`/results/${record.id}/image`), null);
    if (shown !== record) return;
    const boxes = Boolean(image) || Boolean(record.rois);
    zoom.element.hidden = !boxes;
    const size = [canvas.width, canvas.height].join('x');
    if (boxes) drawCapture(canvas, image, doc, record.rois || [], sizeOf(doc), record.alignment);
    if (size !== [canvas.width, canvas.height].join('x')) zoom.reset();  // the same region stays zoomed otherwise
    placeholder.hidden = Boolean(image);
    placeholder.textContent = record.rois
      ? 'The station no longer holds this capture (it keeps the latest ones, failures and a sample of passes).'
      : 'No picture for this trigger.';
  }

  /** @param {any} record @param {any} doc its recipe document (what each class means). */
  function paintRois(record, doc) {
    const list = record.rois || [];
    if (!list.length) {
      render(rois, h('p.muted.small', null, 'No ROI results for this capture.'));
      return;
    }
    render(rois, list.map((r) => h(`div.roi-item.${r.pass ? 'pass' : 'fail'}`, { 'data-roi': r.roi },
      h('span', null, h('strong', null, r.roi), ' ', h('span.muted.small', null, r.type)),
      r.class != null
        ? h('span', null, classBadge(doc.types.find((t) => t.name === r.type), r.class), ' ',
          h('span.mono', { 'data-testid': 'confidence' }, percent(r.confidence)))
        : r.score != null ? scoreText(r) : h(`span.badge.${r.pass ? 'pass' : 'fail'}`, null, r.pass ? 'OK' : (r.failed_rules || []).join(', ') || 'defect'))));
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
  function paintStatus(status) {
    if (!status) return;
    recipeNote.textContent = status.recipe ? `Recipe ${status.recipe}` : 'No active recipe: activate one on the Recipes page.';
    if (document.activeElement !== recipeSwitch) recipeSwitch.value = status.recipe ?? '';
    triggerButton.disabled = !status.recipe && !busy;
    loadShift();
  }

  let shiftAsked = 0;
  /** Ask the station for the shift counters (another browser may have reset them). */
  async function loadShift() {
    const mine = ++shiftAsked;
    const shift = await api.get('/shift').catch((err) => (reportError(err), null));
    if (shift && mine === shiftAsked) paintShift(shift);
  }

  /** @param {any} shift the station's shift counters. */
  function paintShift(shift) {
    const c = shift.counts;
    render(counters,
      counter('Total', shift.total, '', 'total'), counter('Pass', c.pass, 'pass', 'pass'),
      counter('Fail', c.fail, 'fail', 'fail'), counter('Pass rate', percent(shift.pass_rate), '', 'pass-rate'));
    const notJudged = c.error + c.skipped;
    shiftNote.textContent = `Since ${shortWhen(shift.started)}${shift.started_by ? `, reset by ${shift.started_by}`
      : ' (the station started)'}${notJudged ? ` · ${notJudged} not judged` : ''}`;
  }

  async function resetShift() {
    if (!(await confirmDialog('Start a new shift?', 'The shift counters start again from zero on every screen. '
      + 'The results stay in History, and the audit trail keeps this shift\'s totals.', 'Reset counters'))) return;
    try {
      paintShift(await api.post('/shift/reset'));
      toast('Shift counters reset', 'ok');
    } catch (err) {
      reportError(err);
    }
  }

  /** @param {string} name the recipe the station should judge with. */
  async function switchRecipe(name) {
    try {
      await api.put('/active-recipe', { name });
      toast(`Recipe ${name} active`, 'ok');
    } catch (err) {
      reportError(err);  // e.g. a type without a model: the station keeps its recipe, and the switch shows it
    }
    recipeSwitch.value = (await station.refresh())?.recipe ?? '';
  }

  async function loadRecipes() {
    const list = await api.get('/recipes').catch((err) => (reportError(err), []));
    const active = station.current()?.recipe ?? '';
    render(recipeSwitch, active ? null : h('option', { value: '' }, 'No active recipe'),
      list.map((r) => h('option', { value: r.name, selected: r.name === active }, r.name)));
  }

  /** @param {any} record a new result, at the head of the recent strip. */
  function addRecent(record) {
    if (recent.some((r) => r.id === record.id)) return;
    recent = [record, ...recent].slice(0, RECENT);
    paintRecent();
  }

  function paintRecent() {
    if (!recent.length) {
      render(strip, h('span.muted.small', null, 'The latest results will line up here.'));
      return;
    }
    render(strip, recent.map((record) => {
      const outcome = outcomeOf(record);
      const failing = (record.rois || []).filter((r) => !r.pass).map((r) => r.roi).join(', ');
      return h(`a.recent-tile.${outcome}`, {
        role: 'listitem', href: `#/history/${encodeURIComponent(record.id)}`, 'data-id': record.id,
        'aria-current': shown && shown.id === record.id ? 'true' : null,
        title: `${WORDS[outcome]} · ${record.recipe} · ${when(record.time)}${failing ? ` · ${failing}` : ''}: open in History`,
      }, h('strong', null, WORDS[outcome]), h('span', null, shortWhen(record.time).split(' ').pop()));
    }));
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
    addRecent(record);
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
    const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement;
    if (event.key === 't' && !event.ctrlKey && !event.metaKey && !typing) trigger(null);
  };
  document.addEventListener('keydown', onKey);

  const stopResults = events.on('result', consider);
  const [latest] = await Promise.all([
    api.get('/results', { limit: RECENT }).catch((err) => (reportError(err), { items: [] })), loadRecipes()]);
  for (const record of [...latest.items].reverse()) addRecent(record);
  paintRecent();
  const stopStatus = station.watch(paintStatus);
  await setMode(mode);  // the person may have chosen "Latest failure" while the page loaded
  return () => {
    stopResults();
    stopStatus();
    timer.stop();
    document.removeEventListener('keydown', onKey);
  };
}

/** @param {string} label @param {any} value @param {string} kind @param {string} name its test id's end. */
function counter(label, value, kind, name) {
  return h(`div.counter${kind ? `.${kind}` : ''}`, { 'data-testid': `shift-${name}` },
    h('div.n', null, String(value)), h('div.k', null, label));
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
