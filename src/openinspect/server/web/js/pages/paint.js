/**
 * Segmenter labelling: paint each defect in its pixel class colour over the capture.
 * Brush (B) and eraser (E), size slider and [ ] keys, pixel class by chip or 1-9, wheel to zoom, Space-drag
 * or right-drag to pan, Ctrl+Z / Ctrl+Shift+Z to undo and redo, overlay opacity, "Mark as good".
 * The mask saves itself shortly after each stroke.
 * @module pages/paint
 */

import * as api from '../api.js';
import { roiRect } from '../capture-view.js';
import { libraryImage } from '../images.js';
import { h, render, reportError, toast } from '../ui.js';

const UNDO_LIMIT = 30;
const SAVE_DELAY_MS = 500;

/**
 * @param {HTMLElement} body
 * @param {any} doc the recipe document.
 * @param {any} type the segmenter type.
 * @param {string} [focus] the image hash to open first (else the first capture).
 * @returns {Promise<{reload: () => Promise<void>, cleanup: () => void}>}
 */
export async function mount(body, doc, type, focus) {
  const base = `/recipes/${encodeURIComponent(doc.name)}/types/${encodeURIComponent(type.name)}/samples`;
  const colours = type.pixel_classes.map((c) => hexRgb(c.color));
  const rois = doc.rois.filter((r) => r.type === type.name);
  /** @type {any[]} */
  let samples = [];
  /** @type {any|null} */
  let current = null;
  let classIndex = 1;
  let tool = 'brush';
  let size = 12;
  let opacity = 0.6;
  /** @type {Uint8Array} */
  let mask = new Uint8Array(0);
  let width = 0;
  let height = 0;
  /** @type {HTMLImageElement|null} */
  let image = null;
  const overlay = document.createElement('canvas');
  /** @type {ImageData|null} */
  let overlayData = null;
  const view = { scale: 1, x: 0, y: 0 };
  /** @type {Uint8Array[]} */
  let undo = [];
  /** @type {Uint8Array[]} */
  let redo = [];
  let saveTimer = 0;
  let saving = Promise.resolve();

  const thumbs = h('div.thumbs', { 'data-testid': 'paint-thumbs' });
  const stage = /** @type {HTMLCanvasElement} */ (h('canvas', { 'data-testid': 'paint-canvas', 'aria-label': 'Capture to paint on' }));
  const stageBox = h('div.paint-stage', null, stage);
  const chips = h('div.chips', null, type.pixel_classes.map((c, i) => h('button.chip', {
    type: 'button', 'data-class': c.name, 'aria-pressed': String(i === 0), style: `border-color: ${c.color}`,
    onclick: () => pickClass(i + 1) }, h('kbd', null, String(i + 1)), h('span', { style: `color: ${c.color}` }, '● '), c.name)));
  const brushButton = h('button', { type: 'button', 'aria-pressed': 'true', onclick: () => pickTool('brush') }, 'Brush (B)');
  const eraserButton = h('button', { type: 'button', 'aria-pressed': 'false', onclick: () => pickTool('eraser') }, 'Eraser (E)');
  const sizeInput = h('input', { type: 'range', min: 1, max: 120, value: size, 'aria-label': 'Brush size', oninput: (e) => { size = Number(e.target.value); sizeText.textContent = `${size} px`; } });
  const sizeText = h('span.small.mono', null, `${size} px`);
  const opacityInput = h('input', { type: 'range', min: 0, max: 100, value: opacity * 100, 'aria-label': 'Overlay opacity', oninput: (e) => { opacity = Number(e.target.value) / 100; draw(); } });
  const undoButton = h('button', { type: 'button', onclick: () => history(undo, redo), title: 'Ctrl+Z' }, 'Undo');
  const redoButton = h('button', { type: 'button', onclick: () => history(redo, undo), title: 'Ctrl+Shift+Z' }, 'Redo');
  const goodButton = h('button', { type: 'button', onclick: () => markGood() }, 'Mark as good (no defect)');
  const fitButton = h('button', { type: 'button', onclick: () => { fit(); draw(); } }, 'Fit');
  const status = h('span.small.muted', { 'data-testid': 'paint-status', 'aria-live': 'polite' });
  render(body,
    h('div.card.label-toolbar', null, chips, brushButton, eraserButton,
      h('label.row.small', { style: 'align-items: center' }, 'Size', sizeInput, sizeText),
      h('label.row.small', { style: 'align-items: center' }, 'Overlay', opacityInput),
      undoButton, redoButton, fitButton, goodButton, h('span.grow'), status),
    h('div.paint', null, thumbs, stageBox));

  function pickClass(index) {
    classIndex = index;
    pickTool('brush');
    chips.querySelectorAll('.chip').forEach((c, i) => c.setAttribute('aria-pressed', String(i + 1 === index)));
  }

  function pickTool(next) {
    tool = next;
    brushButton.setAttribute('aria-pressed', String(next === 'brush'));
    eraserButton.setAttribute('aria-pressed', String(next === 'eraser'));
  }

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
    render(thumbs, samples.map((s) => {
      const thumb = /** @type {HTMLCanvasElement} */ (h('canvas', { 'aria-label': s.name }));
      libraryImage(s.image).then((i) => {
        thumb.width = 220;
        thumb.height = Math.round((220 * i.naturalHeight) / i.naturalWidth);
        thumb.getContext('2d').drawImage(i, 0, 0, thumb.width, thumb.height);
      }).catch(() => {});
      return h('button.thumb', { type: 'button', 'aria-current': String(current?.image === s.image), title: s.name,
        onclick: () => open(s) }, thumb, s.masked ? h('span.badge.pass', null, 'painted') : null);
    }));
  }

  /** @param {any} sample */
  async function open(sample) {
    await flush();
    current = sample;
    paintThumbs();
    if (!stageBox.contains(stage)) render(stageBox, stage);
    image = await libraryImage(sample.image);
    width = image.naturalWidth;
    height = image.naturalHeight;
    mask = new Uint8Array(width * height);
    if (sample.masked) {
      try {
        const painted = await api.loadImage(`${base}/${sample.image}/mask`);
        mask = decodeMask(painted, width, height, colours);
      } catch (err) {
        reportError(err);
      }
    }
    overlay.width = width;
    overlay.height = height;
    overlayData = overlay.getContext('2d').createImageData(width, height);
    refreshOverlay(0, 0, width, height);
    undo = [];
    redo = [];
    fit();
    draw();
    report();
  }

  function report(text) {
    let painted = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i]) painted++;
    status.textContent = `${text ? `${text} · ` : ''}${painted} px painted`;
    status.dataset.painted = String(painted);
  }

  /** Update the overlay's pixels in a rectangle from the mask. */
  function refreshOverlay(x0, y0, x1, y1) {
    const data = overlayData.data;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * width + x;
        const v = mask[i];
        const o = i * 4;
        if (v) {
          const [r, g, b] = colours[v - 1];
          data[o] = r; data[o + 1] = g; data[o + 2] = b; data[o + 3] = 255;
        } else {
          data[o + 3] = 0;
        }
      }
    }
    overlay.getContext('2d').putImageData(overlayData, 0, 0, x0, y0, x1 - x0, y1 - y0);
  }

  function fit() {
    const box = stageBox.getBoundingClientRect();
    if (!width || !box.width) return;
    view.scale = Math.min(box.width / width, box.height / height) * 0.96;
    view.x = (box.width - width * view.scale) / 2;
    view.y = (box.height - height * view.scale) / 2;
  }

  /** @type {{x: number, y: number}|null} */
  let cursor = null;
  function draw() {
    const box = stageBox.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    stage.width = Math.round(box.width * dpr);
    stage.height = Math.round(box.height * dpr);
    const ctx = stage.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#0d1117';
    ctx.fillRect(0, 0, box.width, box.height);
    if (!image) return;
    ctx.save();
    ctx.translate(view.x, view.y);
    ctx.scale(view.scale, view.scale);
    ctx.imageSmoothingEnabled = view.scale < 1;
    ctx.drawImage(image, 0, 0);
    ctx.globalAlpha = opacity;
    ctx.drawImage(overlay, 0, 0);
    ctx.globalAlpha = 1;
    ctx.lineWidth = 2 / view.scale;
    ctx.setLineDash([6 / view.scale, 4 / view.scale]);
    ctx.strokeStyle = '#58a6ff';
    for (const roi of rois) {
      const r = roiRect(roi, width, height);
      ctx.strokeRect(r.x, r.y, r.w, r.h);
    }
    ctx.setLineDash([]);
    if (cursor) {
      ctx.beginPath();
      ctx.arc(cursor.x, cursor.y, size / 2, 0, Math.PI * 2);
      ctx.strokeStyle = tool === 'eraser' ? '#fff' : type.pixel_classes[classIndex - 1].color;
      ctx.lineWidth = 1.5 / view.scale;
      ctx.stroke();
    }
    ctx.restore();
  }

  /** @param {PointerEvent|WheelEvent} e @returns {{x: number, y: number}} the point in image pixels. */
  function toImage(e) {
    const box = stage.getBoundingClientRect();
    return { x: (e.clientX - box.left - view.x) / view.scale, y: (e.clientY - box.top - view.y) / view.scale };
  }

  /** Paint a disc of the brush at an image point. */
  function stamp(p) {
    const r = size / 2;
    const x0 = Math.max(0, Math.floor(p.x - r));
    const y0 = Math.max(0, Math.floor(p.y - r));
    const x1 = Math.min(width, Math.ceil(p.x + r));
    const y1 = Math.min(height, Math.ceil(p.y + r));
    if (x0 >= x1 || y0 >= y1) return;
    const value = tool === 'eraser' ? 0 : classIndex;
    const r2 = r * r;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const dx = x + 0.5 - p.x;
        const dy = y + 0.5 - p.y;
        if (dx * dx + dy * dy <= r2) mask[y * width + x] = value;
      }
    }
    refreshOverlay(x0, y0, x1, y1);
  }

  /** @type {null|{mode: 'paint'|'pan', last: {x: number, y: number}, client: {x: number, y: number}}} */
  let drag = null;
  let spaceDown = false;
  stage.addEventListener('contextmenu', (e) => e.preventDefault());
  stage.addEventListener('pointerdown', (e) => {
    if (!image) return;
    stage.setPointerCapture(e.pointerId);
    const pan = spaceDown || e.button === 1 || e.button === 2;
    drag = { mode: pan ? 'pan' : 'paint', last: toImage(e), client: { x: e.clientX, y: e.clientY } };
    if (!pan) {
      undo.push(mask.slice());
      if (undo.length > UNDO_LIMIT) undo.shift();
      redo = [];
      stamp(drag.last);
      draw();
    }
  });
  stage.addEventListener('pointermove', (e) => {
    cursor = toImage(e);
    if (drag && drag.mode === 'pan') {
      view.x += e.clientX - drag.client.x;
      view.y += e.clientY - drag.client.y;
      drag.client = { x: e.clientX, y: e.clientY };
    } else if (drag) {
      const p = cursor;
      const steps = Math.max(1, Math.ceil(Math.hypot(p.x - drag.last.x, p.y - drag.last.y) / Math.max(1, size / 4)));
      for (let i = 1; i <= steps; i++) {
        stamp({ x: drag.last.x + ((p.x - drag.last.x) * i) / steps, y: drag.last.y + ((p.y - drag.last.y) * i) / steps });
      }
      drag.last = p;
    }
    draw();
  });
  const end = (e) => {
    if (stage.hasPointerCapture(e.pointerId)) stage.releasePointerCapture(e.pointerId);
    const painted = drag && drag.mode === 'paint';
    drag = null;
    if (painted) scheduleSave();
  };
  stage.addEventListener('pointerup', end);
  stage.addEventListener('pointercancel', end);
  stage.addEventListener('pointerleave', () => { cursor = null; draw(); });
  stage.addEventListener('wheel', (e) => {
    e.preventDefault();
    const p = toImage(e);
    const factor = Math.exp(-e.deltaY * 0.0015);
    view.scale = Math.min(Math.max(view.scale * factor, 0.05), 40);
    const box = stage.getBoundingClientRect();
    view.x = e.clientX - box.left - p.x * view.scale;
    view.y = e.clientY - box.top - p.y * view.scale;
    draw();
  }, { passive: false });

  /** Move one mask state between the undo and redo stacks. */
  function history(from, to) {
    if (!from.length) return;
    to.push(mask.slice());
    mask = from.pop();
    refreshOverlay(0, 0, width, height);
    draw();
    scheduleSave();
  }

  function markGood() {
    undo.push(mask.slice());
    redo = [];
    mask.fill(0);
    refreshOverlay(0, 0, width, height);
    draw();
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
    const blob = await encodeMask(mask, width, height, colours);
    try {
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
    if (e.key === ' ') { spaceDown = true; e.preventDefault(); return; }
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') {
      e.preventDefault();
      if (e.shiftKey) history(redo, undo); else history(undo, redo);
      return;
    }
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'y') { e.preventDefault(); history(redo, undo); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === '[' || e.key === ']') {
      size = Math.min(120, Math.max(1, Math.round(size * (e.key === ']' ? 1.25 : 0.8)) + (e.key === ']' ? 1 : 0)));
      sizeInput.value = String(size);
      sizeText.textContent = `${size} px`;
      draw();
    } else if (e.key === 'b') pickTool('brush');
    else if (e.key === 'e') pickTool('eraser');
    else {
      const n = Number.parseInt(e.key, 10);
      if (n >= 1 && n <= type.pixel_classes.length) pickClass(n);
    }
  };
  const onKeyUp = (e) => { if (e.key === ' ') spaceDown = false; };
  const onResize = () => draw();
  document.addEventListener('keydown', onKey);
  document.addEventListener('keyup', onKeyUp);
  window.addEventListener('resize', onResize);
  await reload();
  return {
    reload,
    cleanup: () => {
      flush().catch(() => toast('The last brush stroke could not be saved.', 'error'));
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('keyup', onKeyUp);
      window.removeEventListener('resize', onResize);
    },
  };
}

/** @param {string} hex `#rrggbb` @returns {number[]} `[r, g, b]` */
function hexRgb(hex) {
  return [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
}

/**
 * A mask PNG (pixel-class colours on black) back to class indices.
 * @param {HTMLImageElement} painted
 * @param {number} width
 * @param {number} height
 * @param {number[][]} colours
 * @returns {Uint8Array}
 */
function decodeMask(painted, width, height, colours) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(painted, 0, 0);
  const data = ctx.getImageData(0, 0, width, height).data;
  const lookup = new Map(colours.map(([r, g, b], i) => [(r << 16) | (g << 8) | b, i + 1]));
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) {
    const o = i * 4;
    mask[i] = lookup.get((data[o] << 16) | (data[o + 1] << 8) | data[o + 2]) || 0;
  }
  return mask;
}

/**
 * Class indices to a PNG in the pixel-class colours on opaque black (what the station's mask import reads).
 * @param {Uint8Array} mask
 * @param {number} width
 * @param {number} height
 * @param {number[][]} colours
 * @returns {Promise<Blob>}
 */
function encodeMask(mask, width, height, colours) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  const out = ctx.createImageData(width, height);
  for (let i = 0; i < mask.length; i++) {
    const o = i * 4;
    const v = mask[i];
    if (v) {
      const [r, g, b] = colours[v - 1];
      out.data[o] = r; out.data[o + 1] = g; out.data[o + 2] = b;
    }
    out.data[o + 3] = 255;
  }
  ctx.putImageData(out, 0, 0);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('mask not encoded'))), 'image/png'));
}
