/**
 * Drawing ROIs on a capture: drag on empty space to draw, drag a box to move it, drag a handle to resize,
 * Delete/Backspace removes the selected ROI, arrow keys nudge it (Shift: 10 px).
 *
 * The recipe's alignment region is drawn dashed in its own colour, labelled "alignment". In alignment mode
 * (`model.aligning`) the pointer and keys edit that region alone, the same way, and the ROIs are dimmed;
 * otherwise the region cannot be grabbed, so it is never moved in place of a ROI.
 * @module roi-canvas
 */

const HANDLE = 9;
const MIN_SIDE = 8;
/** Handle positions as fractions of the box: nw, n, ne, e, se, s, sw, w. */
const HANDLES = [[0, 0], [0.5, 0], [1, 0], [1, 0.5], [1, 1], [0.5, 1], [0, 1], [0, 0.5]];
/** The alignment region's colour: no inspection type uses it. */
export const ALIGNMENT_COLOUR = '#ffd33d';

/**
 * @typedef {{x: number, y: number, w: number, h: number}} Box
 * @typedef {{name: string, type: string, x?: number, y?: number, w?: number, h?: number}} Roi
 * @typedef {{rois: Roi[], selected: number, colourOf: (roi: Roi) => string,
 *            onChange: () => void, onSelect: (index: number) => void, onCreate: (rect: Box) => void,
 *            alignment?: Box|null, aligning?: boolean, onAlign?: (rect: Box|null) => void}} Model
 *   `alignment`: the alignment region (edited in place), or null; `aligning`: the pointer edits it instead of
 *   the ROIs; `onAlign`: a region was drawn (replacing the old one), or removed (null).
 */

/** An editable ROI layer over an image. */
export class RoiCanvas {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {Model} model the ROIs (edited in place) and callbacks.
   */
  constructor(canvas, model) {
    this.canvas = canvas;
    this.model = model;
    /** @type {HTMLImageElement|null} */
    this.image = null;
    this.width = 800;
    this.height = 450;
    /** @type {null|{mode: string, index: number, handle?: number, start: {x: number, y: number}, orig: any}} */
    this.drag = null;
    canvas.tabIndex = 0;
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
    canvas.addEventListener('keydown', (e) => this.key(e));
  }

  /** @param {HTMLImageElement|null} image the template; null: an empty canvas of the given size. */
  setImage(image, width = 800, height = 450) {
    this.image = image;
    this.width = image ? image.naturalWidth : width;
    this.height = image ? image.naturalHeight : height;
    this.canvas.width = this.width;
    this.canvas.height = this.height;
    this.paint();
  }

  /** @returns {number} canvas pixels per CSS pixel. */
  get ratio() {
    const box = this.canvas.getBoundingClientRect();
    return box.width ? this.width / box.width : 1;
  }

  /** @param {PointerEvent} e @returns {{x: number, y: number}} the pointer in image pixels. */
  point(e) {
    const box = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - box.left) * this.width) / box.width, y: ((e.clientY - box.top) * this.height) / box.height };
  }

  /** @param {Roi|Box} roi @returns {Box|null} null for a ROI that covers the whole capture. */
  rect(roi) {
    return roi.x === undefined || roi.x === null ? null : { x: roi.x, y: roi.y, w: roi.w, h: roi.h };
  }

  /** @returns {{boxes: (Roi|Box)[], selected: number}} what the pointer edits: the ROIs, or the alignment region. */
  layer() {
    if (!this.model.aligning) return { boxes: this.model.rois, selected: this.model.selected };
    const region = this.model.alignment;
    return { boxes: region ? [region] : [], selected: region ? 0 : -1 };
  }

  /** @param {{x: number, y: number}} p @returns {{index: number, handle: number}|null} */
  hit(p) {
    const size = HANDLE * this.ratio;
    const { boxes, selected } = this.layer();
    const order = [...boxes.keys()].sort((a, b) => (a === selected ? -1 : b === selected ? 1 : b - a));
    for (const index of order) {
      const r = this.rect(boxes[index]);
      if (!r) continue;
      if (index === selected) {
        const handle = HANDLES.findIndex(([fx, fy]) => Math.abs(p.x - (r.x + fx * r.w)) <= size
          && Math.abs(p.y - (r.y + fy * r.h)) <= size);
        if (handle >= 0) return { index, handle };
      }
      if (p.x >= r.x && p.x <= r.x + r.w && p.y >= r.y && p.y <= r.y + r.h) return { index, handle: -1 };
    }
    return null;
  }

  /** @param {PointerEvent} e */
  down(e) {
    if (e.button !== 0) return;  // other buttons pan the view
    this.canvas.focus();
    this.canvas.setPointerCapture(e.pointerId);
    const p = this.point(e);
    const hit = this.hit(p);
    if (hit) {
      if (!this.model.aligning) this.model.onSelect(hit.index);
      const box = this.layer().boxes[hit.index];
      this.drag = { mode: hit.handle >= 0 ? 'resize' : 'move', index: hit.index, handle: hit.handle, start: p,
                    orig: { ...this.rect(box) } };
    } else {
      this.drag = { mode: 'draw', index: -1, start: p, orig: null };
    }
    this.paint();
  }

  /** @param {PointerEvent} e */
  move(e) {
    const p = this.point(e);
    if (!this.drag) {
      const hit = this.hit(p);
      const cursors = ['nwse-resize', 'ns-resize', 'nesw-resize', 'ew-resize'];
      this.canvas.style.cursor = !hit ? 'crosshair' : hit.handle < 0 ? 'move' : cursors[hit.handle % 4];
      return;
    }
    const d = this.drag;
    if (d.mode === 'draw') {
      d.current = normalise(d.start, p, this.width, this.height);
    } else {
      const box = this.layer().boxes[d.index];
      const dx = p.x - d.start.x;
      const dy = p.y - d.start.y;
      const next = d.mode === 'move' ? moved(d.orig, dx, dy, this.width, this.height)
        : resized(d.orig, HANDLES[d.handle], dx, dy, this.width, this.height);
      Object.assign(box, next);
      this.model.onChange();
    }
    this.paint();
  }

  /** @param {PointerEvent} e */
  up(e) {
    const d = this.drag;
    this.drag = null;
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    if (d && d.mode === 'draw' && d.current && d.current.w >= MIN_SIDE && d.current.h >= MIN_SIDE) {
      if (this.model.aligning) this.model.onAlign(d.current);
      else this.model.onCreate(d.current);
    }
    this.paint();
  }

  /** @param {KeyboardEvent} e */
  key(e) {
    const { boxes, selected } = this.layer();
    if (selected < 0 || !boxes[selected]) return;
    if (e.key === 'Delete' || e.key === 'Backspace') {
      e.preventDefault();
      if (this.model.aligning) {
        this.model.onAlign(null);
      } else {
        boxes.splice(selected, 1);
        this.model.onSelect(-1);
        this.model.onChange();
      }
      this.paint();
      return;
    }
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const r = this.rect(boxes[selected]);
    if (steps[e.key] && r) {
      e.preventDefault();
      const n = e.shiftKey ? 10 : 1;
      Object.assign(boxes[selected], moved(r, steps[e.key][0] * n, steps[e.key][1] * n, this.width, this.height));
      this.model.onChange();
      this.paint();
    }
  }

  /** Redraw the image, every ROI and the alignment region. */
  paint() {
    const ctx = this.canvas.getContext('2d');
    ctx.fillStyle = '#161b22';
    ctx.fillRect(0, 0, this.width, this.height);
    if (this.image) ctx.drawImage(this.image, 0, 0);
    const ratio = this.ratio;
    const { rois, selected, aligning } = this.model;
    ctx.globalAlpha = aligning ? 0.35 : 1;
    rois.forEach((roi, index) => {
      const r = this.rect(roi);
      const colour = this.model.colourOf(roi);
      if (!r) return;
      const chosen = index === selected && !aligning;
      ctx.lineWidth = (chosen ? 3 : 2) * ratio;
      ctx.strokeStyle = colour;
      ctx.fillStyle = `${colour}22`;
      ctx.fillRect(r.x, r.y, r.w, r.h);
      ctx.strokeRect(r.x, r.y, r.w, r.h);
      this.label(ctx, r, `${roi.name} · ${r.w}×${r.h}`, colour, '#fff');
      if (chosen) this.handles(ctx, r, colour);
    });
    ctx.globalAlpha = 1;
    const region = this.model.alignment;
    if (region) this.paintAlignment(ctx, region, Boolean(aligning));
    const d = this.drag;
    if (d && d.mode === 'draw' && d.current) {
      ctx.setLineDash([8 * ratio, 6 * ratio]);
      ctx.strokeStyle = aligning ? ALIGNMENT_COLOUR : '#fff';
      ctx.lineWidth = 2 * ratio;
      ctx.strokeRect(d.current.x, d.current.y, d.current.w, d.current.h);
      ctx.setLineDash([]);
    }
  }

  /**
   * The alignment region: dashed over a dark line (visible on light and dark parts), labelled "alignment".
   * @param {CanvasRenderingContext2D} ctx @param {Box} r @param {boolean} editing show its handles.
   */
  paintAlignment(ctx, r, editing) {
    const ratio = this.ratio;
    ctx.lineWidth = 4 * ratio;
    ctx.strokeStyle = 'rgb(0 0 0 / 55%)';
    ctx.strokeRect(r.x, r.y, r.w, r.h);
    ctx.setLineDash([10 * ratio, 6 * ratio]);
    ctx.lineWidth = (editing ? 3 : 2) * ratio;
    ctx.strokeStyle = ALIGNMENT_COLOUR;
    ctx.strokeRect(r.x, r.y, r.w, r.h);
    ctx.setLineDash([]);
    this.label(ctx, r, `alignment · ${r.w}×${r.h}`, ALIGNMENT_COLOUR, '#1f2328');
    if (editing) this.handles(ctx, r, ALIGNMENT_COLOUR);
  }

  /**
   * A box's name tag above it (inside it at the top edge of the image).
   * @param {CanvasRenderingContext2D} ctx @param {Box} r @param {string} text @param {string} colour
   * @param {string} ink the text colour.
   */
  label(ctx, r, text, colour, ink) {
    const ratio = this.ratio;
    const size = Math.round(13 * ratio);
    ctx.font = `600 ${size}px system-ui, sans-serif`;
    const tw = ctx.measureText(text).width + 8 * ratio;
    const th = size + 8 * ratio;
    const ty = r.y >= th ? r.y - th : r.y;
    ctx.fillStyle = colour;
    ctx.fillRect(r.x, ty, tw, th);
    ctx.fillStyle = ink;
    ctx.textBaseline = 'middle';
    ctx.fillText(text, r.x + 4 * ratio, ty + th / 2);
  }

  /** The resize handles of a box. @param {CanvasRenderingContext2D} ctx @param {Box} r @param {string} colour */
  handles(ctx, r, colour) {
    const hs = HANDLE * this.ratio;
    ctx.fillStyle = '#fff';
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2 * this.ratio;
    for (const [fx, fy] of HANDLES) {
      ctx.fillRect(r.x + fx * r.w - hs / 2, r.y + fy * r.h - hs / 2, hs, hs);
      ctx.strokeRect(r.x + fx * r.w - hs / 2, r.y + fy * r.h - hs / 2, hs, hs);
    }
  }
}

/** A rectangle spanned by two points, whole pixels, inside the image. */
function normalise(a, b, width, height) {
  const x0 = clamp(Math.round(Math.min(a.x, b.x)), 0, width);
  const y0 = clamp(Math.round(Math.min(a.y, b.y)), 0, height);
  const x1 = clamp(Math.round(Math.max(a.x, b.x)), 0, width);
  const y1 = clamp(Math.round(Math.max(a.y, b.y)), 0, height);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

function moved(r, dx, dy, width, height) {
  return { x: clamp(Math.round(r.x + dx), 0, width - r.w), y: clamp(Math.round(r.y + dy), 0, height - r.h), w: r.w, h: r.h };
}

function resized(r, [fx, fy], dx, dy, width, height) {
  let x0 = r.x;
  let y0 = r.y;
  let x1 = r.x + r.w;
  let y1 = r.y + r.h;
  if (fx === 0) x0 = clamp(x0 + dx, 0, x1 - MIN_SIDE);
  if (fx === 1) x1 = clamp(x1 + dx, x0 + MIN_SIDE, width);
  if (fy === 0) y0 = clamp(y0 + dy, 0, y1 - MIN_SIDE);
  if (fy === 1) y1 = clamp(y1 + dy, y0 + MIN_SIDE, height);
  return { x: Math.round(x0), y: Math.round(y0), w: Math.round(x1 - x0), h: Math.round(y1 - y0) };
}

function clamp(v, lo, hi) {
  return Math.min(Math.max(v, lo), hi);
}

/** The model input cap: ROI crops are downscaled to at most this many pixels a side. */
export const MAX_MODEL_SIDE = 512;

/**
 * What a ROI larger than the model cap loses, in words (the same figures `recipe add` prints), or null.
 * @param {Roi} roi
 * @returns {string|null}
 */
export function downscaleWarning(roi) {
  if (roi.w === undefined || roi.w === null) return null;
  const side = Math.max(roi.w, roi.h);
  if (side <= MAX_MODEL_SIDE) return null;
  const factor = side / MAX_MODEL_SIDE;
  const cw = Math.round(roi.w / factor);
  const ch = Math.round(roi.h / factor);
  return `${roi.w}×${roi.h} px: the model sees it at ${cw}×${ch} (${factor.toFixed(1)}× less detail per side); `
    + `defects smaller than about ${Math.round(factor)} px may vanish. Draw smaller ROIs around the critical features.`;
}
