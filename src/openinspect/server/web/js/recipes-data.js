/**
 * Recipes as the pages use them: the API's list and documents, starter recipes, copies.
 * @module recipes-data
 */

import * as api from './api.js';
import { h, render, reportError } from './ui.js';

/** Pixel-class colours offered for new segmenter classes, in order. */
export const PALETTE = ['#ff3b30', '#ffd400', '#34c759', '#0a84ff', '#bf5af2', '#ff9f0a', '#64d2ff', '#ff2d55'];

/**
 * The stored recipes and the one a page works on: `wanted` when it exists, else the first.
 * With no recipe at all, renders an empty state that leads to the Recipes page into `view`.
 * @param {HTMLElement} view
 * @param {string | undefined} wanted
 * @returns {Promise<{recipes: any[], name: string} | null>} null when there is no recipe.
 */
export async function chooseRecipe(view, wanted) {
  const recipes = await api.get('/recipes').catch((err) => (reportError(err), []));
  if (!recipes.length) {
    render(view, h('section.page', null, h('div.card.empty', null, h('strong', null, 'No recipes yet'),
      h('a.button.primary', { href: '#/recipes' }, 'Create a recipe'))));
    return null;
  }
  return { recipes, name: wanted && recipes.some((r) => r.name === wanted) ? wanted : recipes[0].name };
}

/** The revision each document loaded by `loadDocument` was, to send back when it is saved. */
const loadedRevision = new WeakMap();

/**
 * A recipe's full document (types, ROIs...) as JSON with the YAML field names (`pass`, `class`).
 * @param {string} name
 * @returns {Promise<any>}
 */
export async function loadDocument(name) {
  const response = await api.request('GET', `/recipes/${encodeURIComponent(name)}/document`, { raw: true });
  const doc = await response.json();
  loadedRevision.set(doc, Number((response.headers.get('ETag') || '').replaceAll('"', '')) || undefined);
  return doc;
}

/**
 * The recipe revision a document from `loadDocument` was.
 * @param {any} doc
 * @returns {number|undefined}
 */
export function documentRevision(doc) {
  return loadedRevision.get(doc);
}

/**
 * Store a recipe document, replacing the stored one of its name.
 * @param {any} doc
 * @param {number} [revision] the revision the change was made on (default: the one `doc` was loaded as); the
 *   station refuses the save (409) when someone saved a newer one meanwhile.
 * @returns {Promise<any>} the API's recipe state.
 */
export function saveDocument(doc, revision = loadedRevision.get(doc)) {
  const headers = revision ? { 'If-Match': String(revision) } : undefined;
  return api.request('PUT', `/recipes/${encodeURIComponent(doc.name)}`, { json: doc, headers });
}

/**
 * A valid new recipe: one inspection type and one ROI covering the whole capture.
 * @param {string} name
 * @param {'single-model'|'multi-model'} profile
 * @param {'classifier'|'segmenter'|'anomaly'} kind the first inspection type's kind.
 * @returns {any} the recipe document.
 */
export function starterRecipe(name, profile, kind) {
  const types = {
    segmenter: { name: 'surface', kind: 'segmenter', pixel_classes: [{ name: 'defect', color: PALETTE[0] }], min_blob_px: 20 },
    anomaly: anomalyType('surface'),
    classifier: { name: 'part', kind: 'classifier', mode: 'accurate',
      classes: [{ name: 'good', pass: true }, { name: 'defect', pass: false }] },
  };
  const type = types[kind];
  return { name, profile, types: [type], rois: [{ name: 'whole', type: type.name }] };
}

/**
 * A new anomaly type as the recipe stores it: the defaults (1 % false rejects, 20 px blobs).
 * @param {string} name
 * @returns {any}
 */
export function anomalyType(name) {
  return { name, kind: 'anomaly', false_reject_rate: 0.01, min_blob_px: 20, rules: [], tiling: false };
}

/** Recipe names the station accepts. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Why a name cannot be a recipe's, or null.
 * @param {string} name
 * @returns {string|null}
 */
export function nameProblem(name) {
  if (!name) return 'Give the recipe a name.';
  if (!NAME_PATTERN.test(name)) {
    return 'Use 1-64 letters, digits, "-", "_" or ".", starting with a letter or digit.';
  }
  return null;
}

/**
 * A fresh name for a new ROI, type or class.
 * @param {string[]} used the names taken.
 * @param {string} stem
 * @returns {string} `stem-N` not in `used`.
 */
export function freeName(used, stem) {
  for (let n = 1; ; n++) {
    const name = `${stem}-${n}`;
    if (!used.includes(name)) return name;
  }
}
