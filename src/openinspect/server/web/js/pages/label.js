/**
 * Labelling: pick a recipe and an inspection type, add captures, then label.
 * Classifier types: a grid of ROI crops; click (Shift: range, Ctrl: add) and press 1-9 or click a class chip.
 * Space shows the selected crop large (zoom and pan there), and so does resting the pointer on a crop. A filter
 * that hides a selected crop drops it from the selection, so a key never labels a crop nobody sees.
 * Each crop is drawn where the samples say the station cuts it (moved and turned with the part when the recipe
 * aligns); a capture where alignment does not find the part is marked, as training skips it.
 * With a trained model each crop shows the model's class, and "Model disagrees" lists the crops it contradicts.
 * Anomaly types: the same grid with their two implicit classes, good (key 1; all a model needs) and anomalous (key 2;
 * optional, they only check the model); or, under "Paint regions" (route part `paint`, then an image hash), the
 * painting canvas with one colour, anomalous: a crop with a painted pixel is anomalous and validates pixel by pixel.
 * Segmenter types: a painting canvas (pages/paint.js).
 * Labels save as you go. A third route part (an image hash) selects that capture's crops, or opens it to paint.
 * @module pages/label
 */

import * as api from '../api.js';
import { ANOMALY_PAINT, classBadge, roiRect, typeClasses, ZoomView } from '../capture-view.js';
import { drawCrop, libraryImage } from '../images.js';
import { chooseRecipe, loadDocument } from '../recipes-data.js';
import { h, pickFiles, render, reportError, shortWhen, toast } from '../ui.js';

/**
 * @param {HTMLElement} view
 * @param {string[]} params `[recipe, type, image]`, all optional.
 */
export async function mount(view, params) {
  const chosen = await chooseRecipe(view, params[0]);
  if (!chosen) return undefined;
  const { recipes, name } = chosen;
  const doc = await loadDocument(name);
  const type = doc.types.find((t) => t.name === params[1]) || doc.types[0];
  const go = (recipe, typeName, part) => {
    window.location.hash = `#/label/${encodeURIComponent(recipe)}${typeName ? `/${encodeURIComponent(typeName)}` : ''}`
      + (part ? `/${part}` : '');
  };
  const painting = type.kind === 'segmenter' || (type.kind === 'anomaly' && params[2] === PAINT);
  const modeTabs = type.kind !== 'anomaly' ? null
    : h('div.seg-toggle', { role: 'group', 'aria-label': 'Label by' },
      h('button', { type: 'button', 'aria-pressed': String(!painting), onclick: () => go(name, type.name) }, 'Crops'),
      h('button', { type: 'button', 'aria-pressed': String(painting), onclick: () => go(name, type.name, PAINT) },
        'Paint regions'));
  const recipeSelect = h('select', { 'aria-label': 'Recipe', onchange: (e) => go(e.target.value) },
    recipes.map((r) => h('option', { value: r.name, selected: r.name === name }, r.name)));
  const typeTabs = h('div.seg-toggle', { role: 'group', 'aria-label': 'Inspection type' },
    doc.types.map((t) => h('button', { type: 'button', 'aria-pressed': String(t.name === type.name), onclick: () => go(name, t.name) },
      `${t.name} (${t.kind})`)));
  const addButton = h('button', { type: 'button' }, 'Add captures…');
  const trainLink = h('a.button', { href: `#/train/${encodeURIComponent(name)}` }, 'Train →');
  const synthLink = h('a.button', { href: `#/synth/${encodeURIComponent(name)}/${encodeURIComponent(type.name)}`,
    'data-testid': 'open-defect-creator' }, 'Defect Creator…');
  const body = h('div.stack');
  render(view, h('section.page', null,
    h('div.page-head', null,
      h('div', null, h('h1', null, 'Labelling'),
        h('p.sub', { 'data-testid': 'label-how' }, painting && type.kind === 'anomaly' ? HOW.anomalyPaint : HOW[type.kind])),
      h('div.actions', null, recipeSelect, typeTabs, modeTabs, addButton, synthLink, trainLink)),
    body));

  const state = recipes.find((r) => r.name === name)?.types.find((t) => t.name === type.name);
  const page = painting
    ? await (await import('./paint.js')).mount(body, doc,
      type.kind === 'anomaly' ? { ...type, pixel_classes: ANOMALY_PAINT } : type,
      type.kind === 'anomaly' ? params[3] : params[2])
    : await classifierLabelling(body, doc, type.kind === 'anomaly' ? { ...type, classes: typeClasses(type) } : type,
      type.kind === 'anomaly' ? null : state?.model ?? null, params[2]);
  addButton.addEventListener('click', async () => {
    const files = await pickFiles('image/*', true);
    if (!files.length) return;
    const form = new FormData();
    for (const file of files) form.append('images', file);
    try {
      const added = await api.request('POST', `/recipes/${encodeURIComponent(name)}/captures`, { body: form });
      toast(`${added.length} capture(s) added`, 'ok');
      await page.reload();
    } catch (err) {
      reportError(err);
    }
  });
  return page.cleanup;
}

/** What the Label page asks for, per kind of inspection type. */
const HOW = {
  classifier: 'Select crops, then press a number key or click a class. Labels save as you go.',
  segmenter: 'Paint each defect in its pixel class colour, or mark the capture as good. Masks save as you go.',
  anomaly: 'Select crops and press 1 for good: the model learns good crops only (at least 3). Press 2 for any '
    + 'anomalous crop you have: those only check the model and show its trade-off. Labels save as you go.',
  anomalyPaint: 'Paint where a capture is anomalous: its crops count as anomalous and check the heat map pixel by '
    + 'pixel (never learnt). Regions save as you go.',
};

/** The route part after the type that opens an anomaly type's painting canvas. */
const PAINT = 'paint';

/** The "Model disagrees" filter's value: never a class name (those cannot hold ':'). */
const DISAGREES = 'model:disagrees';
/** The filters of real captures and of the Defect Creator's synthetic images (never class names either). */
const REAL = 'origin:real';
const SYNTHETIC = 'origin:synthetic';

/**
 * The crop grid of a classifier type.
 * @param {HTMLElement} body
 * @param {any} doc the recipe document.
 * @param {any} type the classifier type.
 * @param {{version: number}|null} model the type's latest model, if it has one.
 * @param {string} [focus] an image hash whose crops start selected.
 * @returns {Promise<{reload: () => Promise<void>, cleanup: () => void}>}
 */
async function classifierLabelling(body, doc, type, model, focus) {
  const rois = doc.rois.filter((r) => r.type === type.name);
  const classes = type.classes;
  const samplesPath = `/recipes/${encodeURIComponent(doc.name)}/types/${encodeURIComponent(type.name)}/samples`;
  const trainFirst = 'Train a model first to use this filter';
  /** @type {{title: string, text: string}|null} why the model's classes are not shown, or null when they are. */
  let noModel = model ? null
    : { title: trainFirst, text: 'This type has no trained model yet. Train one, and each crop shows the class it predicts.' };
  if (type.kind === 'anomaly') {
    noModel = { title: 'Crops show no prediction for an anomaly type',
      text: 'The Training page shows each validation crop\'s score against the threshold.' };
  }
  /** @type {{image: string, name: string, added: string|null, width: number, height: number, roi: any, label: string|null,
   *          synthetic: {description: string, seed: number}|null,
   *          place: {x: number, y: number, w: number, h: number, angle: number}|null,
   *          alignment: {found: boolean, score: number}|null,
   *          prediction: {class: string, confidence: number}|null}[]} */
  let tiles = [];
  /** @type {Set<string>} */
  const selected = new Set();
  let anchor = -1;
  let filter = 'all';
  const key = (t) => `${t.image}/${t.roi.name}`;
  /** @type {Map<string, HTMLCanvasElement>} crops drawn once, reused by every repaint. */
  const canvases = new Map();

  const chips = h('div.chips', { 'data-testid': 'class-chips' }, classes.map((c, i) =>
    h(`button.chip.${c.pass ? 'pass' : 'fail'}`, { type: 'button', 'data-class': c.name, onclick: () => apply(c.name) },
      i < 9 ? h('kbd', null, String(i + 1)) : null, c.name)));
  const filterSelect = h('select', { 'aria-label': 'Show', onchange: (e) => { filter = e.target.value; paint(); } },
    h('option', { value: 'all' }, 'All crops'), h('option', { value: '' }, 'Unlabelled'),
    classes.map((c) => h('option', { value: c.name }, `Class: ${c.name}`)),
    h('option', { value: DISAGREES }, model ? `Model disagrees (v${model.version})` : 'Model disagrees'),
    h('option', { value: REAL }, 'Real captures only'), h('option', { value: SYNTHETIC }, 'Synthetic only'));
  const summary = h('span.muted.small', { 'data-testid': 'label-summary' });
  const selectAll = h('button.small', { type: 'button', onclick: () => { for (const t of visible()) selected.add(key(t)); paint(); } }, 'Select all shown');
  const preview = cropPreview(type);
  const grid = h('div.crop-grid', { role: 'listbox', 'aria-multiselectable': 'true', 'aria-label': 'ROI crops', 'data-testid': 'crop-grid' });
  render(body, h('div.card.label-toolbar', null, chips, h('span.grow'), filterSelect, selectAll, summary), grid);

  /** A labelled crop whose label the model contradicts. */
  const disagrees = (t) => Boolean(t.label && t.prediction && t.prediction.class !== t.label);
  const matches = (t) => {
    if (filter === 'all') return true;
    if (filter === '') return !t.label;
    if (filter === DISAGREES) return disagrees(t);
    if (filter === REAL) return !t.synthetic;
    if (filter === SYNTHETIC) return Boolean(t.synthetic);
    return t.label === filter;
  };
  const visible = () => tiles.filter(matches);

  async function reload() {
    const samples = await loadSamples();
    tiles = samples.flatMap((s) => rois.map((roi) => ({
      image: s.image, name: s.name, added: s.added ?? null, width: s.width, height: s.height, roi,
      place: s.rois?.[roi.name] ?? null, alignment: s.alignment ?? null,
      label: s.labels[roi.name] || null, prediction: s.predictions?.[roi.name] || null, synthetic: s.synthetic ?? null })));
    paint();
  }

  /** The samples, with the model's class per crop when it can judge them; labelling works either way. */
  async function loadSamples() {
    if (noModel) return api.get(samplesPath);
    try {
      return await api.get(samplesPath, { predict: true });
    } catch (err) {
      if (err.status === 0 || err.status === 401) throw err;
      noModel = { title: err.type === 'model_not_found' ? trainFirst : 'The model cannot judge these crops', text: err.message };
      return api.get(samplesPath);
    }
  }

  function paint() {
    const shown = visible();
    dropHidden(shown);
    const counts = Object.fromEntries(classes.map((c) => [c.name, 0]));
    let unlabelled = 0;
    for (const t of tiles) {
      if (t.label) counts[t.label] = (counts[t.label] || 0) + 1;
      else unlabelled++;
    }
    summary.textContent = `${Object.entries(counts).map(([c, n]) => `${c} ${n}`).join(' · ')} · unlabelled ${unlabelled}`
      + (noModel ? '' : ` · model disagrees ${tiles.filter(disagrees).length}`)
      + (selected.size ? ` · ${selected.size} selected` : '');
    if (!shown.length) {
      render(grid, emptyState());
      return;
    }
    render(grid, shown.map((tile, index) => {
      let canvas = canvases.get(key(tile));
      if (!canvas) {
        canvas = /** @type {HTMLCanvasElement} */ (h('canvas', { width: 200, height: 200 }));
        canvases.set(key(tile), canvas);
        const target = canvas;
        // where the part is not found there is no crop: show the ROI as drawn, marked below
        const rect = tile.place ?? roiRect(tile.roi, tile.width, tile.height);
        libraryImage(tile.image).then((img) => drawCrop(target, img, rect)).catch(reportError);
      }
      const predicted = tile.prediction ? `model: ${tile.prediction.class} ${Math.round(tile.prediction.confidence * 100)} %` : '';
      const missing = tile.alignment?.found === false;
      const note = missing ? `part not found (alignment score ${tile.alignment.score.toFixed(2)}): training and the station skip this capture`
        : predicted;
      return h(`button.crop${tile.label ? '' : '.unlabelled'}${missing ? '.part-missing' : ''}`, {
        type: 'button', role: 'option', 'aria-selected': String(selected.has(key(tile))),
        'data-key': key(tile), 'data-label': tile.label || '', 'data-prediction': tile.prediction?.class || '',
        'data-synthetic': tile.synthetic ? 'true' : 'false',
        title: `${tile.roi.name} of ${tile.name}${note ? ` · ${note}` : ''}`
          + `${tile.synthetic ? ` · synthetic: "${tile.synthetic.description}", seed ${tile.synthetic.seed}` : ''} (Space: show it large)`,
        onclick: (e) => click(e, index),
        onpointerenter: () => preview.peek(tile), onpointerleave: () => preview.unpeek(tile),
      }, canvas, h('span.cap', null, h('span.roi', null, tile.roi.name),
        tile.label ? classBadge(type, tile.label) : h('span.cls', null, 'unlabelled')),
      tile.synthetic ? h('span.badge.synthetic', { 'data-testid': 'synthetic-badge' }, 'synthetic') : null,
      missing ? h('span.pred.missing', { 'data-testid': 'part-missing' }, 'Part not found') : null,
      predicted ? h(`span.pred${disagrees(tile) ? '.disagree' : ''}`, { 'data-testid': 'prediction' }, predicted) : null);
    }));
  }

  /** What an empty grid says: no captures, no model to compare with, or nothing matching the filter. */
  function emptyState() {
    const box = (...children) => h('div.card.empty', { style: 'grid-column: 1 / -1' }, ...children);
    if (!tiles.length) {
      return box(h('strong', null, 'No captures yet'),
        h('p', null, 'Add captures of good and bad parts: each ROI of the type becomes a crop to label.'));
    }
    if (filter === DISAGREES && noModel) {
      return box(h('strong', null, noModel.title), h('p', { 'data-testid': 'model-note' }, noModel.text),
        h('a.button', { href: `#/train/${encodeURIComponent(doc.name)}` }, 'Train →'));
    }
    return box(h('strong', null, filter === DISAGREES ? 'The model agrees with every label' : 'Nothing matches this filter'));
  }

  /** @param {MouseEvent} e @param {number} index */
  function click(e, index) {
    const shown = visible();
    const k = key(shown[index]);
    if (e.shiftKey && anchor >= 0) {
      const [a, b] = [Math.min(anchor, index), Math.max(anchor, index)];
      for (let i = a; i <= b; i++) selected.add(key(shown[i]));
    } else if (e.ctrlKey || e.metaKey) {
      if (selected.has(k)) selected.delete(k);
      else selected.add(k);
      anchor = index;
    } else {
      selected.clear();
      selected.add(k);
      anchor = index;
    }
    paint();
  }

  /**
   * Forget the selected crops the filter hides: a key must never label a crop nobody sees.
   * @param {any[]} shown the crops on screen.
   */
  function dropHidden(shown) {
    const onScreen = new Set(shown.map(key));
    for (const k of [...selected]) if (!onScreen.has(k)) selected.delete(k);
    if (!selected.size) anchor = -1;
    else if (anchor >= shown.length || (anchor >= 0 && !selected.has(key(shown[anchor])))) {
      anchor = shown.findIndex((t) => selected.has(key(t)));
    }
    if (preview.pinned && !onScreen.has(key(preview.pinned))) preview.close();
  }

  /** Label every selected crop with a class, then move on to the next crop. @param {string} className */
  async function apply(className) {
    const chosen = visible().filter((t) => selected.has(key(t)));
    if (!chosen.length) {
      toast('Select one or more crops first (click; Shift-click for a range).', 'error');
      return;
    }
    const byImage = new Map();
    for (const t of chosen) {
      if (!byImage.has(t.image)) byImage.set(t.image, {});
      byImage.get(t.image)[t.roi.name] = className;
    }
    const before = chosen.map((t) => t.label);
    const was = visible();
    const last = Math.max(...chosen.map((t) => was.indexOf(t)));
    for (const t of chosen) t.label = className;
    if (chosen.length === 1) {
      // on to the next crop still shown (under a filter the labelled one may have left the view)
      const shown = visible();
      const next = was.slice(last + 1).find((t) => shown.includes(t));
      if (next) {
        selected.clear();
        selected.add(key(next));
        anchor = shown.indexOf(next);
        if (preview.pinned) preview.pin(next);
      }
    }
    paint();
    try {
      await Promise.all([...byImage].map(([image, labels]) => api.request('PUT',
        `/recipes/${encodeURIComponent(doc.name)}/types/${encodeURIComponent(type.name)}/samples/${image}/labels`,
        { json: { labels } })));
    } catch (err) {
      chosen.forEach((t, i) => { t.label = before[i]; });
      paint();
      reportError(err);
    }
  }

  /** Select the crops of one capture and bring them into view. @param {string} image */
  function selectImage(image) {
    const mine = tiles.filter((t) => t.image === image);
    if (!mine.length) return;
    for (const t of mine) selected.add(key(t));
    anchor = visible().indexOf(mine[0]);
    paint();
    grid.querySelector(`[data-key="${key(mine[0])}"]`)?.scrollIntoView({ block: 'center' });
  }

  const onKey = (e) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.ctrlKey || e.metaKey || e.altKey) return;
    const n = Number.parseInt(e.key, 10);
    if (n >= 1 && n <= Math.min(9, classes.length)) {
      e.preventDefault();
      apply(classes[n - 1].name);
    } else if (e.key === ' ') {
      e.preventDefault();
      const shown = visible();
      const current = anchor >= 0 ? shown[anchor] : shown.find((t) => selected.has(key(t)));
      if (preview.pinned) preview.close();
      else if (current) preview.pin(current);
    } else if (e.key === 'Escape') {
      if (preview.pinned) {
        preview.close();
        return;
      }
      selected.clear();
      paint();
    } else if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      const shown = visible();
      if (!shown.length) return;
      const next = Math.min(Math.max((anchor < 0 ? -1 : anchor) + (e.key === 'ArrowRight' ? 1 : -1), 0), shown.length - 1);
      selected.clear();
      selected.add(key(shown[next]));
      anchor = next;
      if (preview.pinned) preview.pin(shown[next]);
      paint();
      grid.children[next]?.scrollIntoView({ block: 'nearest' });
    }
  };
  document.addEventListener('keydown', onKey);
  await reload();
  if (focus) selectImage(focus);
  return { reload, cleanup: () => {
    document.removeEventListener('keydown', onKey);
    preview.close();
    preview.element.remove();
  } };
}

const PREVIEW_SIDE = 560;
/** How long the pointer rests on a crop before it is shown large. */
const PEEK_MS = 400;

/**
 * A crop shown large beside the grid: pinned (Space; zoom and pan there) until Space or Escape again, or a peek
 * while the pointer rests on a crop.
 * @param {any} type the classifier type (what its classes mean).
 */
function cropPreview(type) {
  const canvas = /** @type {HTMLCanvasElement} */ (h('canvas', { width: PREVIEW_SIDE, height: PREVIEW_SIDE }));
  const zoom = new ZoomView(canvas, { label: 'the crop' });
  const title = h('strong');
  const label = h('span');
  const element = h('aside.crop-preview', { hidden: true, 'data-testid': 'crop-preview', 'aria-live': 'polite' },
    h('header', null, title, label), zoom.element,
    h('span.muted.small', null, 'Space or Esc closes · wheel zooms · drag pans'));
  document.body.append(element);
  let timer = 0;
  /** @type {any} the tile drawn now. */
  let drawn = null;

  /** @param {any} tile @param {boolean} pinned */
  function show(tile, pinned) {
    element.hidden = false;
    element.classList.toggle('peek', !pinned);
    if (drawn === tile) return;
    drawn = tile;
    zoom.reset();
    title.textContent = `${tile.roi.name} of ${tile.name}${tile.added ? ` (${shortWhen(tile.added)})` : ''}`;
    render(label, tile.label ? classBadge(type, tile.label) : h('span.muted.small', null, 'unlabelled'));
    const rect = tile.place ?? roiRect(tile.roi, tile.width, tile.height);
    libraryImage(tile.image).then((img) => { if (drawn === tile) drawCrop(canvas, img, rect, PREVIEW_SIDE); })
      .catch(reportError);
  }

  const preview = {
    element,
    /** @type {any} the pinned tile, or null. */
    pinned: null,
    /** @param {any} tile show it large until closed. */
    pin(tile) {
      clearTimeout(timer);
      preview.pinned = tile;
      drawn = null;  // its label may have changed
      show(tile, true);
    },
    close() {
      clearTimeout(timer);
      preview.pinned = null;
      drawn = null;
      element.hidden = true;
    },
    /** @param {any} tile the pointer rests on it: shown large after a moment (unless one is pinned). */
    peek(tile) {
      clearTimeout(timer);
      if (!preview.pinned) timer = window.setTimeout(() => show(tile, false), PEEK_MS);
    },
    /** @param {any} tile the pointer left it. */
    unpeek(tile) {
      clearTimeout(timer);
      if (!preview.pinned && drawn === tile) {
        drawn = null;
        element.hidden = true;
      }
    },
  };
  return preview;
}
