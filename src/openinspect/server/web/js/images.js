/**
 * Library images by content hash, fetched once with the token and kept decoded for the page's life.
 * @module images
 */

import { loadImage } from './api.js';

/** @type {Map<string, Promise<HTMLImageElement>>} */
const cache = new Map();

/**
 * A decoded library image.
 * @param {string} sha the image's content hash.
 * @returns {Promise<HTMLImageElement>}
 */
export function libraryImage(sha) {
  if (!cache.has(sha)) {
    const loading = loadImage(`/images/${sha}`);
    loading.catch(() => cache.delete(sha));
    cache.set(sha, loading);
  }
  return cache.get(sha);
}

/**
 * Draw a crop of an image into a square canvas, letterboxed, as the station cuts it: the rectangle turned by
 * `angle` degrees (counter-clockwise as displayed) about its centre, shown upright.
 * @param {HTMLCanvasElement} canvas
 * @param {HTMLImageElement} image
 * @param {{x: number, y: number, w: number, h: number, angle?: number}} rect in image pixels.
 * @param {number} [size] the canvas side in pixels.
 */
export function drawCrop(canvas, image, rect, size = 200) {
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#0d1117';
  ctx.fillRect(0, 0, size, size);
  const scale = Math.min(size / rect.w, size / rect.h);
  ctx.imageSmoothingQuality = 'high';
  ctx.translate(size / 2, size / 2);
  ctx.scale(scale, scale);
  ctx.beginPath();
  ctx.rect(-rect.w / 2, -rect.h / 2, rect.w, rect.h);
  ctx.clip();
  ctx.rotate(((rect.angle ?? 0) * Math.PI) / 180);  // turns the part back upright, as the station's crop shows it
  ctx.drawImage(image, -(rect.x + rect.w / 2), -(rect.y + rect.h / 2));
}
