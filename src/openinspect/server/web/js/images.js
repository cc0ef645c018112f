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
 * Draw a rectangle of an image into a square canvas, letterboxed.
 * @param {HTMLCanvasElement} canvas
 * @param {HTMLImageElement} image
 * @param {{x: number, y: number, w: number, h: number}} rect in image pixels.
 * @param {number} [size] the canvas side in pixels.
 */
export function drawCrop(canvas, image, rect, size = 200) {
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#0d1117';
  ctx.fillRect(0, 0, size, size);
  const scale = Math.min(size / rect.w, size / rect.h);
  const w = rect.w * scale;
  const hgt = rect.h * scale;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(image, rect.x, rect.y, rect.w, rect.h, (size - w) / 2, (size - hgt) / 2, w, hgt);
}
