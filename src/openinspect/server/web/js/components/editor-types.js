/**
 * The recipe editor's inspection types: add and delete types, rename them (their ROIs follow), and each type's
 * body: a classifier's classes and training mode, a segmenter's pixel classes, rules and blob size, an anomaly type's
 * false reject rate, rules and blob size.
 * @module components/editor-types
 */

import { anomalyType, freeName, PALETTE } from '../recipes-data.js';
import { confirmDialog, field, formDialog, h, render, toast } from '../ui.js';
import { anomalyBody } from './editor-anomaly.js';
import { segmenterBody } from './editor-segmenter.js';

const TYPE_COLOURS = ['#1f6feb', '#bf3989', '#1a7f37', '#bc4c00', '#8250df', '#0a7c86'];

/**
 * @param {any} doc the recipe document.
 * @param {string} typeName
 * @returns {string} the colour of the type's ROIs and swatch: by the type's place in the recipe.
 */
export function typeColour(doc, typeName) {
  return TYPE_COLOURS[Math.max(0, doc.types.findIndex((t) => t.name === typeName)) % TYPE_COLOURS.length];
}

/**
 * @param {any} doc the recipe document, changed in place.
 * @param {() => void} changed call after every edit.
 * @returns {{element: HTMLElement, paint: () => void}} the "Inspection types" card and its repaint.
 */
export function typesPanel(doc, changed) {
  const list = h('div.stack', { 'data-testid': 'type-list' });
  const element = h('div.card.stack', null,
    h('div.page-head', null, h('h2', null, 'Inspection types'),
      h('div.actions', null,
        h('button.small', { type: 'button', onclick: () => addType('classifier') }, '+ Classifier'),
        h('button.small', { type: 'button', onclick: () => addType('segmenter') }, '+ Segmenter'),
        h('button.small', { type: 'button', onclick: () => addType('anomaly') }, '+ Anomaly'))),
    list);

  function paint() {
    render(list, doc.types.map((type) => typeCard(type)));
  }

  /** @param {any} type */
  function typeCard(type) {
    const remove = h('button.ghost.small', { type: 'button', 'aria-label': `Delete type ${type.name}`, onclick: () => removeType(type) }, '✕');
    const nameInput = h('input', { type: 'text', value: type.name, 'aria-label': 'Type name', onchange: (e) => {
      const next = e.target.value.trim();
      for (const roi of doc.rois) if (roi.type === type.name) roi.type = next;
      type.name = next;
      changed();
    } });
    const bodies = { classifier: classifierBody, segmenter: segmenterBody, anomaly: anomalyBody };
    const body = bodies[type.kind](type, changed);
    return h('div.type-item', { 'data-type': type.name },
      h('header', null, h('span.swatch', { style: `width:14px;height:14px;border-radius:4px;background:${typeColour(doc, type.name)}` }),
        nameInput, h('span.badge', null, type.kind), remove),
      body);
  }

  /** @param {any} type */
  async function removeType(type) {
    if (doc.types.length === 1) return toast('A recipe needs at least one inspection type.', 'error');
    if (!(await confirmDialog(`Delete type ${type.name}?`, 'ROIs of this type move to the first remaining type.', 'Delete type'))) return undefined;
    doc.types.splice(doc.types.indexOf(type), 1);
    for (const roi of doc.rois) if (roi.type === type.name) roi.type = doc.types[0].name;
    paint();
    return changed();
  }

  /** @param {'classifier'|'segmenter'|'anomaly'} kind */
  async function addType(kind) {
    if (doc.profile === 'single-model' && doc.types.length >= 1) {
      toast('This recipe is single-model: one inspection type. Change the profile to multi-model to add more.', 'error');
      return;
    }
    const input = h('input', { name: 'name', required: true, value: freeName(doc.types.map((t) => t.name), kind === 'classifier' ? 'part' : 'surface') });
    const values = await formDialog({ title: `New ${kind} type`, ok: 'Add', body: [field('Type name', input)] });
    if (!values) return;
    const typeName = String(values.name).trim();
    const fresh = {
      classifier: () => ({ name: typeName, kind, mode: 'accurate', classes: [{ name: 'good', pass: true }, { name: 'defect', pass: false }] }),
      segmenter: () => ({ name: typeName, kind, pixel_classes: [{ name: 'defect', color: PALETTE[0] }], min_blob_px: 20, rules: [] }),
      anomaly: () => anomalyType(typeName),
    };
    doc.types.push(fresh[kind]());
    paint();
    changed();
  }

  return { element, paint };
}

/**
 * A classifier type's training mode and classes, each with its pass/fail meaning and optional fail threshold.
 * @param {any} type a classifier type, changed in place.
 * @param {() => void} changed
 * @returns {HTMLElement}
 */
function classifierBody(type, changed) {
  const rows = h('div.class-rows');
  const paint = () => render(rows, type.classes.map((c, i) => h('div.class-row', null,
    h('input', { type: 'text', value: c.name, 'aria-label': 'Class name', onchange: (e) => { c.name = e.target.value.trim(); changed(); } }),
    h('button.small', { type: 'button', class: c.pass ? 'badge pass' : 'badge fail', 'aria-label': `${c.name} means ${c.pass ? 'pass' : 'fail'}`,
      title: 'Click to switch pass/fail', onclick: () => { c.pass = !c.pass; if (c.pass) delete c.threshold; paint(); changed(); } }, c.pass ? 'pass' : 'fail'),
    c.pass ? h('span') : h('label.threshold-field', { title: 'Optional: this fail class wins only at this confidence or more' },
      h('span', null, 'Threshold'),
      h('input', { type: 'number', min: 0.05, max: 1, step: 0.05, value: c.threshold ?? '', placeholder: 'off',
        'aria-label': `Fail threshold of ${c.name}`,
        onchange: (e) => { const v = parseFloat(e.target.value); if (Number.isNaN(v)) delete c.threshold; else c.threshold = v; changed(); } })),
    h('button.ghost.small', { type: 'button', 'aria-label': `Delete class ${c.name}`, onclick: () => {
      if (type.classes.length <= 2) return toast('A classifier needs at least two classes.', 'error');
      type.classes.splice(i, 1); paint(); return changed();
    } }, '✕'))));
  paint();
  const mode = h('select', { 'aria-label': 'Training mode', onchange: (e) => { type.mode = e.target.value; changed(); } },
    h('option', { value: 'accurate', selected: type.mode !== 'fast' }, 'Accurate (production, minutes)'),
    h('option', { value: 'fast', selected: type.mode === 'fast' }, 'Fast (trying a set-up, seconds)'));
  return h('div.stack', null, field('Training mode', mode),
    h('span.small.muted', null, 'Classes (pass = the part is good):'), rows,
    h('button.small', { type: 'button', onclick: () => {
      type.classes.push({ name: freeName(type.classes.map((c) => c.name), 'class'), pass: false }); paint(); changed();
    } }, '+ Class'));
}
