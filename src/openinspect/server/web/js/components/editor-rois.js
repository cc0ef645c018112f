/**
 * The recipe editor's ROI list: name, inspection type, place and a downscale warning per ROI; delete and select.
 * @module components/editor-rois
 */

import { downscaleWarning } from '../roi-canvas.js';
import { h, render } from '../ui.js';

/**
 * @param {import('./editor-state.js').EditorState} state
 * @param {(roi: any) => string} colourOf a ROI's colour on the canvas.
 * @param {{changed: () => void, select: (index: number) => void}} actions `changed` after an edit, `select` a ROI
 *   (back in ROI mode).
 * @returns {{element: HTMLElement, paint: () => void}} the panel and its repaint.
 */
export function roiPanel(state, colourOf, actions) {
  const element = h('div.roi-rows', { 'data-testid': 'roi-list' });

  function paint() {
    const { doc } = state;
    if (!doc.rois.length) {
      render(element, h('p.muted', null, 'Drag on the image to draw the first ROI.'));
      return;
    }
    render(element, doc.rois.map((roi, index) => roiRow(roi, index)));
  }

  /** @param {any} roi @param {number} index */
  function roiRow(roi, index) {
    const { doc } = state;
    const typeSelect = h('select', { 'aria-label': `Type of ${roi.name}`, onchange: (e) => { roi.type = e.target.value; actions.changed(); } },
      doc.types.map((t) => h('option', { value: t.name, selected: t.name === roi.type }, t.name)));
    const nameInput = h('input', { type: 'text', value: roi.name, 'aria-label': 'ROI name',
      onchange: (e) => { roi.name = e.target.value.trim(); actions.changed(); } });
    const warning = downscaleWarning(roi);
    return h(`div.roi-row${index === state.selected ? '.selected' : ''}`, {
      'data-roi': roi.name, onclick: (e) => { if (e.target === e.currentTarget) actions.select(index); },
    },
    h('span.swatch', { style: `background: ${colourOf(roi)}` }), nameInput, typeSelect,
    h('button.ghost.small', { type: 'button', 'aria-label': `Delete ${roi.name}`, title: 'Delete ROI',
      onclick: () => { doc.rois.splice(index, 1); state.selected = -1; actions.changed(); } }, '✕'),
    h('span.muted.small', { style: 'grid-column: 2 / -1' }, roi.x == null ? 'whole capture' : `x ${roi.x}, y ${roi.y} · ${roi.w}×${roi.h} px`),
    warning ? h('p.notice.small.warn', { 'data-testid': 'downscale-warning' }, `⚠ ${roi.name} is ${warning}`) : null);
  }

  return { element, paint };
}
