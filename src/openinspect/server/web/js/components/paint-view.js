/**
 * The painting canvas: the capture with its mask overlay and ROI outlines, zoomed (wheel, in the steps every capture
 * view takes: capture-view.js) and panned (Space- or right-drag), the brush outline at the pointer; a left-drag
 * paints through the model's stroke callbacks.
 * @module components/paint-view
 */

import { anchoredOffset, roiRect, wheelFactor } from '../capture-view.js';

/**
 * @typedef {object} PaintModel
 * @property {import('./paint-mask.js').MaskLayer} layer the mask and its overlay.
 * @property {any[]} rois the ROIs to outline.
 * @property {number} opacity the overlay's opacity, 0..1.
 * @property {{radius: number, colour: string}} brush the outline drawn at the pointer, in image pixels.
 * @property {(p: {x: number, y: number}) => void} strokeStart a paint stroke begins at an image point.
 * @property {(from: {x: number, y: number}, to: {x: number, y: number}) => void} strokeTo it goes on to a point.
 * @property {() => void} strokeEnd it is finished.
 */

export class PaintView {
  /**
   * @param {HTMLCanvasElement} stage the canvas drawn on.
   * @param {HTMLElement} box the stage's box, whose size the canvas takes.
   * @param {PaintModel} model
   */
  constructor(stage, box, model) {
    this.stage = stage;
    this.box = box;
    this.model = model;
    this.scale = 1;
    this.x = 0;
    this.y = 0;
    /** @type {HTMLImageElement|null} */
    this.image = null;
    /** @type {{x: number, y: number}|null} the pointer in image pixels. */
    this.cursor = null;
    /** @type {null|{mode: 'paint'|'pan', last: {x: number, y: number}, client: {x: number, y: number}}} */
    this.drag = null;
    /** Space is held: a left-drag pans. */
    this.panKey = false;
    this.listen();
  }

  /** @param {HTMLImageElement} image the capture, fitted into the box. */
  setImage(image) {
    this.image = image;
    this.fit();
    this.draw();
  }

  /** Zoom and centre the capture to fill the box. */
  fit() {
    const box = this.box.getBoundingClientRect();
    const { width, height } = this.model.layer;
    if (!width || !box.width) return;
    this.scale = Math.min(box.width / width, box.height / height) * 0.96;
    this.x = (box.width - width * this.scale) / 2;
    this.y = (box.height - height * this.scale) / 2;
  }

  draw() {
    const box = this.box.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.stage.width = Math.round(box.width * dpr);
    this.stage.height = Math.round(box.height * dpr);
    const ctx = this.stage.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#0d1117';
    ctx.fillRect(0, 0, box.width, box.height);
    if (!this.image) return;
    ctx.save();
    ctx.translate(this.x, this.y);
    ctx.scale(this.scale, this.scale);
    ctx.imageSmoothingEnabled = this.scale < 1;
    ctx.drawImage(this.image, 0, 0);
    ctx.globalAlpha = this.model.opacity;
    ctx.drawImage(this.model.layer.overlay, 0, 0);
    ctx.globalAlpha = 1;
    this.drawRois(ctx);
    if (this.cursor) {
      const { radius, colour } = this.model.brush;
      ctx.beginPath();
      ctx.arc(this.cursor.x, this.cursor.y, radius, 0, Math.PI * 2);
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.5 / this.scale;
      ctx.stroke();
    }
    ctx.restore();
  }

  /** @param {CanvasRenderingContext2D} ctx in image pixels. */
  drawRois(ctx) {
    const { width, height } = this.model.layer;
    ctx.lineWidth = 2 / this.scale;
    ctx.setLineDash([6 / this.scale, 4 / this.scale]);
    ctx.strokeStyle = '#58a6ff';
    for (const roi of this.model.rois) {
      const r = roiRect(roi, width, height);
      ctx.strokeRect(r.x, r.y, r.w, r.h);
    }
    ctx.setLineDash([]);
  }

  /** @param {PointerEvent|WheelEvent} e @returns {{x: number, y: number}} the point in image pixels. */
  toImage(e) {
    const box = this.stage.getBoundingClientRect();
    return { x: (e.clientX - box.left - this.x) / this.scale, y: (e.clientY - box.top - this.y) / this.scale };
  }

  listen() {
    const { stage } = this;
    stage.addEventListener('contextmenu', (e) => e.preventDefault());
    stage.addEventListener('pointerdown', (e) => this.press(e));
    stage.addEventListener('pointermove', (e) => this.move(e));
    const end = (e) => this.release(e);
    stage.addEventListener('pointerup', end);
    stage.addEventListener('pointercancel', end);
    stage.addEventListener('pointerleave', () => { this.cursor = null; this.draw(); });
    stage.addEventListener('wheel', (e) => this.zoom(e), { passive: false });
  }

  /** @param {PointerEvent} e */
  press(e) {
    if (!this.image) return;
    this.stage.setPointerCapture(e.pointerId);
    const pan = this.panKey || e.button === 1 || e.button === 2;
    this.drag = { mode: pan ? 'pan' : 'paint', last: this.toImage(e), client: { x: e.clientX, y: e.clientY } };
    if (!pan) {
      this.model.strokeStart(this.drag.last);
      this.draw();
    }
  }

  /** @param {PointerEvent} e */
  move(e) {
    this.cursor = this.toImage(e);
    const { drag } = this;
    if (drag && drag.mode === 'pan') {
      this.x += e.clientX - drag.client.x;
      this.y += e.clientY - drag.client.y;
      drag.client = { x: e.clientX, y: e.clientY };
    } else if (drag) {
      this.model.strokeTo(drag.last, this.cursor);
      drag.last = this.cursor;
    }
    this.draw();
  }

  /** @param {PointerEvent} e */
  release(e) {
    if (this.stage.hasPointerCapture(e.pointerId)) this.stage.releasePointerCapture(e.pointerId);
    const painted = this.drag && this.drag.mode === 'paint';
    this.drag = null;
    if (painted) this.model.strokeEnd();
  }

  /** @param {WheelEvent} e zooms about the pointer. */
  zoom(e) {
    e.preventDefault();
    const next = Math.min(Math.max(this.scale * wheelFactor(e), 0.05), 40);
    const box = this.stage.getBoundingClientRect();
    this.x = anchoredOffset(e.clientX - box.left, this.x, this.scale, next);
    this.y = anchoredOffset(e.clientY - box.top, this.y, this.scale, next);
    this.scale = next;
    this.draw();
  }
}
