/**
 * The recipe editor: template capture, ROIs and the alignment region drawn on it, inspection types (classifier
 * classes or segmenter pixel classes and rules). Changes are kept locally until Save, which replaces the stored
 * recipe; the station checks the alignment region then and the editor shows its message when it is refused.
 * @module pages/editor
 */

import * as api from '../api.js';
import { documentRevision, loadDocument, PALETTE, saveDocument } from '../recipes-data.js';
import { historyPanel } from '../recipe-history.js';
import { ALIGNMENT_COLOUR, downscaleWarning, RoiCanvas } from '../roi-canvas.js';
import { confirmDialog, field, formDialog, h, pickFiles, render, setLeaveGuard, showError, toast } from '../ui.js';

const TYPE_COLOURS = ['#1f6feb', '#bf3989', '#1a7f37', '#bc4c00', '#8250df', '#0a7c86'];
const MEASURES = ['area', 'count', 'max_blob_area', 'max_length'];
const OPS = ['<', '<=', '>', '>=', '==', '!='];
/** A new alignment's settings: the recipe schema's defaults. */
const ALIGNMENT_DEFAULTS = { min_score: 0.5, max_angle: 15 };
const ROI_HINT = 'Drag to draw · drag a box to move · handles resize · Delete removes · arrows nudge';
const ALIGN_HINT = 'Alignment region: drag to draw it · drag it to move · handles resize · Delete removes · Esc: back to ROIs';

/**
 * @param {HTMLElement} view
 * @param {string[]} params `[recipe name]`
 */
export async function mount(view, params) {
  const name = params[0];
  let doc;
  try {
    doc = await loadDocument(name);
  } catch (err) {
    showError(err);
    render(view, h('section.page', null, h('div.card.empty', null, h('strong', null, err.message),
      h('a.button', { href: '#/recipes' }, 'Back to recipes'))));
    return undefined;
  }
  let dirty = false;
  let revision = documentRevision(doc);
  const history = historyPanel(name, () => { dirty = false; window.location.reload(); });
  let selected = -1;
  /** The pointer draws the alignment region instead of ROIs. */
  let aligning = false;
  /** @type {string|null} the capture shown, as an alignment's `reference` names it: the template's file, or an image hash. */
  let shownReference = null;
  /** The template capture was replaced while the recipe aligns: its region now refers to the new image. */
  let templateReplaced = false;

  const saveButton = h('button.primary', { type: 'button', disabled: true, 'data-testid': 'save' }, 'Save');
  const status = h('span.muted.small', { 'aria-live': 'polite' });
  const problems = h('div.notice.error', { hidden: true, role: 'alert', 'data-testid': 'problems' });
  const canvas = /** @type {HTMLCanvasElement} */ (h('canvas', { 'aria-label': 'Template capture with ROIs; drag to draw a ROI', 'data-testid': 'roi-canvas' }));
  const placeholder = h('div.placeholder', null,
    h('strong', null, 'No template capture yet'),
    h('span', null, 'Upload a picture of a good part, then drag on it to draw the regions to inspect.'),
    h('button.primary', { type: 'button', onclick: () => uploadTemplate() }, 'Upload template image…'));
  const wrap = h('div.canvas-wrap', null, placeholder, canvas);
  const roiPanel = h('div.roi-rows', { 'data-testid': 'roi-list' });
  const typePanel = h('div.stack', { 'data-testid': 'type-list' });
  const warnings = h('div.stack');
  const hint = h('span.muted.small', null, ROI_HINT);
  const alignButton = h('button', { type: 'button', 'aria-pressed': 'false', onclick: () => setAligning(!aligning) },
    'Set alignment region');
  const removeAlignButton = h('button', { type: 'button', onclick: () => removeAlignment() }, 'Remove alignment');
  const alignNumber = (key, attrs) => h('input', { type: 'number', value: doc.alignment?.[key] ?? ALIGNMENT_DEFAULTS[key],
    ...attrs, onchange: (e) => {
      const value = parseFloat(e.target.value);
      if (doc.alignment && !Number.isNaN(value)) { doc.alignment[key] = value; changed(); }
    } });
  const maxAngle = alignNumber('max_angle', { min: 0, max: 180, step: 1 });
  const minScore = alignNumber('min_score', { min: 0.05, max: 1, step: 0.05 });
  const alignState = h('p.small', { 'data-testid': 'alignment-state' });
  const alignNotice = h('p.notice.small', { hidden: true, 'data-testid': 'alignment-notice' });

  const colourOf = (roi) => TYPE_COLOURS[Math.max(0, doc.types.findIndex((t) => t.name === roi.type)) % TYPE_COLOURS.length];
  const board = new RoiCanvas(canvas, {
    rois: doc.rois,
    get selected() { return selected; },
    get alignment() { return doc.alignment ? doc.alignment.template : null; },
    get aligning() { return aligning; },
    colourOf,
    onChange: () => {
      if (aligning) doc.alignment.reference = shownReference;  // moved on the capture shown: it is the reference now
      changed();
    },
    onSelect: (index) => { selected = index; paintRois(); },
    onCreate: (rect) => {
      const roi = { name: freeName(doc.rois.map((r) => r.name), 'roi'), type: doc.types[0].name, ...rect };
      doc.rois.push(roi);
      selected = doc.rois.length - 1;
      changed();
    },
    onAlign: (rect) => {
      if (!rect) return removeAlignment();
      doc.alignment = { ...(doc.alignment || settingsOf()), template: rect, reference: shownReference };
      return changed();
    },
  });

  render(view, h('section.page', null,
    h('div.page-head', null,
      h('div', null, h('h1', null, doc.name), h('p.sub', null, `${doc.profile} · draw ROIs on the template, give each an inspection type`)),
      h('div.actions', null, status,
        h('a.button', { href: '#/recipes' }, 'Back'),
        h('a.button', { href: `#/label/${encodeURIComponent(doc.name)}` }, 'Label'),
        saveButton)),
    problems,
    h('div.editor', null,
      h('div.stack', null,
        h('div.actions', null,
          h('button', { type: 'button', onclick: () => uploadTemplate() }, 'Upload template image…'),
          h('button', { type: 'button', onclick: () => latestCapture(), title: 'The newest capture the station kept' },
            'Use the latest station capture'),
          hint),
        wrap, warnings),
      h('aside.stack', null,
        h('div.card.stack', null, h('h2', null, 'ROIs'), roiPanel),
        h('div.card.stack', { 'data-testid': 'alignment' },
          h('h2', null, h('span.align-swatch', { style: `background: ${ALIGNMENT_COLOUR}` }), 'Alignment'),
          h('p.small.muted', null, 'The station finds this region in every capture first; ROIs move and turn with the '
            + 'part. Choose a distinctive, rigid feature.'),
          alignState, alignNotice,
          h('div.actions', null, alignButton, removeAlignButton),
          h('div.align-settings', null,
            field('Max angle (°)', maxAngle, 'either way; 0: shift only'),
            field('Min score', minScore, 'below it: part not found'))),
        h('div.card.stack', null,
          h('div.page-head', null, h('h2', null, 'Inspection types'),
            h('div.actions', null,
              h('button.small', { type: 'button', onclick: () => addType('classifier') }, '+ Classifier'),
              h('button.small', { type: 'button', onclick: () => addType('segmenter') }, '+ Segmenter'))),
          typePanel),
        history.element))));

  function changed() {
    dirty = true;
    saveButton.disabled = false;
    status.textContent = 'Unsaved changes';
    board.paint();
    paintRois();
    paintAlignment();
  }

  /** @returns {{min_score: number, max_angle: number}} the alignment settings as the inputs show them. */
  function settingsOf() {
    const value = (input, key) => (Number.isNaN(parseFloat(input.value)) ? ALIGNMENT_DEFAULTS[key] : parseFloat(input.value));
    return { min_score: value(minScore, 'min_score'), max_angle: value(maxAngle, 'max_angle') };
  }

  /** @param {boolean} on the pointer draws the alignment region (there must be a capture to draw it on). */
  function setAligning(on) {
    aligning = on && Boolean(shownReference);
    if (aligning) selected = -1;
    board.paint();
    paintRois();
    paintAlignment();
    if (aligning) canvas.focus();
  }

  function removeAlignment() {
    delete doc.alignment;
    templateReplaced = false;
    aligning = false;
    changed();
  }

  function paintAlignment() {
    const alignment = doc.alignment;
    alignButton.setAttribute('aria-pressed', String(aligning));
    alignButton.disabled = !shownReference;
    alignButton.title = shownReference ? 'Drag on the image to draw the region; click again for ROIs'
      : 'Upload a template capture first: the region is drawn on it';
    removeAlignButton.disabled = !alignment;
    maxAngle.disabled = !alignment;
    minScore.disabled = !alignment;
    hint.textContent = aligning ? ALIGN_HINT : ROI_HINT;
    canvas.setAttribute('aria-label', aligning ? 'Template capture; drag to draw the alignment region'
      : 'Template capture with ROIs; drag to draw a ROI');
    const t = alignment && alignment.template;
    alignState.textContent = !alignment ? 'Not set: ROIs stay where they are drawn.'
      : `Region x ${t.x}, y ${t.y} · ${t.w}×${t.h} px of ${alignment.reference}`;
    let notice = '';
    if (alignment && templateReplaced) {
      notice = 'The template capture changed: the alignment region and the ROIs keep their place, now on the new '
        + 'image. Check that they still cover the same features; move them if not.';
    } else if (alignment && shownReference && alignment.reference !== shownReference) {
      notice = `The region was set on ${alignment.reference}, not on the capture shown here, and may not sit on the `
        + 'same feature. Moving or redrawing it sets it on this capture.';
    }
    alignNotice.textContent = notice;
    alignNotice.hidden = !notice;
  }

  function paintRois() {
    render(roiPanel, doc.rois.map((roi, index) => {
      const typeSelect = h('select', { 'aria-label': `Type of ${roi.name}`, onchange: (e) => { roi.type = e.target.value; changed(); } },
        doc.types.map((t) => h('option', { value: t.name, selected: t.name === roi.type }, t.name)));
      const nameInput = h('input', { type: 'text', value: roi.name, 'aria-label': 'ROI name',
        onchange: (e) => { roi.name = e.target.value.trim(); changed(); } });
      const warning = downscaleWarning(roi);
      return h(`div.roi-row${index === selected ? '.selected' : ''}`, {
        'data-roi': roi.name, onclick: (e) => { if (e.target === e.currentTarget) { selected = index; setAligning(false); } },
      },
      h('span.swatch', { style: `background: ${colourOf(roi)}` }), nameInput, typeSelect,
      h('button.ghost.small', { type: 'button', 'aria-label': `Delete ${roi.name}`, title: 'Delete ROI',
        onclick: () => { doc.rois.splice(index, 1); selected = -1; changed(); } }, '✕'),
      h('span.muted.small', { style: 'grid-column: 2 / -1' }, roi.x == null ? 'whole capture' : `x ${roi.x}, y ${roi.y} · ${roi.w}×${roi.h} px`),
      warning ? h('p.notice.small.warn', { 'data-testid': 'downscale-warning' }, `⚠ ${roi.name} is ${warning}`) : null);
    }));
    if (!doc.rois.length) render(roiPanel, h('p.muted', null, 'Drag on the image to draw the first ROI.'));
    render(warnings);
  }

  function paintTypes() {
    render(typePanel, doc.types.map((type, index) => typeCard(type, index)));
  }

  /** @param {any} type @param {number} index */
  function typeCard(type, index) {
    const remove = h('button.ghost.small', { type: 'button', 'aria-label': `Delete type ${type.name}`, onclick: async () => {
      if (doc.types.length === 1) return toast('A recipe needs at least one inspection type.', 'error');
      if (!(await confirmDialog(`Delete type ${type.name}?`, 'ROIs of this type move to the first remaining type.', 'Delete type'))) return;
      doc.types.splice(index, 1);
      for (const roi of doc.rois) if (roi.type === type.name) roi.type = doc.types[0].name;
      paintTypes();
      changed();
    } }, '✕');
    const nameInput = h('input', { type: 'text', value: type.name, 'aria-label': 'Type name', onchange: (e) => {
      const next = e.target.value.trim();
      for (const roi of doc.rois) if (roi.type === type.name) roi.type = next;
      type.name = next;
      changed();
    } });
    const body = type.kind === 'classifier' ? classifierBody(type) : segmenterBody(type);
    return h('div.type-item', { 'data-type': type.name },
      h('header', null, h('span.swatch', { style: `width:14px;height:14px;border-radius:4px;background:${TYPE_COLOURS[index % TYPE_COLOURS.length]}` }),
        nameInput, h('span.badge', null, type.kind), remove),
      body);
  }

  /** @param {any} type a classifier type. */
  function classifierBody(type) {
    const rows = h('div.class-rows');
    const paint = () => render(rows, type.classes.map((c, i) => h('div.class-row', null,
      h('input', { type: 'text', value: c.name, 'aria-label': 'Class name', onchange: (e) => { c.name = e.target.value.trim(); changed(); } }),
      h('button.small', { type: 'button', class: c.pass ? 'badge pass' : 'badge fail', 'aria-label': `${c.name} means ${c.pass ? 'pass' : 'fail'}`,
        title: 'Click to switch pass/fail', onclick: () => { c.pass = !c.pass; if (c.pass) delete c.threshold; paint(); changed(); } }, c.pass ? 'pass' : 'fail'),
      c.pass ? h('span') : h('input', { type: 'number', min: 0.05, max: 1, step: 0.05, value: c.threshold ?? '', placeholder: 'thr.',
        title: 'Optional: this fail class wins only at this confidence or more', style: 'width: 72px',
        onchange: (e) => { const v = parseFloat(e.target.value); if (Number.isNaN(v)) delete c.threshold; else c.threshold = v; changed(); } }),
      h('button.ghost.small', { type: 'button', 'aria-label': `Delete class ${c.name}`, onclick: () => {
        if (type.classes.length <= 2) return toast('A classifier needs at least two classes.', 'error');
        type.classes.splice(i, 1); paint(); changed();
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

  /** @param {any} type a segmenter type. */
  function segmenterBody(type) {
    type.rules = type.rules || [];
    const classes = h('div.class-rows');
    const rules = h('div.class-rows');
    const paint = () => {
      render(classes, type.pixel_classes.map((c, i) => h('div.class-row', null,
        h('input', { type: 'text', value: c.name, 'aria-label': 'Pixel class name', onchange: (e) => {
          const next = e.target.value.trim();
          for (const rule of type.rules) if (rule.class === c.name) rule.class = next;
          c.name = next; changed(); paint();
        } }),
        h('input', { type: 'color', value: c.color, 'aria-label': `Colour of ${c.name}`, onchange: (e) => { c.color = e.target.value; changed(); } }),
        h('span'),
        h('button.ghost.small', { type: 'button', 'aria-label': `Delete pixel class ${c.name}`, onclick: () => {
          if (type.pixel_classes.length <= 1) return toast('A segmenter needs at least one pixel class.', 'error');
          type.pixel_classes.splice(i, 1); type.rules = type.rules.filter((r) => r.class !== c.name); paint(); changed();
        } }, '✕'))));
      render(rules, type.rules.length ? type.rules.map((rule, i) => h('div.row', null,
        h('select', { 'aria-label': 'Rule pixel class', onchange: (e) => { rule.class = e.target.value; changed(); } },
          type.pixel_classes.map((c) => h('option', { value: c.name, selected: c.name === rule.class }, c.name))),
        h('select', { 'aria-label': 'Measure', onchange: (e) => { rule.measure = e.target.value; changed(); } },
          MEASURES.map((m) => h('option', { value: m, selected: m === rule.measure }, m))),
        h('select', { 'aria-label': 'Operator', onchange: (e) => { rule.op = e.target.value; changed(); } },
          OPS.map((o) => h('option', { value: o, selected: o === rule.op }, o))),
        h('input', { type: 'number', value: rule.value, style: 'width: 80px', 'aria-label': 'Value',
          onchange: (e) => { rule.value = parseFloat(e.target.value) || 0; changed(); } }),
        h('button.ghost.small', { type: 'button', 'aria-label': 'Delete rule', onclick: () => { type.rules.splice(i, 1); paint(); changed(); } }, '✕')))
        : h('p.small.muted', null, 'No rules: any blob of any pixel class fails the ROI.'));
    };
    paint();
    const minBlob = h('input', { type: 'number', min: 1, value: type.min_blob_px ?? 20, style: 'width: 90px',
      onchange: (e) => { type.min_blob_px = Math.max(1, parseInt(e.target.value, 10) || 1); changed(); } });
    const tiling = h('input', { type: 'checkbox', checked: Boolean(type.tiling), onchange: (e) => { type.tiling = e.target.checked; changed(); } });
    return h('div.stack', null,
      h('span.small.muted', null, 'Pixel classes (background is implicit):'), classes,
      h('button.small', { type: 'button', onclick: () => {
        const used = new Set(type.pixel_classes.map((c) => c.color.toLowerCase()));
        type.pixel_classes.push({ name: freeName(type.pixel_classes.map((c) => c.name), 'defect'),
          color: PALETTE.find((c) => !used.has(c)) || '#00ffff' });
        paint(); changed();
      } }, '+ Pixel class'),
      h('span.small.muted', null, 'Rules (all must hold for the ROI to pass):'), rules,
      h('button.small', { type: 'button', onclick: () => {
        type.rules.push({ class: type.pixel_classes[0].name, measure: 'area', op: '<', value: 100 }); paint(); changed();
      } }, '+ Rule'),
      field('Ignore blobs smaller than (px)', minBlob),
      h('label.row.small', null, tiling, 'Tile large ROIs at full resolution instead of downscaling'));
  }

  async function addType(kind) {
    if (doc.profile === 'single-model' && doc.types.length >= 1) {
      toast('This recipe is single-model: one inspection type. Change the profile to multi-model to add more.', 'error');
      return;
    }
    const input = h('input', { name: 'name', required: true, value: freeName(doc.types.map((t) => t.name), kind === 'classifier' ? 'part' : 'surface') });
    const values = await formDialog({ title: `New ${kind} type`, ok: 'Add', body: [field('Type name', input)] });
    if (!values) return;
    const typeName = String(values.name).trim();
    doc.types.push(kind === 'classifier'
      ? { name: typeName, kind, mode: 'accurate', classes: [{ name: 'good', pass: true }, { name: 'defect', pass: false }] }
      : { name: typeName, kind, pixel_classes: [{ name: 'defect', color: PALETTE[0] }], min_blob_px: 20, rules: [] });
    paintTypes();
    changed();
  }

  /** Take the newest capture the station archived (from its camera or an upload) as the template. */
  async function latestCapture() {
    try {
      const page = await api.get('/results', { limit: 20 });
      for (const record of page.items.filter((r) => !r.skipped && !r.error)) {
        const response = await api.request('GET', `/results/${record.id}/image`, { raw: true }).catch(() => null);
        if (response) return await setTemplate(await response.blob(), record.image || 'capture.png');
      }
      toast('The station has kept no capture yet: trigger one on the Live page, or upload an image.', 'error');
    } catch (err) {
      showError(err);
    }
    return undefined;
  }

  async function uploadTemplate() {
    const [file] = await pickFiles('image/*');
    if (file) await setTemplate(file, file.name);
  }

  /**
   * Make an image the template capture. A recipe that aligns keeps its region (and its ROIs), which then refer to
   * the new image: asked first, and flagged until saved.
   * @param {Blob} blob an encoded image @param {string} filename
   */
  async function setTemplate(blob, filename) {
    const t = doc.alignment && doc.alignment.template;
    if (t && !(await confirmDialog('Replace the template capture?', `This recipe aligns on x ${t.x}, y ${t.y} · `
      + `${t.w}×${t.h} px of the template capture. The region and the ROIs keep their place and will refer to the new `
      + 'image: check that they still cover the same features.', 'Replace template'))) return;
    const form = new FormData();
    form.append('image', blob, filename);
    try {
      const template = await api.request('PUT', `/recipes/${encodeURIComponent(doc.name)}/template`, { body: form });
      toast('Template image saved', 'ok');
      if (doc.alignment) {
        templateReplaced = true;
        if (doc.alignment.reference !== template.reference) {
          doc.alignment.reference = template.reference;
          changed();
        }
      }
      await loadTemplate();
    } catch (err) {
      showError(err);
    }
  }

  /** Show the template capture, or else the first capture of the recipe, and note how an alignment names it. */
  async function loadTemplate() {
    const recipe = encodeURIComponent(doc.name);
    const template = await api.get(`/recipes/${recipe}/template/info`).catch(() => null);
    let image = template && await api.loadImage(`/recipes/${recipe}/template`).catch(() => null);
    shownReference = image ? template.reference : null;
    if (!image) {
      const samples = await api.get(`/recipes/${recipe}/types/${encodeURIComponent(doc.types[0].name)}/samples`).catch(() => []);
      if (samples.length) image = await api.loadImage(`/images/${samples[0].image}`).catch(() => null);
      if (image) shownReference = samples[0].image;
    }
    placeholder.hidden = Boolean(image);
    canvas.hidden = !image;
    board.setImage(image);
    paintAlignment();
  }

  async function save() {
    problems.hidden = true;
    const clean = structuredClone(doc);
    for (const type of clean.types) if (type.kind === 'segmenter' && !type.rules.length) delete type.rules;
    try {
      const state = await saveDocument(clean, revision);
      revision = state.revision;
      history.refresh();
      dirty = false;
      templateReplaced = false;
      paintAlignment();
      saveButton.disabled = true;
      status.textContent = 'Saved';
      toast(`Recipe ${doc.name} saved`, 'ok');
      if (state.types.some((t) => t.model)) status.textContent = 'Saved · retrain if you changed classes or ROIs';
    } catch (err) {
      problems.textContent = err.message;
      problems.hidden = false;
    }
  }

  saveButton.addEventListener('click', save);
  const onKey = (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 's') {
      e.preventDefault();
      if (dirty) save();
    } else if (e.key === 'Escape' && aligning && !document.querySelector('dialog[open]')) {
      setAligning(false);
    }
  };
  document.addEventListener('keydown', onKey);
  const beforeUnload = (e) => { if (dirty) e.preventDefault(); };
  setLeaveGuard(async () => !dirty || confirmDialog('Leave without saving?',
    `Your changes to ${doc.name} are not saved; leaving drops them.`, 'Leave without saving'));
  window.addEventListener('beforeunload', beforeUnload);
  paintRois();
  paintTypes();
  await loadTemplate();
  return () => {
    document.removeEventListener('keydown', onKey);
    window.removeEventListener('beforeunload', beforeUnload);
  };
}

/** @param {string[]} used @param {string} stem @returns {string} `stem-N` not in `used`. */
function freeName(used, stem) {
  for (let n = 1; ; n++) {
    const name = `${stem}-${n}`;
    if (!used.includes(name)) return name;
  }
}
