/**
 * The Training page's figures of an anomaly model: how its threshold was set, the scores of good and anomalous
 * validation crops as histograms with the threshold, and a slider to see what another threshold would trade
 * (good crops rejected against anomalies missed).
 *
 * The model's threshold is part of the model (set at training from held-out good crops and the type's
 * false_reject_rate); the slider only explores, and the page says how to move the threshold for real. A crop counts
 * as rejected at score >= threshold, the model's own rule (training/metrics.py `anomaly_metrics`).
 * @module pages/train-anomaly
 */

import { scoreHistogram } from '../charts.js';
import { h, percent } from '../ui.js';

const STEPS = 200;

/**
 * @param {any} m the model's metrics: `threshold`, `scores` ({good, anomalous}), `false_reject_rate`,
 *   `detection_rate`, `auroc`; with painted regions `painted_crops`, `pixel_auroc` and `pixel_iou`.
 * @param {any} spec the anomaly type in the recipe document (its false_reject_rate now).
 * @param {(label: string, value: any) => HTMLElement} metric a figure tile.
 * @returns {HTMLElement[]}
 */
export function anomalyFigures(m, spec, metric) {
  if (m.threshold === undefined || !m.scores) return [];
  const scores = m.scores;
  const threshold = m.threshold;
  const high = Math.max(threshold, ...scores.good, ...scores.anomalous) * 1.15 || 1;
  const step = (value) => Math.round((value / high) * STEPS);
  const at = (index) => (index / STEPS) * high;
  const slider = h('input', { type: 'range', min: 0, max: STEPS, step: 1, value: step(threshold),
    'aria-label': 'Threshold to try', 'data-testid': 'threshold-slider' });
  const value = h('strong.mono', { 'data-testid': 'threshold-value' });
  const rejected = h('div.n', { 'data-testid': 'good-rejected' });
  const missed = h('div.n', { 'data-testid': 'defects-missed' });
  const chart = h('div');
  const paint = () => {
    const index = Number(slider.value);
    const chosen = index === step(threshold) ? threshold : at(index);
    value.textContent = chosen.toFixed(4);
    rejected.textContent = `${scores.good.filter((v) => v >= chosen).length} of ${scores.good.length}`;
    missed.textContent = scores.anomalous.length
      ? `${scores.anomalous.filter((v) => v < chosen).length} of ${scores.anomalous.length}` : 'unknown';
    chart.replaceChildren(scoreHistogram(scores, threshold, chosen, high));
  };
  slider.addEventListener('input', paint);
  paint();
  const rate = spec?.false_reject_rate ?? 0.01;
  const source = scores.anomalous.length
    ? `The threshold ${threshold.toFixed(4)} was set from the ${scores.good.length} good crops alone, each scored by a model `
      + `that did not learn it, so that about ${percent(rate)} of good crops are rejected (false_reject_rate ${rate}); `
      + `the ${scores.anomalous.length} anomalous crops only check it.`
    : `The threshold ${threshold.toFixed(4)} came from held-out good crops only: the ${scores.good.length} good crops, each `
      + `scored by a model that did not learn it, at false_reject_rate ${rate} (about ${percent(rate)} of good crops `
      + 'rejected). No anomalous crop is labelled, so how many anomalies it misses is unknown: label some "anomalous" to see it.';
  return [
    h('div.metrics', null, metric('Threshold', threshold.toFixed(4)),
      metric('Good rejected', percent(m.false_reject_rate)),
      metric('Anomalies detected', m.detection_rate == null ? 'unknown' : percent(m.detection_rate)),
      metric('AUROC', m.auroc == null ? 'n/a' : m.auroc.toFixed(3)),
      ...(m.painted_crops ? [
        metric('Pixel AUROC', m.pixel_auroc == null ? 'n/a' : m.pixel_auroc.toFixed(3)),
        metric('Region IoU', m.pixel_iou == null ? 'n/a' : m.pixel_iou.toFixed(3))] : [])),
    m.painted_crops ? h('p.muted.small', { 'data-testid': 'painted-figures' }, `Pixel by pixel on the `
      + `${m.painted_crops} anomalous crop(s) with a painted region: pixel AUROC is the chance a painted pixel is `
      + 'hotter than an unpainted one; region IoU compares the region at the threshold with the painted one.') : null,
    h('p.notice.info', { 'data-testid': 'threshold-source' }, source),
    h('div.stack.threshold', { 'data-testid': 'threshold', 'data-class': 'anomalous' },
      h('h3', null, 'Scores of validation crops'),
      chart,
      h('div.threshold-row', null, slider, value),
      h('div.metrics', null,
        h('div.metric', null, rejected, h('div.k', null, 'Good crops rejected')),
        h('div.metric', null, missed, h('div.k', null, 'Anomalies missed'))),
      h('p.muted.small', null, 'The slider only shows what another threshold would trade. The station uses the '
        + 'model\'s threshold: to move it, change the type\'s false reject rate in the editor and train again.')),
  ];
}
