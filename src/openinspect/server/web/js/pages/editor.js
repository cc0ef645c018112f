/**
 * The recipe editor: template capture, ROIs and the alignment region drawn on it, inspection types (classifier
 * classes, segmenter pixel classes and rules, or an anomaly type's false reject rate and rules). Changes are kept locally until Save, which replaces the stored
 * recipe; the station checks the alignment region then and the editor shows its message when it is refused.
 * The page holds the canvas, the toolbar and Save; its panels are in `components/editor-*.js`.
 * @module pages/editor
 */

import { alignmentPanel } from '../components/editor-alignment.js';
import { roiPanel } from '../components/editor-rois.js';
import { editorState } from '../components/editor-state.js';
import { templateSource } from '../components/editor-template.js';
import { typeColour, typesPanel } from '../components/editor-types.js';
import { documentRevision, freeName, loadDocument, saveDocument } from '../recipes-data.js';
import { historyPanel } from '../recipe-history.js';
import { RoiCanvas } from '../roi-canvas.js';
import { ZoomView } from '../capture-view.js';
import { confirmDialog, h, render, reportError, setLeaveGuard, toast } from '../ui.js';

const ROI_HINT = 'Drag to draw · drag a box to move · handles resize · Delete removes · arrows nudge · wheel zooms · Space-drag pans';
const ALIGN_HINT = 'Alignment region: drag to draw it · drag it to move · handles resize · Delete removes · Esc: back to ROIs';

/**
 * @param {HTMLElement} view
 * @param {string[]} params `[recipe name]`
 */
export async function mount(view, params) {
  let doc;
  try {
    doc = await loadDocument(params[0]);
  } catch (err) {
    reportError(err);
    render(view, h('section.page', null, h('div.card.empty', null, h('strong', null, err.message),
      h('a.button', { href: '#/recipes' }, 'Back to recipes'))));
    return undefined;
  }
  const state = editorState(doc);
  /** The document as last saved (or loaded): "unsaved" means different from it, not merely touched. */
  let saved = JSON.stringify(doc);
  const dirty = () => JSON.stringify(doc) !== saved;
  let revision = documentRevision(doc);
  const history = historyPanel(doc.name, () => { saved = JSON.stringify(doc); window.location.reload(); });

  const saveButton = h('button.primary', { type: 'button', disabled: true, 'data-testid': 'save', onclick: () => save() }, 'Save');
  const status = h('span.muted.small', { 'aria-live': 'polite' });
  const problems = h('div.notice.error', { hidden: true, role: 'alert', 'data-testid': 'problems' });
  const canvas = /** @type {HTMLCanvasElement} */ (h('canvas', { 'aria-label': 'Template capture with ROIs; drag to draw a ROI', 'data-testid': 'roi-canvas' }));
  const hint = h('span.muted.small', null, ROI_HINT);
  const actions = { changed, setAligning, select: (index) => { state.selected = index; setAligning(false); } };
  const colourOf = (roi) => typeColour(doc, roi.type);
  const rois = roiPanel(state, colourOf, actions);
  const alignment = alignmentPanel(state, actions);
  const types = typesPanel(doc, changed);
  const template = templateSource(state, { changed, show: showImage });
  const placeholder = h('div.placeholder', null,
    h('strong', null, 'No template capture yet'),
    h('span', null, 'Upload a picture of a good part, then drag on it to draw the regions to inspect.'),
    h('button.primary', { type: 'button', onclick: () => template.upload() }, 'Upload template image…'));
  const zoom = new ZoomView(canvas, { editable: true, label: 'the template capture' });
  zoom.element.hidden = true;  // until the capture is loaded (or found missing)
  placeholder.hidden = true;
  const board = new RoiCanvas(canvas, {
    rois: doc.rois,
    get selected() { return state.selected; },
    get alignment() { return doc.alignment ? doc.alignment.template : null; },
    get aligning() { return state.aligning; },
    colourOf,
    onChange: () => {
      if (state.aligning) doc.alignment.reference = state.shownReference;  // moved on the capture shown: it is the reference now
      changed();
    },
    onSelect: (index) => { state.selected = index; rois.paint(); },
    onCreate: (rect) => {
      doc.rois.push({ name: freeName(doc.rois.map((r) => r.name), 'roi'), type: doc.types[0].name, ...rect });
      state.selected = doc.rois.length - 1;
      changed();
    },
    onAlign: (rect) => alignment.place(rect),
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
          h('button', { type: 'button', onclick: () => template.upload() }, 'Upload template image…'),
          h('button', { type: 'button', onclick: () => template.latest(), title: 'The newest capture the station kept' },
            'Use the latest station capture'),
          hint),
        h('div.canvas-wrap', null, placeholder, zoom.element)),
      h('aside.stack', null,
        h('div.card.stack', null, h('h2', null, 'ROIs'), rois.element),
        alignment.element,
        types.element,
        history.element))));

  /** Repaint what shows the document and the editor's state. */
  function repaint() {
    board.paint();
    rois.paint();
    alignment.paint();
    hint.textContent = state.aligning ? ALIGN_HINT : ROI_HINT;
    canvas.setAttribute('aria-label', state.aligning ? 'Template capture; drag to draw the alignment region'
      : 'Template capture with ROIs; drag to draw a ROI');
  }

  function changed() {
    const unsaved = dirty();
    saveButton.disabled = !unsaved;
    status.textContent = unsaved ? 'Unsaved changes' : '';
    repaint();
  }

  /** @param {boolean} on the pointer draws the alignment region (there must be a capture to draw it on). */
  function setAligning(on) {
    state.aligning = on && Boolean(state.shownReference);
    if (state.aligning) state.selected = -1;
    repaint();
    if (state.aligning) canvas.focus();
  }

  /** @param {HTMLImageElement|null} image the capture to draw on, or null for the "upload" placeholder. */
  function showImage(image) {
    placeholder.hidden = Boolean(image);
    zoom.element.hidden = !image;
    zoom.reset();
    board.setImage(image);
    alignment.paint();
  }

  async function save() {
    problems.hidden = true;
    const clean = structuredClone(doc);
    for (const type of clean.types) if (type.kind !== 'classifier' && type.rules && !type.rules.length) delete type.rules;
    try {
      const stored = await saveDocument(clean, revision);
      revision = stored.revision;
      history.refresh();
      saved = JSON.stringify(doc);
      state.templateReplaced = false;
      alignment.paint();
      saveButton.disabled = true;
      status.textContent = stored.types.some((t) => t.model) ? 'Saved · retrain if you changed classes or ROIs' : 'Saved';
      toast(`Recipe ${doc.name} saved`, 'ok');
    } catch (err) {
      problems.textContent = err.message;
      problems.hidden = false;
    }
  }

  const onKey = (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 's') {
      e.preventDefault();
      if (dirty()) save();
    } else if (e.key === 'Escape' && state.aligning && !document.querySelector('dialog[open]')) {
      setAligning(false);
    }
  };
  document.addEventListener('keydown', onKey);
  const beforeUnload = (e) => { if (dirty()) e.preventDefault(); };
  setLeaveGuard(async () => !dirty() || confirmDialog('Leave without saving?',
    `Your changes to ${doc.name} are not saved; leaving drops them.`, 'Leave without saving'));
  window.addEventListener('beforeunload', beforeUnload);
  rois.paint();
  types.paint();
  await template.load();
  return () => {
    document.removeEventListener('keydown', onKey);
    window.removeEventListener('beforeunload', beforeUnload);
    zoom.destroy();
  };
}
