/**
 * The painting tools: pixel class chips (1-9), brush and eraser (B/E), brush size (slider, `[` `]`) and overlay
 * opacity.
 * @module components/paint-tools
 */

import { h } from '../ui.js';

const MAX_SIZE = 120;

/**
 * @param {any[]} pixelClasses the segmenter type's pixel classes.
 * @param {() => void} redraw called when what the canvas shows changes (opacity, brush size).
 * @returns {{elements: HTMLElement[], onKey: (e: KeyboardEvent) => void, brush: () => {radius: number, colour: string},
 *   size: () => number, value: () => number, opacity: () => number}} the toolbar's controls, their keys, and what they
 *   choose: the brush outline, its size, the class index it paints (0: eraser) and the overlay's opacity.
 */
export function paintTools(pixelClasses, redraw) {
  let classIndex = 1;
  let tool = 'brush';
  let size = 12;
  let opacity = 0.6;
  const chips = h('div.chips', null, pixelClasses.map((c, i) => h('button.chip', {
    type: 'button', 'data-class': c.name, 'aria-pressed': String(i === 0), style: `border-color: ${c.color}`,
    onclick: () => pickClass(i + 1) }, h('kbd', null, String(i + 1)), h('span', { style: `color: ${c.color}` }, '● '), c.name)));
  const brushButton = h('button', { type: 'button', 'aria-pressed': 'true', onclick: () => pickTool('brush') }, 'Brush (B)');
  const eraserButton = h('button', { type: 'button', 'aria-pressed': 'false', onclick: () => pickTool('eraser') }, 'Eraser (E)');
  const sizeText = h('span.small.mono', null, `${size} px`);
  const sizeInput = h('input', { type: 'range', min: 1, max: MAX_SIZE, value: size, 'aria-label': 'Brush size',
    oninput: (e) => setSize(Number(e.target.value)) });
  const opacityInput = h('input', { type: 'range', min: 0, max: 100, value: opacity * 100, 'aria-label': 'Overlay opacity',
    oninput: (e) => { opacity = Number(e.target.value) / 100; redraw(); } });

  /** @param {number} index a pixel class's index, from 1. */
  function pickClass(index) {
    classIndex = index;
    pickTool('brush');
    chips.querySelectorAll('.chip').forEach((c, i) => c.setAttribute('aria-pressed', String(i + 1 === index)));
  }

  /** @param {'brush'|'eraser'} next */
  function pickTool(next) {
    tool = next;
    brushButton.setAttribute('aria-pressed', String(next === 'brush'));
    eraserButton.setAttribute('aria-pressed', String(next === 'eraser'));
  }

  /** @param {number} next the brush's diameter in image pixels. */
  function setSize(next) {
    size = next;
    sizeInput.value = String(size);
    sizeText.textContent = `${size} px`;
    redraw();
  }

  /** A key without modifiers: `[` `]` size, B brush, E eraser, 1-9 pixel class. @param {KeyboardEvent} e */
  function onKey(e) {
    if (e.key === '[' || e.key === ']') {
      const grow = e.key === ']';
      setSize(Math.min(MAX_SIZE, Math.max(1, Math.round(size * (grow ? 1.25 : 0.8)) + (grow ? 1 : 0))));
    } else if (e.key === 'b') pickTool('brush');
    else if (e.key === 'e') pickTool('eraser');
    else {
      const n = Number.parseInt(e.key, 10);
      if (n >= 1 && n <= pixelClasses.length) pickClass(n);
    }
  }

  return {
    elements: [chips, brushButton, eraserButton,
      h('label.row.small', { style: 'align-items: center' }, 'Size', sizeInput, sizeText),
      h('label.row.small', { style: 'align-items: center' }, 'Overlay', opacityInput)],
    onKey,
    brush: () => ({ radius: size / 2, colour: tool === 'eraser' ? '#fff' : pixelClasses[classIndex - 1].color }),
    size: () => size,
    value: () => (tool === 'eraser' ? 0 : classIndex),
    opacity: () => opacity,
  };
}
