/**
 * Showing a capture: its ROI boxes (green for a passing ROI, red for a failing one, grey when not judged), anomaly
 * ROIs' heat maps with the anomalous region outlined, the zoom and pan every capture view shares ({@link ZoomView}), and the one meaning of pass and fail colours.
 * @module capture-view
 */

import { h } from './ui.js';

/**
 * A colour of the stylesheet's design tokens, so the canvas and the badges say pass and fail in the same colours.
 * @param {string} name a CSS custom property, `--pass-bright`.
 * @param {string} fallback when the stylesheet is not loaded.
 * @returns {string}
 */
function token(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

const PASS = token('--pass-bright', '#2ea043');
const FAIL = token('--fail-bright', '#f85149');
const NEUTRAL = '#8b949e';

/**
 * @typedef {{name: string, type: string, x?: number, y?: number, w?: number, h?: number}} Roi
 * @typedef {{roi: string, type: string, pass: boolean, class?: string, confidence?: number,
 *            blobs?: {class: string, bbox: number[]}[], failed_rules?: string[], score?: number, threshold?: number,
 *            heat?: Heat}} RoiResult
 * @typedef {{rect: number[], size: number[], levels: string}} Heat an anomaly ROI's heat map, shrunk: `levels` is
 *   base64 of rows * columns bytes, 128 * the cell's hottest score / threshold (128 or more: anomalous), capped at 255.
 */

/**
 * Paint a capture and its ROIs into a canvas sized to the capture.
 * @param {HTMLCanvasElement} canvas
 * @param {HTMLImageElement|null} image the capture; null paints a dark placeholder of `size`.
 * @param {{rois: Roi[], types?: any[]}} recipe the recipe document (ROIs and types).
 * @param {RoiResult[]} results per-ROI results (may be empty).
 * @param {{width: number, height: number}} [size] the placeholder's size when there is no image.
 * @param {{found: boolean, dx: number, dy: number, angle: number}} [pose] where alignment found the part:
 *   ROIs move and turn with it about the template's centre.
 */
export function drawCapture(canvas, image, recipe, results, size, pose) {
  const width = image ? image.naturalWidth : size?.width ?? 800;
  const height = image ? image.naturalHeight : size?.height ?? 450;
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#161b22';
  ctx.fillRect(0, 0, width, height);
  if (image) ctx.drawImage(image, 0, 0);
  const scale = Math.max(1, Math.max(width, height) / 900);
  const byName = new Map(results.map((r) => [r.roi, r]));
  const colours = pixelColours(recipe);
  const move = mover(recipe, pose);
  for (const roi of recipe.rois) {
    const rect = roiRect(roi, width, height);
    const result = byName.get(roi.name);
    const colour = result ? (result.pass ? PASS : FAIL) : NEUTRAL;
    if (result?.heat) paintHeat(ctx, result.heat, scale);
    for (const blob of result?.blobs ?? []) {
      ctx.strokeStyle = colours.get(blob.class) || FAIL;
      ctx.lineWidth = 2 * scale;
      ctx.strokeRect(blob.bbox[0], blob.bbox[1], blob.bbox[2], blob.bbox[3]);
    }
    ctx.strokeStyle = colour;
    ctx.lineWidth = 3 * scale;
    const inset = roi.x == null ? ctx.lineWidth / 2 : 0;
    const corners = [[rect.x + inset, rect.y + inset], [rect.x + rect.w - inset, rect.y + inset],
      [rect.x + rect.w - inset, rect.y + rect.h - inset], [rect.x + inset, rect.y + rect.h - inset]]
      .map(([x, y]) => (roi.x == null ? [x, y] : move(x, y)));
    ctx.beginPath();
    corners.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    ctx.stroke();
    const [tx, ty] = corners[0];
    tag(ctx, { x: tx, y: ty }, roiText(roi, result), colour, scale);
  }
}

/** A heat map level at the threshold: cells at or above it are the anomalous region. */
const AT_THRESHOLD = 128;

/**
 * Paint an anomaly ROI's heat map over its rectangle (blue cool, red hot, clear where cold) and outline the
 * cells at or above the threshold in white.
 * @param {CanvasRenderingContext2D} ctx
 * @param {Heat} heat
 * @param {number} scale line width per screen pixel.
 */
function paintHeat(ctx, heat, scale) {
  const [rows, cols] = heat.size;
  const [x, y, w, hgt] = heat.rect;
  const raw = atob(heat.levels);
  const level = (r, c) => (r < 0 || c < 0 || r >= rows || c >= cols ? 0 : raw.charCodeAt(r * cols + c));
  const cells = new ImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const t = raw.charCodeAt(i) / 255;
    const band = (centre) => Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - centre))));
    // cold (under 0.4 x threshold) stays clear so the part shows; at the threshold and above, 60 % cover
    cells.data.set([band(3), band(2), band(1), Math.round(153 * Math.min(1, Math.max(0, (t - 0.2) / 0.3)))], i * 4);
  }
  const small = document.createElement('canvas');
  small.width = cols;
  small.height = rows;
  small.getContext('2d').putImageData(cells, 0, 0);
  ctx.save();
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, x, y, w, hgt);
  ctx.strokeStyle = '#ffffff';
  ctx.lineWidth = 2 * scale;
  ctx.beginPath();
  const cw = w / cols;
  const ch = hgt / rows;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (level(r, c) < AT_THRESHOLD) continue;
      const [left, top] = [x + c * cw, y + r * ch];
      if (level(r - 1, c) < AT_THRESHOLD) { ctx.moveTo(left, top); ctx.lineTo(left + cw, top); }
      if (level(r + 1, c) < AT_THRESHOLD) { ctx.moveTo(left, top + ch); ctx.lineTo(left + cw, top + ch); }
      if (level(r, c - 1) < AT_THRESHOLD) { ctx.moveTo(left, top); ctx.lineTo(left, top + ch); }
      if (level(r, c + 1) < AT_THRESHOLD) { ctx.moveTo(left + cw, top); ctx.lineTo(left + cw, top + ch); }
    }
  }
  ctx.stroke();
  ctx.restore();
}

/**
 * An anomaly ROI's score against its threshold, as the ROI lists of Live and History show it.
 * @param {RoiResult} result
 * @returns {HTMLElement}
 */
export function scoreText(result) {
  const over = (result.score ?? 0) >= (result.threshold ?? 0);
  return h(`span.mono.${over ? 'fail-text' : 'pass-text'}`, { 'data-testid': 'anomaly-score' },
    `score ${result.score?.toFixed(3)} ${over ? '≥' : '<'} threshold ${result.threshold?.toFixed(3)}`);
}

/**
 * Reference-to-capture coordinates for a recipe with alignment: turn by the pose's angle (counter-clockwise as
 * displayed) about the template's centre, then shift by (dx, dy); the identity without a pose.
 * @param {any} recipe
 * @param {{found: boolean, dx: number, dy: number, angle: number}|undefined} pose
 * @returns {(x: number, y: number) => number[]}
 */
function mover(recipe, pose) {
  const template = recipe.alignment?.template;
  if (!pose || !pose.found || !template) return (x, y) => [x, y];
  const cx = template.x + template.w / 2;
  const cy = template.y + template.h / 2;
  const a = (pose.angle * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  return (x, y) => [cx + cos * (x - cx) + sin * (y - cy) + pose.dx, cy - sin * (x - cx) + cos * (y - cy) + pose.dy];
}

/**
 * A ROI's rectangle on a capture of the given size (no rectangle: the whole capture).
 * @param {Roi} roi
 * @param {number} width
 * @param {number} height
 * @returns {{x: number, y: number, w: number, h: number}}
 */
export function roiRect(roi, width, height) {
  if (roi.x === undefined || roi.x === null) return { x: 0, y: 0, w: width, h: height };
  return { x: roi.x, y: roi.y, w: roi.w, h: roi.h };
}

/** @param {Roi} roi @param {RoiResult|undefined} result @returns {string} */
function roiText(roi, result) {
  if (!result) return roi.name;
  if (result.class !== undefined && result.class !== null) {
    return `${roi.name}: ${result.class} ${Math.round((result.confidence ?? 0) * 100)}%`;
  }
  if (result.score !== undefined && result.score !== null) {
    return `${roi.name}: ${result.score.toFixed(3)} ${result.score >= (result.threshold ?? 0) ? '≥' : '<'} ${result.threshold?.toFixed(3)}`;
  }
  return `${roi.name}: ${result.pass ? 'OK' : (result.failed_rules || []).join(', ') || 'defect'}`;
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {{x: number, y: number}} rect where the tag's box starts (above it when there is room).
 * @param {string} text
 * @param {string} colour
 * @param {number} scale
 */
function tag(ctx, rect, text, colour, scale) {
  const size = Math.round(15 * scale);
  ctx.font = `600 ${size}px system-ui, sans-serif`;
  const pad = 5 * scale;
  const width = ctx.measureText(text).width + pad * 2;
  const height = size + pad * 2;
  const y = rect.y >= height ? rect.y - height : rect.y;
  ctx.fillStyle = colour;
  ctx.fillRect(rect.x, y, width, height);
  ctx.fillStyle = '#fff';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, rect.x + pad, y + height / 2);
}

/** @param {{types?: any[]}} recipe @returns {Map<string, string>} pixel-class colours by name. */
function pixelColours(recipe) {
  const colours = new Map();
  for (const type of recipe.types || []) {
    for (const pc of type.pixel_classes || []) colours.set(pc.name, pc.color);
  }
  return colours;
}

/** Zoom steps of the wheel and the buttons, and the most a view zooms in. */
const WHEEL_RATE = 0.0015;
const BUTTON_STEP = 1.5;
const MAX_ZOOM = 24;

/**
 * The zoom factor a wheel turn asks for (trackpad pinches arrive as wheel events with `ctrlKey`).
 * @param {WheelEvent} e
 * @returns {number} above 1 zooms in.
 */
export function wheelFactor(e) {
  return Math.exp(-e.deltaY * (e.deltaMode === 1 ? 40 : 1) * WHEEL_RATE);
}

/**
 * The offset that keeps the content point under `at` in place when the scale changes.
 * @param {number} at the pointer, in the frame the offset is in.
 * @param {number} offset the content's offset now.
 * @param {number} scale the scale now.
 * @param {number} next the new scale.
 * @returns {number} the new offset.
 */
export function anchoredOffset(at, offset, scale, next) {
  return at - ((at - offset) / scale) * next;
}

/**
 * Zoom and pan over one element (a capture's canvas), the same on every page: the wheel or a pinch zooms about the
 * pointer, a drag pans, a double-click or "Fit" shows it whole again. The element keeps its place in the layout
 * and is scaled by a CSS transform, so code that maps pointer positions through `getBoundingClientRect()`
 * (drawing ROIs) keeps working at every zoom.
 *
 * In an `editable` view a plain drag belongs to the page (drawing): panning is a middle-button drag, a drag with
 * Space held, or two fingers.
 */
export class ZoomView {
  /**
   * @param {HTMLElement} content the element shown (a canvas); it is moved into this view's box.
   * @param {{editable?: boolean, label?: string}} [options] `label`: what the view shows, for its buttons' names.
   */
  constructor(content, options = {}) {
    this.content = content;
    this.editable = Boolean(options.editable);
    this.scale = 1;
    this.x = 0;
    this.y = 0;
    /** @type {Map<number, {x: number, y: number}>} pointers down on the view, by id. */
    this.pointers = new Map();
    /** @type {null|{x: number, y: number, distance?: number}} the pan or pinch in progress. */
    this.gesture = null;
    this.spaceHeld = false;
    this.hovered = false;
    const what = options.label || 'the capture';
    const button = (text, name, testid, onclick) => h('button.ghost.small', {
      type: 'button', 'aria-label': name, title: name, 'data-testid': testid, onclick,
    }, text);
    this.level = h('span.zoom-level', { 'data-testid': 'zoom-level' }, '100 %');
    this.element = h(`div.zoom-view${this.editable ? '.editable' : ''}`, { 'data-zoom': '1' },
      content,
      h('div.zoom-tools', { role: 'group', 'aria-label': `Zoom ${what}` },
        button('−', `Zoom out of ${what}`, 'zoom-out', () => this.step(1 / BUTTON_STEP)),
        this.level,
        button('+', `Zoom into ${what}`, 'zoom-in', () => this.step(BUTTON_STEP)),
        button('Fit', `Fit ${what} in view (or double-click)`, 'zoom-reset', () => this.reset())));
    content.style.transformOrigin = '0 0';
    this.listen();
  }

  listen() {
    const { element } = this;
    element.addEventListener('wheel', (e) => {
      e.preventDefault();
      this.zoomAt(this.scale * wheelFactor(e), e.clientX, e.clientY);
    }, { passive: false });
    element.addEventListener('dblclick', (e) => {
      if (!(e.target instanceof HTMLButtonElement)) this.reset();
    });
    // capture phase: a pan is taken before the content (the ROI editor) sees the press
    element.addEventListener('pointerdown', (e) => this.press(e), { capture: true });
    element.addEventListener('pointermove', (e) => this.move(e), { capture: true });
    const end = (e) => this.release(e);
    element.addEventListener('pointerup', end, { capture: true });
    element.addEventListener('pointercancel', end, { capture: true });
    element.addEventListener('pointerenter', () => { this.hovered = true; });
    element.addEventListener('pointerleave', () => { this.hovered = false; });
    element.addEventListener('contextmenu', (e) => { if (this.editable) e.preventDefault(); });
    if (this.editable) {
      // Space-drag pans where a plain drag draws; Space is then no page scroll
      this.onKey = (e) => {
        if (e.key !== ' ' || !this.hovered || isTyping(e.target)) return;
        e.preventDefault();
        this.spaceHeld = e.type === 'keydown';
        element.classList.toggle('panning', this.spaceHeld);
      };
      document.addEventListener('keydown', this.onKey);
      document.addEventListener('keyup', this.onKey);
    }
  }

  /** Stop listening to the document (the page is left). */
  destroy() {
    if (!this.onKey) return;
    document.removeEventListener('keydown', this.onKey);
    document.removeEventListener('keyup', this.onKey);
  }

  /** @param {PointerEvent} e */
  press(e) {
    if (e.target instanceof HTMLButtonElement) return;
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const touches = this.pointers.size;
    const pan = !this.editable ? e.button === 0 : e.button === 1 || this.spaceHeld || touches >= 2;
    if (!pan && touches < 2) return;
    e.preventDefault();
    e.stopPropagation();
    this.element.setPointerCapture(e.pointerId);
    this.gesture = this.centre();
    this.element.classList.add('panning');
  }

  /** @returns {{x: number, y: number, distance: number}} the pointers' centre and spread (0 for one pointer). */
  centre() {
    const points = [...this.pointers.values()];
    const x = points.reduce((sum, p) => sum + p.x, 0) / points.length;
    const y = points.reduce((sum, p) => sum + p.y, 0) / points.length;
    const distance = points.length < 2 ? 0 : Math.hypot(points[0].x - points[1].x, points[0].y - points[1].y);
    return { x, y, distance };
  }

  /** @param {PointerEvent} e */
  move(e) {
    if (!this.pointers.has(e.pointerId)) return;
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (!this.gesture) return;
    e.stopPropagation();
    const now = this.centre();
    this.x += now.x - this.gesture.x;
    this.y += now.y - this.gesture.y;
    if (now.distance && this.gesture.distance) {
      this.zoomAt(this.scale * (now.distance / this.gesture.distance), now.x, now.y);
    } else {
      this.apply();
    }
    this.gesture = now;
  }

  /** @param {PointerEvent} e */
  release(e) {
    this.pointers.delete(e.pointerId);
    if (this.element.hasPointerCapture(e.pointerId)) this.element.releasePointerCapture(e.pointerId);
    if (!this.gesture) return;
    // the release still reaches the content: a drag it began before a second finger made it a pinch ends there
    this.gesture = this.pointers.size ? this.centre() : null;
    if (!this.gesture) this.element.classList.remove('panning');
  }

  /** @param {number} factor zoom by this much about the view's centre. */
  step(factor) {
    const box = this.element.getBoundingClientRect();
    this.zoomAt(this.scale * factor, box.left + box.width / 2, box.top + box.height / 2);
  }

  /**
   * Zoom to `scale`, keeping the content point under the client position where it is.
   * @param {number} scale 1: the whole content fits; up to 24.
   * @param {number} clientX @param {number} clientY
   */
  zoomAt(scale, clientX, clientY) {
    const next = Math.min(Math.max(scale, 1), MAX_ZOOM);
    const box = this.content.getBoundingClientRect();
    const left = box.left - this.x;  // where the content sits untransformed
    const top = box.top - this.y;
    this.x = anchoredOffset(clientX - left, this.x, this.scale, next);
    this.y = anchoredOffset(clientY - top, this.y, this.scale, next);
    this.scale = next;
    this.apply();
  }

  /** Show the whole content again. */
  reset() {
    this.scale = 1;
    this.x = 0;
    this.y = 0;
    this.apply();
  }

  /** Keep the zoomed content over its own box (no empty margin), then move it there. */
  apply() {
    const width = this.content.offsetWidth;
    const height = this.content.offsetHeight;
    this.x = Math.min(0, Math.max(this.x, width * (1 - this.scale)));
    this.y = Math.min(0, Math.max(this.y, height * (1 - this.scale)));
    this.content.style.transform = this.scale === 1 ? '' : `translate(${this.x}px, ${this.y}px) scale(${this.scale})`;
    this.content.classList.toggle('zoomed-in', this.scale >= 3);
    this.element.dataset.zoom = String(Math.round(this.scale * 100) / 100);
    this.level.textContent = `${Math.round(this.scale * 100)} %`;
  }
}

/** @param {EventTarget|null} target @returns {boolean} the key goes to a text field. */
function isTyping(target) {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

/** An anomaly type's implicit classes: good (pass; all its model learns) and anomalous (fail; they only validate). */
const ANOMALY_CLASSES = [{ name: 'good', pass: true }, { name: 'anomalous', pass: false }];

/**
 * The one pixel class of an anomaly type's painted region (the server's recipe `ANOMALOUS_COLOR` is the same colour:
 * a painted mask travels as these colours on black).
 */
export const ANOMALY_PAINT = [{ name: 'anomalous', color: '#ff3b30' }];

/**
 * @param {any} spec an inspection type: a classifier, or an anomaly type.
 * @returns {{name: string, pass: boolean}[]} its classes (an anomaly type's are implicit); none for a segmenter.
 */
export function typeClasses(spec) {
  return spec?.kind === 'anomaly' ? ANOMALY_CLASSES : spec?.classes || [];
}

/**
 * What a class means for the part, as its inspection type says: the one rule behind every class colour.
 * @param {{kind?: string, classes?: {name: string, pass: boolean}[]}|null|undefined} spec the inspection type
 *   (classifier, or anomaly with its implicit classes).
 * @param {string} name a class name.
 * @returns {'pass'|'fail'|'unknown'} `unknown`: the type does not list the class.
 */
export function classMeaning(spec, name) {
  const cls = typeClasses(spec).find((c) => c.name === name);
  if (!cls) return 'unknown';
  return cls.pass ? 'pass' : 'fail';
}

/**
 * A class name as a badge in its meaning's colour, the same on every page: green for a pass class, red for a
 * fail class (whatever the verdict of the ROI it was found on), grey for a class the type does not list.
 * @param {any} spec the inspection type.
 * @param {string} name the class.
 * @param {string} [text] what the badge says (default: the class name).
 * @returns {HTMLElement}
 */
export function classBadge(spec, name, text) {
  const meaning = classMeaning(spec, name);
  return h(`span.badge.cls.${meaning}`, { 'data-class': name, 'data-meaning': meaning }, text ?? name);
}
