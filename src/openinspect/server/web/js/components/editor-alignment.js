/**
 * The recipe editor's alignment panel: the region's state, max angle and min score, and the region itself as the
 * canvas draws it (`place`).
 * @module components/editor-alignment
 */

import { ALIGNMENT_COLOUR } from '../roi-canvas.js';
import { field, h } from '../ui.js';

/** A new alignment's settings: the recipe schema's defaults. */
const ALIGNMENT_DEFAULTS = { min_score: 0.5, max_angle: 15 };

/**
 * @param {import('./editor-state.js').EditorState} state
 * @param {{changed: () => void, setAligning: (on: boolean) => void}} actions `changed` after an edit; `setAligning`
 *   switches the canvas between drawing the region and drawing ROIs.
 * @returns {{element: HTMLElement, paint: () => void, place: (rect: any) => void, remove: () => void}}
 */
export function alignmentPanel(state, actions) {
  const alignButton = h('button', { type: 'button', 'aria-pressed': 'false', onclick: () => actions.setAligning(!state.aligning) },
    'Set alignment region');
  const removeButton = h('button', { type: 'button', onclick: () => remove() }, 'Remove alignment');
  const number = (key, attrs) => h('input', { type: 'number', value: state.doc.alignment?.[key] ?? ALIGNMENT_DEFAULTS[key],
    ...attrs, onchange: (e) => {
      const value = parseFloat(e.target.value);
      if (state.doc.alignment && !Number.isNaN(value)) { state.doc.alignment[key] = value; actions.changed(); }
    } });
  const maxAngle = number('max_angle', { min: 0, max: 180, step: 1 });
  const minScore = number('min_score', { min: 0.05, max: 1, step: 0.05 });
  const summary = h('p.small', { 'data-testid': 'alignment-state' });
  const notice = h('p.notice.small', { hidden: true, 'data-testid': 'alignment-notice' });
  const element = h('div.card.stack', { 'data-testid': 'alignment' },
    h('h2', null, h('span.align-swatch', { style: `background: ${ALIGNMENT_COLOUR}` }), 'Alignment'),
    h('p.small.muted', null, 'The station finds this region in every capture first; ROIs move and turn with the '
      + 'part. Choose a distinctive, rigid feature.'),
    summary, notice,
    h('div.actions', null, alignButton, removeButton),
    h('div.align-settings', null,
      field('Max angle (°)', maxAngle, 'either way; 0: shift only'),
      field('Min score', minScore, 'below it: part not found')));

  /** @returns {{min_score: number, max_angle: number}} the alignment settings as the inputs show them. */
  function settings() {
    const value = (input, key) => (Number.isNaN(parseFloat(input.value)) ? ALIGNMENT_DEFAULTS[key] : parseFloat(input.value));
    return { min_score: value(minScore, 'min_score'), max_angle: value(maxAngle, 'max_angle') };
  }

  /** @param {any} rect the region drawn on the capture shown, or null when it was deleted there. */
  function place(rect) {
    if (!rect) return remove();
    state.doc.alignment = { ...(state.doc.alignment || settings()), template: rect, reference: state.shownReference };
    return actions.changed();
  }

  function remove() {
    delete state.doc.alignment;
    state.templateReplaced = false;
    state.aligning = false;
    actions.changed();
  }

  function paint() {
    const { alignment } = state.doc;
    alignButton.setAttribute('aria-pressed', String(state.aligning));
    alignButton.disabled = !state.shownReference;
    alignButton.title = state.shownReference ? 'Drag on the image to draw the region; click again for ROIs'
      : 'Upload a template capture first: the region is drawn on it';
    removeButton.disabled = !alignment;
    maxAngle.disabled = !alignment;
    minScore.disabled = !alignment;
    const t = alignment && alignment.template;
    summary.textContent = !alignment ? 'Not set: ROIs stay where they are drawn.'
      : `Region x ${t.x}, y ${t.y} · ${t.w}×${t.h} px of ${alignment.reference}`;
    const text = noticeText();
    notice.textContent = text;
    notice.hidden = !text;
  }

  /** @returns {string} why the region may not sit where it should, or ''. */
  function noticeText() {
    const { alignment } = state.doc;
    if (alignment && state.templateReplaced) {
      return 'The template capture changed: the alignment region and the ROIs keep their place, now on the new '
        + 'image. Check that they still cover the same features; move them if not.';
    }
    if (alignment && state.shownReference && alignment.reference !== state.shownReference) {
      return `The region was set on ${alignment.reference}, not on the capture shown here, and may not sit on the `
        + 'same feature. Moving or redrawing it sets it on this capture.';
    }
    return '';
  }

  return { element, paint, place, remove };
}
