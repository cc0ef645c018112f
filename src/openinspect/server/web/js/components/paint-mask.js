/**
 * The mask being painted: a class index per pixel (0: background) and its coloured overlay, kept in step.
 * @module components/paint-mask
 */

export class MaskLayer {
  /** @param {number[][]} colours `[r, g, b]` per pixel class; class index `i` paints `colours[i - 1]`. */
  constructor(colours) {
    this.colours = colours;
    this.width = 0;
    this.height = 0;
    this.mask = new Uint8Array(0);
    /** The mask in its colours, transparent where nothing is painted; drawn over the capture. */
    this.overlay = document.createElement('canvas');
    /** @type {ImageData|null} */
    this.pixels = null;
  }

  /**
   * Start on a capture.
   * @param {number} width @param {number} height the capture's size.
   * @param {Uint8Array} [mask] its stored mask, else nothing painted.
   */
  reset(width, height, mask) {
    this.width = width;
    this.height = height;
    this.overlay.width = width;
    this.overlay.height = height;
    this.pixels = this.overlay.getContext('2d').createImageData(width, height);
    this.replace(mask || new Uint8Array(width * height));
  }

  /** @param {Uint8Array} mask a whole new mask (undo, redo, "mark as good"). */
  replace(mask) {
    this.mask = mask;
    this.refresh(0, 0, this.width, this.height);
  }

  /** @returns {number} how many pixels carry a pixel class. */
  painted() {
    let count = 0;
    for (let i = 0; i < this.mask.length; i++) if (this.mask[i]) count++;
    return count;
  }

  /**
   * Paint a disc at an image point.
   * @param {{x: number, y: number}} p in image pixels. @param {number} size the disc's diameter.
   * @param {number} value the class index (0 erases).
   */
  stamp(p, size, value) {
    const r = size / 2;
    const x0 = Math.max(0, Math.floor(p.x - r));
    const y0 = Math.max(0, Math.floor(p.y - r));
    const x1 = Math.min(this.width, Math.ceil(p.x + r));
    const y1 = Math.min(this.height, Math.ceil(p.y + r));
    if (x0 >= x1 || y0 >= y1) return;
    const r2 = r * r;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const dx = x + 0.5 - p.x;
        const dy = y + 0.5 - p.y;
        if (dx * dx + dy * dy <= r2) this.mask[y * this.width + x] = value;
      }
    }
    this.refresh(x0, y0, x1, y1);
  }

  /**
   * Paint discs along a line, close enough to leave no gaps.
   * @param {{x: number, y: number}} from @param {{x: number, y: number}} to in image pixels.
   * @param {number} size @param {number} value as for `stamp`.
   */
  line(from, to, size, value) {
    const steps = Math.max(1, Math.ceil(Math.hypot(to.x - from.x, to.y - from.y) / Math.max(1, size / 4)));
    for (let i = 1; i <= steps; i++) {
      this.stamp({ x: from.x + ((to.x - from.x) * i) / steps, y: from.y + ((to.y - from.y) * i) / steps }, size, value);
    }
  }

  /** Update the overlay's pixels in a rectangle from the mask. */
  refresh(x0, y0, x1, y1) {
    const data = this.pixels.data;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * this.width + x;
        const v = this.mask[i];
        const o = i * 4;
        if (v) {
          const [r, g, b] = this.colours[v - 1];
          data[o] = r; data[o + 1] = g; data[o + 2] = b; data[o + 3] = 255;
        } else {
          data[o + 3] = 0;
        }
      }
    }
    this.overlay.getContext('2d').putImageData(this.pixels, 0, 0, x0, y0, x1 - x0, y1 - y0);
  }
}
