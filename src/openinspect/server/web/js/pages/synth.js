/**
 * Defect Creator: describe a defect in plain English and paint it onto good captures, inside the type's ROIs.
 * The specification understood (and every word ignored) shows as you type; Preview makes a batch that is not
 * stored, with each defect's mask outlined; Another seed makes a fresh one; Add keeps all or the selected images,
 * labelled for the type and flagged synthetic (training never validates on them).
 * Route: `#/synth/RECIPE/TYPE`.
 * @module pages/synth
 */

import * as api from '../api.js';
import { drawCrop, libraryImage } from '../images.js';
import { chooseRecipe, loadDocument } from '../recipes-data.js';
import { field, h, render, reportError, toast } from '../ui.js';

/** Milliseconds of typing pause before the description is read again. */
const PARSE_DELAY_MS = 250;

/**
 * @param {HTMLElement} view
 * @param {string[]} params `[recipe, type]`, both optional.
 */
export async function mount(view, params) {
  const chosen = await chooseRecipe(view, params[0]);
  if (!chosen) return undefined;
  const { recipes, name } = chosen;
  const doc = await loadDocument(name);
  const type = doc.types.find((t) => t.name === params[1]) || doc.types[0];
  const recipePath = `/recipes/${encodeURIComponent(name)}`;
  const typePath = `${recipePath}/types/${encodeURIComponent(type.name)}`;
  const go = (recipe, typeName) => {
    window.location.hash = `#/synth/${encodeURIComponent(recipe)}${typeName ? `/${encodeURIComponent(typeName)}` : ''}`;
  };

  const recipeSelect = h('select', { 'aria-label': 'Recipe', onchange: (e) => go(e.target.value) },
    recipes.map((r) => h('option', { value: r.name, selected: r.name === name }, r.name)));
  const typeSelect = h('select', { 'aria-label': 'Inspection type', onchange: (e) => go(name, e.target.value) },
    doc.types.map((t) => h('option', { value: t.name, selected: t.name === type.name }, `${t.name} (${t.kind})`)));

  const description = /** @type {HTMLTextAreaElement} */ (h('textarea', {
    rows: 3, maxlength: 1000, 'data-testid': 'synth-description', 'aria-label': 'Defect description',
    placeholder: 'e.g. three thin dark scratches near the top edge' }));
  const rois = doc.rois.filter((r) => r.type === type.name);
  const roiBoxes = rois.map((r) => /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', checked: true, value: r.name,
    onchange: () => loadHosts() })));
  const labels = labelChoices(type);
  const labelSelect = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'synth-class', 'aria-label': 'Label' },
    labels.map((c) => h('option', { value: c }, c))));
  const count = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 1, max: 48, value: 8, 'data-testid': 'synth-count' }));
  const seed = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 0, value: 0, 'data-testid': 'synth-seed' }));
  const match = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', 'data-testid': 'synth-match' }));
  const hostBox = h('div.synth-hosts', { 'data-testid': 'synth-hosts' });
  const specBox = h('div.synth-spec', { 'data-testid': 'synth-spec', 'aria-live': 'polite' },
    h('span.muted', null, 'Describe the defect: its kind (scratch, crack, dent, stain, spill, splatter, hole, blowhole, chip, '
      + 'burn, dust, missing material), how many, size, thickness, length, shape, tone or colour, orientation, where.'));
  const previewButton = h('button.primary', { type: 'button', 'data-testid': 'synth-preview', onclick: () => preview() }, 'Preview');
  const reseedButton = h('button', { type: 'button', 'data-testid': 'synth-reseed', onclick: () => reseed() }, 'Another seed');
  const outlines = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', checked: true, onchange: () => paintGrid() }));
  const addAll = h('button.primary', { type: 'button', 'data-testid': 'synth-add-all', disabled: true, onclick: () => accept(null) }, 'Add all');
  const addPicked = h('button', { type: 'button', 'data-testid': 'synth-add-selected', disabled: true,
    onclick: () => accept([...picked].sort((a, b) => a - b)) }, 'Add selected');
  const status = h('span.small.muted', { 'data-testid': 'synth-status', 'aria-live': 'polite' });
  const grid = h('div.synth-grid', { 'data-testid': 'synth-grid' });

  render(view, h('section.page', null,
    h('div.page-head', null,
      h('div', null, h('h1', null, 'Defect Creator'),
        h('p.sub', null, 'Training images of defects you do not have yet: described in plain English, painted onto good '
          + 'captures inside the ROIs, with exact masks. They train models and never count in their validation.')),
      h('div.actions', null, recipeSelect, typeSelect,
        h('a.button', { href: `#/label/${encodeURIComponent(name)}/${encodeURIComponent(type.name)}` }, 'Labelling →'))),
    h('div.synth-layout', null,
      h('div.card.stack', null,
        field('Defect description', description),
        specBox,
        h('fieldset.synth-rois', null, h('legend', null, 'ROIs'),
          roiBoxes.map((box) => h('label', null, box, ` ${box.value}`))),
        h('div.synth-row', null, field(type.kind === 'segmenter' ? 'Pixel class' : 'Label', labelSelect),
          field('Images', count), field('Seed', seed)),
        type.kind === 'segmenter'
          ? h('label.small', { title: 'Size, shape, contrast and place from the real masks painted with this pixel class; '
            + 'the description still names the kind' }, match, ' Match my painted defects')
          : null,
        h('div', null, h('strong', null, 'Host captures'), hostBox),
        h('div.actions', null, previewButton, reseedButton)),
      h('div.card.stack', null,
        h('div.page-head', null, h('h2', null, 'Preview'),
          h('label.small', null, outlines, ' Outline the masks')),
        grid,
        h('div.actions', null, addAll, addPicked, status)))));

  /** @type {any|null} the preview on screen, with the request that made it. */
  let batch = null;
  /** @type {Set<number>} */
  const picked = new Set();
  /** @type {{image: string, name: string, box: HTMLInputElement}[]} */
  let hosts = [];
  let parseTimer = 0;
  let parsing = 0;

  description.addEventListener('input', () => {
    window.clearTimeout(parseTimer);
    parseTimer = window.setTimeout(parse, PARSE_DELAY_MS);
  });

  async function loadHosts() {
    try {
      const chosenRois = roiBoxes.filter((b) => b.checked).map((b) => b.value);
      const found = await api.get(`${typePath}/synthetic/hosts`, chosenRois.length < roiBoxes.length ? { rois: chosenRois } : undefined);
      hosts = found.map((image) => ({ ...image,
        box: /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', checked: true, value: image.image })) }));
      if (!hosts.length) {
        render(hostBox, h('p.notice', { 'data-testid': 'synth-no-hosts' }, 'No good capture of this type yet: label some '
          + `captures ${type.kind === 'segmenter' ? 'as good (Mark as good)' : 'with a pass class'} on the Labelling page first.`));
        return;
      }
      render(hostBox, h('div.synth-host-list', null, hosts.map((host) => {
        const thumb = /** @type {HTMLCanvasElement} */ (h('canvas', { width: 72, height: 72, 'aria-label': host.name }));
        libraryImage(host.image).then((img) => drawCrop(thumb, img, { x: 0, y: 0, w: img.naturalWidth, h: img.naturalHeight }, 72))
          .catch(reportError);
        return h('label.synth-host', { title: host.name }, host.box, thumb);
      })));
    } catch (err) {
      reportError(err);
    }
  }

  async function parse() {
    const text = description.value.trim();
    const mine = ++parsing;
    if (!text) return;
    try {
      const spec = await api.post(`${recipePath}/synthetic/parse`, { description: text });
      if (mine === parsing) showSpec(spec);
    } catch (err) {
      if (mine !== parsing) return;
      if (err.status === 400) render(specBox, h('p.notice.error', { 'data-testid': 'synth-problem', role: 'alert' }, err.message));
      else reportError(err);
    }
  }

  /** @param {any} spec the API's specification. */
  function showSpec(spec) {
    const lines = spec.summary.filter((line) => !line.startsWith('ignored:'));
    render(specBox,
      h('ul.synth-lines', null, lines.map((line) => h('li', null, line))),
      spec.ignored.length
        ? h('p.notice', { 'data-testid': 'synth-ignored' }, 'Not understood (rephrase to use them): ',
          spec.ignored.map((word) => h('span.badge.warn', null, word)))
        : h('p.small.muted', { 'data-testid': 'synth-ignored' }, 'Every word was understood.'));
  }

  /** The request the form describes now. */
  function request() {
    const chosenRois = roiBoxes.filter((b) => b.checked).map((b) => b.value);
    return {
      description: description.value.trim(),
      rois: chosenRois.length === roiBoxes.length ? [] : chosenRois,
      hosts: hosts.filter((host) => host.box.checked).map((host) => host.image),
      count: Number(count.value) || 1,
      seed: Math.max(0, Number(seed.value) || 0),
      class: labelSelect.value || null,
      match: match.checked,
    };
  }

  async function preview() {
    const wanted = request();
    if (!wanted.description) {
      toast('Describe the defect first.', 'error');
      description.focus();
      return;
    }
    if (!roiBoxes.some((b) => b.checked)) {
      toast('Choose at least one ROI to put the defects in.', 'error');
      return;
    }
    if (hosts.length && !wanted.hosts.length) {
      toast('Choose at least one host capture.', 'error');
      return;
    }
    previewButton.disabled = true;
    reseedButton.disabled = true;
    status.textContent = 'Making the images…';
    try {
      const made = await api.post(`${typePath}/synthetic/preview`, wanted);
      batch = { request: wanted, ...made };
      picked.clear();
      made.samples.forEach((s) => picked.add(s.index));
      showSpec(made.spec);
      if (made.matched) {
        specBox.append(h('ul.synth-lines', { 'data-testid': 'synth-matched' }, made.matched.map((line) => h('li', null, line))));
      }
      status.textContent = `${made.samples.length} image(s), seeds ${wanted.seed} to ${wanted.seed + made.samples.length - 1}, `
        + `labelled ${made.label}: nothing is stored until you add them`;
      paintGrid();
    } catch (err) {
      batch = null;
      paintGrid();
      status.textContent = '';
      if (err.status === 400 || err.status === 404 || err.status === 422) {
        render(grid, h('p.notice.error', { 'data-testid': 'synth-problem', role: 'alert' }, err.message));
      } else reportError(err);
    } finally {
      previewButton.disabled = false;
      reseedButton.disabled = false;
    }
  }

  /** A fresh batch: the seeds after the ones on screen. */
  function reseed() {
    seed.value = String((Number(seed.value) || 0) + (Number(count.value) || 1));
    preview();
  }

  function paintGrid() {
    addAll.disabled = !batch;
    addPicked.disabled = !batch || !picked.size;
    addPicked.textContent = batch ? `Add selected (${picked.size})` : 'Add selected';
    addAll.textContent = batch ? `Add all (${batch.samples.length})` : 'Add all';
    if (!batch) {
      render(grid);
      return;
    }
    render(grid, batch.samples.map((sample) => {
      const box = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', checked: picked.has(sample.index),
        'aria-label': `Keep image ${sample.index + 1}`, onchange: () => {
          if (box.checked) picked.add(sample.index);
          else picked.delete(sample.index);
          paintGrid();
        } }));
      return h('figure.synth-sample', { 'data-testid': 'synth-sample', 'data-seed': sample.seed, 'data-index': sample.index },
        h('img', { src: outlines.checked ? sample.outlined : sample.image, alt: `Synthetic image, seed ${sample.seed}` }),
        h('figcaption', null, h('label', null, box, ` seed ${sample.seed}`), h('span.small.muted', null, `${sample.defect_px} px`)));
    }));
  }

  /** @param {number[]|null} pick the batch indices to add; null: all. */
  async function accept(pick) {
    if (!batch) return;
    addAll.disabled = true;
    addPicked.disabled = true;
    try {
      const added = await api.post(`${typePath}/synthetic`, { ...batch.request, pick });
      toast(`${added.images.length} synthetic image(s) added, labelled ${added.label}`, 'ok');
      status.textContent = `${added.images.length} image(s) added to ${type.name}'s data set, labelled ${added.label} `
        + 'and flagged synthetic.';
      batch = null;
      paintGrid();
    } catch (err) {
      reportError(err);
      paintGrid();
    }
  }

  await loadHosts();
  return () => window.clearTimeout(parseTimer);
}

/**
 * What a type's synthetic images can be labelled: a classifier's fail classes, a segmenter's pixel classes, an
 * anomaly type's `anomalous`.
 * @param {any} type the type in the recipe document.
 * @returns {string[]}
 */
function labelChoices(type) {
  if (type.kind === 'segmenter') return type.pixel_classes.map((c) => c.name);
  if (type.kind === 'anomaly') return ['anomalous'];
  return type.classes.filter((c) => !c.pass).map((c) => c.name);
}
