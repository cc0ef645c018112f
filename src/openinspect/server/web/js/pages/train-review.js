/**
 * The Training page's look at a model's validation: how it was validated, the validation crops it got wrong
 * (relabel them on the spot) and, for classifiers, a fail-class threshold slider with what it trades.
 * Operators see the review; saving a threshold and relabelling are engineer-only, as the API has them.
 *
 * The trade-off numbers come from the API, which applies the station's own decision rule at each threshold
 * step; the slider only picks a step, so the page never re-implements the rule.
 * @module pages/train-review
 */

import * as api from '../api.js';
import { classBadge, typeClasses } from '../capture-view.js';
import { tradeoff as tradeoffChart } from '../charts.js';
import { drawCrop, libraryImage } from '../images.js';
import { loadDocument, saveDocument } from '../recipes-data.js';
import { h, percent, render, reportError, shortWhen, toast } from '../ui.js';

const METHODS = { 'leave-one-out': 'leave-one-out', 'k-fold': 'stratified k-fold', 'hold-out': 'a 20 % hold-out' };

/**
 * The latest model's validation review, in two parts that fill themselves once the API answers:
 * `method` (how it was validated, for under the model's heading) and `details` (thresholds, crops got wrong).
 * @param {string} recipe the recipe's name.
 * @param {any} state the type's state from GET /recipes/{name} (name, model).
 * @param {any} spec the type in the recipe document (its classes).
 * @returns {{method: HTMLElement, details: HTMLElement}}
 */
export function validationReview(recipe, state, spec) {
  const method = h('p', { 'data-testid': 'validation-method' }, h('span.muted', null, 'Validation: loading…'));
  const details = h('div.stack', { 'data-testid': 'validation' });
  const path = `/recipes/${encodeURIComponent(recipe)}/types/${encodeURIComponent(state.name)}/models/latest/validation`;
  const show = async () => {
    try {
      const review = await api.get(path);
      render(method, ...methodText(review, state.model.metrics?.n));
      render(details, dataWarnings(review.warnings), review.problem ? h('p.notice.info', null, review.problem) : null,
        review.tradeoffs.map((t) => thresholdPanel(recipe, review, t, spec, show)),
        wrongCrops(recipe, review, spec));
    } catch (err) {
      render(method, h('span.muted', null, `Validation not available: ${err.message}`));
    }
  };
  show();
  return { method, details };
}

/**
 * What in the training set will not generalise (near-duplicates, tiny classes, imbalance), each with its fix.
 * @param {string[]|undefined} warnings @returns {HTMLElement|null}
 */
function dataWarnings(warnings) {
  if (!warnings?.length) return null;
  return h('div.notice', { 'data-testid': 'data-warnings', role: 'status' },
    h('strong', null, 'The training data may not generalise'),
    h('ul', null, warnings.map((w) => h('li', null, w))));
}

/** @param {any} review @param {number|undefined} validated the metrics' crop count. @returns {any[]} */
function methodText(review, validated) {
  if (review.method === null) return [h('span.muted', null, 'How this model was validated is not recorded.')];
  if (review.method === 'none') return [h('strong', null, 'Not validated'), review.reason ? `: ${review.reason}` : ''];
  const n = validated ?? review.crops.length;
  return [h('strong', null, `Validated by ${METHODS[review.method] || review.method}`), ` on ${n} crop${n === 1 ? '' : 's'}`,
    review.kind === 'anomaly' && review.reason ? `: ${review.reason}` : '', syntheticText(review), unlabelledText(review)];
}

/** @param {any} review @returns {any} how many synthetic images the model trained on (never validated on). */
function syntheticText(review) {
  if (!review.synthetic_images) return '';
  const n = review.synthetic_images;
  return h('span', { 'data-testid': 'synthetic-trained' },
    ` · trained on ${n} synthetic image${n === 1 ? '' : 's'} too, none of them validated on`);
}

/** @param {any} review @returns {any} how many unlabelled captures an Accurate model learnt from (never validated on). */
function unlabelledText(review) {
  if (review.unlabelled_images === null || review.unlabelled_images === undefined) return '';
  const n = review.unlabelled_images;
  return h('span', { 'data-testid': 'unlabelled-used' },
    ` · learnt from ${n} unlabelled capture${n === 1 ? '' : 's'} (${review.pseudo_labelled} crop${review.pseudo_labelled === 1 ? '' : 's'} `
    + 'with the class a Fast teacher was confident of), none of them validated on');
}

/**
 * The slider over one fail class's threshold steps (index 0: no threshold; k: k / 100).
 * @param {string} recipe @param {any} review @param {any} tradeoff @param {any} spec
 * @param {() => Promise<void>} refresh reloads the review (after a save: other classes' sweeps change).
 */
function thresholdPanel(recipe, review, tradeoff, spec, refresh) {
  const points = tradeoff.points;
  const saved = tradeoff.threshold === null ? 0 : Math.round(tradeoff.threshold * 100);
  const slider = h('input', { type: 'range', min: 0, max: points.length - 1, step: 1, value: saved,
    'aria-label': `Threshold for ${tradeoff.class}`, 'data-testid': 'threshold-slider' });
  const value = h('strong.mono', { 'data-testid': 'threshold-value' });
  const rejected = h('div.n', { 'data-testid': 'good-rejected' });
  const missed = h('div.n', { 'data-testid': 'defects-missed' });
  const chart = h('div');
  const save = h('button.primary.engineer-only', { type: 'button', 'data-testid': 'save-threshold' }, 'Save threshold');
  const paint = () => {
    const index = Number(slider.value);
    const point = points[index];
    value.textContent = point.threshold === null ? 'off' : point.threshold.toFixed(2);
    rejected.textContent = `${point.good_rejected} of ${tradeoff.good}`;
    missed.textContent = `${point.defects_missed} of ${tradeoff.defects}`;
    render(chart, tradeoffChart(points, index, saved));
    save.disabled = index === saved;
  };
  slider.addEventListener('input', paint);
  save.addEventListener('click', async () => {
    const { threshold } = points[Number(slider.value)];
    save.disabled = true;
    try {
      const doc = await loadDocument(recipe);
      const cls = doc.types.find((t) => t.name === review.type).classes.find((c) => c.name === tradeoff.class);
      if (threshold === null) delete cls.threshold;
      else cls.threshold = threshold;
      await saveDocument(doc);
      toast(threshold === null ? `${tradeoff.class}: threshold removed` : `${tradeoff.class}: threshold ${threshold.toFixed(2)} saved`, 'ok');
      await refresh();
    } catch (err) {
      save.disabled = false;
      reportError(err);
    }
  });
  paint();
  const passNames = spec.classes.filter((c) => c.pass).map((c) => c.name).join(', ');
  return h('div.stack.threshold', { 'data-testid': 'threshold', 'data-class': tradeoff.class },
    h('h3', null, `Threshold for ${tradeoff.class}`),
    h('p.muted.small', null, `${tradeoff.class} wins only when its probability reaches the threshold (off: whenever it is the most `
      + `probable class). Counted on the ${tradeoff.good + tradeoff.defects} validation crops; good crops are those labelled ${passNames}.`),
    h('div.threshold-row', null, slider, value),
    h('div.metrics', null,
      h('div.metric', null, rejected, h('div.k', null, 'Good crops rejected')),
      h('div.metric', null, missed, h('div.k', null, 'Defects missed'))),
    chart, h('div.actions', null, save));
}

/**
 * The validation crops the model got wrong, as thumbnails; clicking one offers its relabelling, in view, naming the
 * capture by its file name and when it was added.
 * @param {string} recipe @param {any} review @param {any} spec
 */
function wrongCrops(recipe, review, spec) {
  if (!review.recorded || review.method === 'none') return null;
  const wrong = review.crops.filter((c) => !c.correct);
  const panel = h('div', { 'data-testid': 'relabel', hidden: true });
  /** @type {Promise<Map<string, any>>} the type's captures by content hash: their file names and times. */
  const captures = wrong.length ? api.get(`/recipes/${encodeURIComponent(recipe)}/types/${encodeURIComponent(review.type)}/samples`)
    .then((list) => new Map(list.map((s) => [s.image, s]))).catch((err) => (reportError(err), new Map())) : null;
  const title = h('h3', null, `Got wrong in validation: ${wrong.length} of ${review.crops.length}`);
  if (!wrong.length) return h('div.stack', null, title, h('p.muted', null, 'The model got every validation crop right.'));
  /** @type {HTMLElement|null} */
  let chosen = null;
  const tiles = wrong.map((crop) => {
    const canvas = h('canvas', { width: 120, height: 120 });
    const [x, y, w, hgt] = crop.rect;
    libraryImage(crop.image).then((img) => drawCrop(canvas, img, { x, y, w, h: hgt }, 120)).catch(reportError);
    const tile = h('button.crop', { type: 'button', 'aria-pressed': 'false', 'data-testid': 'wrong-crop',
      title: crop.roi }, canvas, ...caption(crop, spec));
    captures.then((known) => { tile.title = `${crop.roi} of ${captureName(known.get(crop.image), crop.image)}`; });
    tile.addEventListener('click', async () => {
      chosen?.setAttribute('aria-pressed', 'false');
      chosen = tile;
      tile.setAttribute('aria-pressed', 'true');
      const name = captureName((await captures).get(crop.image), crop.image);
      relabel(panel, recipe, review, spec, crop, name, () => render(tile, canvas, ...caption(crop, spec)));
      panel.scrollIntoView({ block: 'nearest' });
    });
    return tile;
  });
  return h('div.stack', null, title, h('div.crop-grid.wrong-grid', null, tiles), panel);
}

/**
 * @param {any|undefined} sample the capture as the samples list gives it (name, added), if known.
 * @param {string} hash its content hash.
 * @returns {string} `part-07.png (2 Dec 01:05:07)`; the hash's start only when the capture is not listed.
 */
function captureName(sample, hash) {
  if (!sample) return `capture ${hash.slice(0, 10)}…`;
  return sample.added ? `${sample.name} (${shortWhen(sample.added)})` : sample.name;
}

/** @param {any} crop @param {any} spec the type (what its classes mean). @returns {HTMLElement[]} the caption lines. */
function caption(crop, spec) {
  if (crop.true_class === null) {
    const what = crop.defect ? 'defect missed' : 'false alarm';
    return [h('span.cap', null, h('span.roi', null, crop.roi), h('span.badge.fail', null, what)),
      h('span.pred', null, `IoU ${percent(crop.iou)}`)];
  }
  const relabelled = crop.label !== crop.true_class;
  return [h('span.cap', null, h('span.roi', null, crop.roi),
    relabelled ? classBadge(spec, crop.label, `now ${crop.label ?? 'unlabelled'}`) : classBadge(spec, crop.true_class)),
  h('span.pred.disagree', null, crop.score == null ? `model: ${crop.predicted_class} ${said(crop)}` : said(crop))];
}

/** @param {any} crop @returns {string} how sure the model was: a classifier's confidence, an anomaly score. */
function said(crop) {
  return crop.score == null ? percent(crop.confidence) : `score ${crop.score.toFixed(3)}`;
}

/**
 * Relabel one crop right here (classifiers), or open its capture on the Labelling page.
 * @param {HTMLElement} panel @param {string} recipe @param {any} review @param {any} spec @param {any} crop
 * @param {string} name the capture's file name and time.
 * @param {() => void} changed repaints the crop's thumbnail.
 */
function relabel(panel, recipe, review, spec, crop, name, changed) {
  const link = h('a.button.engineer-only', { href: `#/label/${encodeURIComponent(recipe)}/${encodeURIComponent(review.type)}/${crop.image}` },
    'Open in Labelling');
  const truth = crop.true_class === null ? 'Paint its mask again on the Labelling page.'
    : `Labelled ${crop.label ?? 'nothing'}; the model said ${crop.predicted_class} (${said(crop)}).`;
  const chips = crop.true_class === null ? null : h('div.chips.engineer-only', { 'data-testid': 'relabel-chips' },
    typeClasses(spec).map((c) => h(`button.chip.${c.pass ? 'pass' : 'fail'}`, {
      type: 'button', 'aria-pressed': String(c.name === crop.label), 'data-class': c.name,
      onclick: () => setLabel(c.name),
    }, c.name)));
  panel.hidden = false;
  render(panel, h('div.card.stack', null, h('strong', { 'data-testid': 'relabel-title' }, `${crop.roi} of ${name}`),
    h('span.muted', null, truth), chips, h('div.actions', null, link)));

  /** @param {string} className */
  async function setLabel(className) {
    try {
      await api.put(`/recipes/${encodeURIComponent(recipe)}/types/${encodeURIComponent(review.type)}/samples/${crop.image}/labels`,
        { labels: { [crop.roi]: className } });
      crop.label = className;
      toast(`${crop.roi} relabelled ${className}; train again to learn from it`, 'ok');
      changed();
      relabel(panel, recipe, review, spec, crop, name, changed);
    } catch (err) {
      reportError(err);
    }
  }
}
