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
 */
export function drawCapture(canvas, image, recipe, results, size) {
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
    ctx.strokeRect(rect.x + ctx.lineWidth / 2, rect.y + ctx.lineWidth / 2, rect.w - ctx.lineWidth, rect.h - ctx.lineWidth);
    tag(ctx, rect, roiText(roi, result), colour, scale);
  }
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
 * @param {{x: number, y: number, w: number, h: number}} rect
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
