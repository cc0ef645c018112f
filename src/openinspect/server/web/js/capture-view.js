/**
 * Draw a capture with its ROI boxes: green for a passing ROI, red for a failing one, grey when not judged.
 * @module capture-view
 */

const PASS = '#2ea043';
const FAIL = '#f85149';
const NEUTRAL = '#8b949e';

/**
 * @typedef {{name: string, type: string, x?: number, y?: number, w?: number, h?: number}} Roi
 * @typedef {{roi: string, type: string, pass: boolean, class?: string, confidence?: number,
 *            blobs?: {class: string, bbox: number[]}[], failed_rules?: string[]}} RoiResult
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
