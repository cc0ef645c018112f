/**
 * Masks as the station stores them: a PNG in the pixel-class colours on opaque black.
 * @module components/paint-mask-io
 */

/** @param {string} hex `#rrggbb` @returns {number[]} `[r, g, b]` */
export function hexRgb(hex) {
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
export function decodeMask(painted, width, height, colours) {
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
export function encodeMask(mask, width, height, colours) {
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
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('The mask could not be encoded as PNG.'))), 'image/png'));
}
