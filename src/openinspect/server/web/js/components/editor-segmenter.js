/**
 * A segmenter type's body in the recipe editor: pixel classes with colours, rules on their measurements, the
 * smallest blob that counts and tiling.
 * @module components/editor-segmenter
 */

import { freeName, PALETTE } from '../recipes-data.js';
import { field, h, render, toast } from '../ui.js';

const MEASURES = ['area', 'count', 'max_blob_area', 'max_length'];
const OPS = ['<', '<=', '>', '>=', '==', '!='];

/**
 * @param {any} type a segmenter type, changed in place.
 * @param {() => void} changed call after every edit.
 * @returns {HTMLElement}
 */
export function segmenterBody(type, changed) {
  type.rules = type.rules || [];
  const classes = h('div.class-rows');
  const region = regionFields(type, () => type.pixel_classes.map((c) => c.name),
    'No rules: any blob of any pixel class fails the ROI.', changed);
  const paint = () => {
    render(classes, type.pixel_classes.map((c, i) => pixelClassRow(type, c, i, paint, changed)));
    region.paint();
  };
  paint();
  return h('div.stack', null,
    h('span.small.muted', null, 'Pixel classes (background is implicit):'), classes,
    h('button.small', { type: 'button', onclick: () => {
      const used = new Set(type.pixel_classes.map((c) => c.color.toLowerCase()));
      type.pixel_classes.push({ name: freeName(type.pixel_classes.map((c) => c.name), 'defect'),
        color: PALETTE.find((c) => !used.has(c)) || '#00ffff' });
      paint(); changed();
    } }, '+ Pixel class'),
    ...region.elements);
}

/**
 * What segmenter and anomaly types share: rules on a region's measurements, the smallest blob that counts, tiling.
 * @param {any} type a segmenter or anomaly type, changed in place (`rules`, `min_blob_px`, `tiling`).
 * @param {() => string[]} classNames the pixel classes a rule may name.
 * @param {string} noRules what having no rules means.
 * @param {() => void} changed call after every edit.
 * @returns {{elements: HTMLElement[], paint: () => void}} the fields, and a repaint of the rules.
 */
export function regionFields(type, classNames, noRules, changed) {
  type.rules = type.rules || [];
  const rules = h('div.class-rows');
  const paint = () => render(rules, type.rules.length
    ? type.rules.map((rule, i) => ruleRow(type, classNames(), rule, i, paint, changed))
    : h('p.small.muted', null, noRules));
  paint();
  const minBlob = h('input', { type: 'number', min: 1, value: type.min_blob_px ?? 20, style: 'width: 90px',
    onchange: (e) => { type.min_blob_px = Math.max(1, parseInt(e.target.value, 10) || 1); changed(); } });
  const tiling = h('input', { type: 'checkbox', checked: Boolean(type.tiling), onchange: (e) => { type.tiling = e.target.checked; changed(); } });
  return { paint, elements: [
    h('span.small.muted', null, 'Rules (all must hold for the ROI to pass):'), rules,
    h('button.small', { type: 'button', onclick: () => {
      type.rules.push({ class: classNames()[0], measure: 'area', op: '<', value: 100 }); paint(); changed();
    } }, '+ Rule'),
    field('Ignore blobs smaller than (px)', minBlob),
    h('label.row.small', null, tiling, 'Tile large ROIs at full resolution instead of downscaling')] };
}

/**
 * A pixel class: name (its rules follow a rename), colour, delete.
 * @param {any} type @param {any} c the pixel class @param {number} i its index
 * @param {() => void} paint repaints the type's body @param {() => void} changed
 */
function pixelClassRow(type, c, i, paint, changed) {
  return h('div.class-row', null,
    h('input', { type: 'text', value: c.name, 'aria-label': 'Pixel class name', onchange: (e) => {
      const next = e.target.value.trim();
      for (const rule of type.rules) if (rule.class === c.name) rule.class = next;
      c.name = next; changed(); paint();
    } }),
    h('input', { type: 'color', value: c.color, 'aria-label': `Colour of ${c.name}`, onchange: (e) => { c.color = e.target.value; changed(); } }),
    h('span'),
    h('button.ghost.small', { type: 'button', 'aria-label': `Delete pixel class ${c.name}`, onclick: () => {
      if (type.pixel_classes.length <= 1) return toast('A segmenter needs at least one pixel class.', 'error');
      type.pixel_classes.splice(i, 1); type.rules = type.rules.filter((r) => r.class !== c.name); paint(); return changed();
    } }, '✕'));
}

/**
 * A rule: pixel class, measure, operator, value, delete.
 * @param {any} type @param {string[]} classNames the pixel classes it may name @param {any} rule @param {number} i its index
 * @param {() => void} paint repaints the type's body @param {() => void} changed
 */
function ruleRow(type, classNames, rule, i, paint, changed) {
  return h('div.row', null,
    h('select', { 'aria-label': 'Rule pixel class', onchange: (e) => { rule.class = e.target.value; changed(); } },
      classNames.map((name) => h('option', { value: name, selected: name === rule.class }, name))),
    h('select', { 'aria-label': 'Measure', onchange: (e) => { rule.measure = e.target.value; changed(); } },
      MEASURES.map((m) => h('option', { value: m, selected: m === rule.measure }, m))),
    h('select', { 'aria-label': 'Operator', onchange: (e) => { rule.op = e.target.value; changed(); } },
      OPS.map((o) => h('option', { value: o, selected: o === rule.op }, o))),
    h('input', { type: 'number', value: rule.value, style: 'width: 80px', 'aria-label': 'Value',
      onchange: (e) => { rule.value = parseFloat(e.target.value) || 0; changed(); } }),
    h('button.ghost.small', { type: 'button', 'aria-label': 'Delete rule', onclick: () => { type.rules.splice(i, 1); paint(); changed(); } }, '✕'));
}
