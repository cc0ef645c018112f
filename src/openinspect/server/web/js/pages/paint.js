/**
 * Segmenter labelling: paint each defect in its pixel class colour over the capture (an anomaly type's anomalous
 * regions too: one pixel class, `anomalous`).
 * Brush (B) and eraser (E), size slider and [ ] keys, pixel class by chip or 1-9, wheel to zoom, Space-drag
 * or right-drag to pan, Ctrl+Z / Ctrl+Shift+Z to undo and redo, overlay opacity, "Mark as good".
 * The mask saves itself shortly after each stroke. The page holds the captures and saving; the canvas, the
 * tools, the mask and its undo history are in `components/paint-*.js`.
 * @module pages/paint
 */

import * as api from '../api.js';
import { UndoHistory } from '../components/paint-history.js';
import { decodeMask, encodeMask, hexRgb } from '../components/paint-mask-io.js';
import { MaskLayer } from '../components/paint-mask.js';
import { paintTools } from '../components/paint-tools.js';
import { PaintView } from '../components/paint-view.js';
import { libraryImage } from '../images.js';
import { h, render, reportError } from '../ui.js';

const UNDO_LIMIT = 30;
const SAVE_DELAY_MS = 500;

/**
 * @param {HTMLElement} body
 * @param {any} doc the recipe document.
 * @param {any} type the segmenter type (or an anomaly type with its one `pixel_classes` entry).
 * @param {string} [focus] the image hash to open first (else the first capture).
 * @returns {Promise<{reload: () => Promise<void>, cleanup: () => void}>}
 */
export async function mount(body, doc, type, focus) {
  const base = `/recipes/${encodeURIComponent(doc.name)}/types/${encodeURIComponent(type.name)}/samples`;
  const layer = new MaskLayer(type.pixel_classes.map((c) => hexRgb(c.color)));
  const history = new UndoHistory(UNDO_LIMIT);
  /** @type {any[]} */
  let samples = [];
  /** @type {any|null} */
  let current = null;
  let saveTimer = 0;
  let saving = Promise.resolve();

  const thumbs = h('div.thumbs', { 'data-testid': 'paint-thumbs' });
  const stage = /** @type {HTMLCanvasElement} */ (h('canvas', { 'data-testid': 'paint-canvas', 'aria-label': 'Capture to paint on' }));
  const stageBox = h('div.paint-stage', null, stage);
  const tools = paintTools(type.pixel_classes, () => view.draw());
  const view = new PaintView(stage, stageBox, {
    layer,
    rois: doc.rois.filter((r) => r.type === type.name),
    get opacity() { return tools.opacity(); },
    get brush() { return tools.brush(); },
    strokeStart: (p) => {
      history.record(layer.mask);
      layer.stamp(p, tools.size(), tools.value());
    },
    strokeTo: (from, to) => layer.line(from, to, tools.size(), tools.value()),
    strokeEnd: () => scheduleSave(),
  });
  const status = h('span.small.muted', { 'data-testid': 'paint-status', 'aria-live': 'polite' });
  const origin = /** @type {HTMLSelectElement} */ (h('select', { 'aria-label': 'Show', onchange: () => paintThumbs() },
    h('option', { value: 'all' }, 'All captures'), h('option', { value: 'real' }, 'Real captures only'),
    h('option', { value: 'synthetic' }, 'Synthetic only')));
  render(body,
    h('div.card.label-toolbar', null, ...tools.elements,
      h('button', { type: 'button', onclick: () => undo(), title: 'Ctrl+Z' }, 'Undo'),
      h('button', { type: 'button', onclick: () => redo(), title: 'Ctrl+Shift+Z' }, 'Redo'),
      h('button', { type: 'button', onclick: () => { view.fit(); view.draw(); } }, 'Fit'),
      h('button', { type: 'button', onclick: () => markGood() },
        type.kind === 'anomaly' ? 'Clear (no anomalous region)' : 'Mark as good (no defect)'),
      origin,
      h('span.grow'), status),
    h('div.paint', null, thumbs, stageBox));

  async function reload() {
    samples = await api.get(base);
    paintThumbs();
    if (!current && samples.length) await open(samples.find((sample) => sample.image === focus) || samples[0]);
    if (!samples.length) {
      render(stageBox, h('div.empty', { style: 'color: #8b949e' }, h('strong', { style: 'color: #fff' }, 'No captures yet'),
        'Add captures, then paint each defect in its pixel class colour.'));
    }
  }

  function paintThumbs() {
    const shown = samples.filter((s) => origin.value === 'all' || (origin.value === 'synthetic') === Boolean(s.synthetic));
    render(thumbs, shown.map((s) => {
      const thumb = /** @type {HTMLCanvasElement} */ (h('canvas', { 'aria-label': s.name }));
      libraryImage(s.image).then((i) => {
        thumb.width = 220;
        thumb.height = Math.round((220 * i.naturalHeight) / i.naturalWidth);
        thumb.getContext('2d').drawImage(i, 0, 0, thumb.width, thumb.height);
      }).catch(reportError);
      return h('button.thumb', { type: 'button', 'aria-current': String(current?.image === s.image),
        title: s.synthetic ? `${s.name} · synthetic: "${s.synthetic.description}", seed ${s.synthetic.seed}` : s.name,
        'data-synthetic': s.synthetic ? 'true' : 'false', onclick: () => open(s) }, thumb,
      s.masked ? h('span.badge.pass', null, 'painted') : null,
      s.synthetic ? h('span.badge.synthetic', { 'data-testid': 'synthetic-badge' }, 'synthetic') : null);
    }));
  }

  /** @param {any} sample */
  async function open(sample) {
    await flush();
    current = sample;
    paintThumbs();
    if (!stageBox.contains(stage)) render(stageBox, stage);
    const image = await libraryImage(sample.image);
    const { naturalWidth: width, naturalHeight: height } = image;
    layer.reset(width, height, sample.masked ? await storedMask(sample, width, height) : undefined);
    history.clear();
    view.setImage(image);
    report();
  }

  /** @param {any} sample @param {number} width @param {number} height @returns {Promise<Uint8Array|undefined>} */
  async function storedMask(sample, width, height) {
    try {
      return decodeMask(await api.loadImage(`${base}/${sample.image}/mask`), width, height, layer.colours);
    } catch (err) {
      reportError(err);
      return undefined;
    }
  }

  function report(text) {
    const painted = layer.painted();
    status.textContent = `${text ? `${text} · ` : ''}${painted} px painted`;
    status.dataset.painted = String(painted);
  }

  /** @param {Uint8Array|null} mask the state to go back or forward to (null: none). */
  function restore(mask) {
    if (!mask) return;
    layer.replace(mask);
    view.draw();
    scheduleSave();
  }
  const undo = () => restore(history.undo(layer.mask));
  const redo = () => restore(history.redo(layer.mask));

  function markGood() {
    history.record(layer.mask);
    layer.replace(new Uint8Array(layer.mask.length));
    view.draw();
    scheduleSave(true);
  }

  function scheduleSave(now = false) {
    report('Unsaved');
    clearTimeout(saveTimer);
    saveTimer = window.setTimeout(() => { saveTimer = 0; saving = save(); }, now ? 0 : SAVE_DELAY_MS);
  }

  async function flush() {
    if (saveTimer) {
      clearTimeout(saveTimer);
      saveTimer = 0;
      saving = save();
    }
    await saving;
  }

  async function save() {
    const sample = current;
    if (!sample) return;
    try {
      const blob = await encodeMask(layer.mask, layer.width, layer.height, layer.colours);
      await api.request('PUT', `${base}/${sample.image}/mask`, { body: blob, type: 'image/png' });
      sample.masked = true;
      if (sample === current) report('Saved');
      paintThumbs();
    } catch (err) {
      reportError(err);
      if (sample === current) report('Not saved');
    }
  }

  const onKey = (e) => {
    if (e.target instanceof HTMLInputElement && e.target.type !== 'range') return;
    if (e.key === ' ') { view.panKey = true; e.preventDefault(); return; }
    const command = e.ctrlKey || e.metaKey;
    if (command && (e.key.toLowerCase() === 'y' || (e.key.toLowerCase() === 'z' && e.shiftKey))) {
      e.preventDefault();
      redo();
    } else if (command && e.key.toLowerCase() === 'z') {
      e.preventDefault();
      undo();
    } else if (!command && !e.altKey) {
      tools.onKey(e);
    }
  };
  const onKeyUp = (e) => { if (e.key === ' ') view.panKey = false; };
  const onResize = () => view.draw();
  document.addEventListener('keydown', onKey);
  document.addEventListener('keyup', onKeyUp);
  window.addEventListener('resize', onResize);
  await reload();
  return {
    reload,
    cleanup: () => {
      flush();  // save() reports a stroke it could not save
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('keyup', onKeyUp);
      window.removeEventListener('resize', onResize);
    },
  };
}
