/**
 * An anomaly type's body in the recipe editor: the share of good crops its threshold may reject, then the
 * anomalous region's rules, smallest blob and tiling, as a segmenter's with the one pixel class `anomalous`.
 * @module components/editor-anomaly
 */

import { field, h } from '../ui.js';
import { regionFields } from './editor-segmenter.js';

/** The one pixel class of an anomaly type's region, the one its rules measure. */
export const ANOMALOUS = 'anomalous';

/**
 * @param {any} type an anomaly type, changed in place.
 * @param {() => void} changed call after every edit.
 * @returns {HTMLElement}
 */
export function anomalyBody(type, changed) {
  const rate = h('input', { type: 'number', min: 0.001, max: 0.499, step: 0.005, value: type.false_reject_rate ?? 0.01,
    style: 'width: 90px', onchange: (e) => {
      const value = parseFloat(e.target.value);
      if (Number.isNaN(value)) delete type.false_reject_rate;
      else type.false_reject_rate = value;
      changed();
    } });
  const region = regionFields(type, () => [ANOMALOUS],
    'No rules: any anomalous region of at least the smallest blob fails the ROI.', changed);
  return h('div.stack', null,
    h('p.small.muted', null, 'Learns good crops only. Label crops "good" (and any anomalous ones you have, to check it); '
      + 'the threshold is set from good crops it did not learn.'),
    field('Good crops it may reject (false reject rate, 0.01 = 1 %)', rate),
    ...region.elements);
}
