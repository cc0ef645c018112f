/**
 * Metrics as pictures (SVG): a confusion matrix, horizontal bars (per-class IoU, precision/recall), a
 * threshold trade-off, a line chart (the training loss) and a histogram of anomaly scores.
 * @module charts
 */

const NS = 'http://www.w3.org/2000/svg';

/**
 * @param {string} tag
 * @param {Record<string, any>} attrs
 * @param {string} [text]
 * @returns {SVGElement}
 */
function s(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * A confusion matrix: rows are the true classes, columns the predicted ones; cell shade by row share.
 * @param {string[]} classes
 * @param {number[][]} matrix counts, `matrix[true][predicted]`.
 * @returns {SVGSVGElement}
 */
export function confusionMatrix(classes, matrix) {
  const cell = 56;
  const left = 110;
  const top = 60;
  const n = classes.length;
  const width = left + n * cell + 10;
  const height = top + n * cell + 30;
  const svg = /** @type {SVGSVGElement} */ (s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'chart',
    role: 'img', 'aria-label': 'Confusion matrix', 'data-testid': 'confusion-matrix' }));
  svg.append(s('text', { x: left + (n * cell) / 2, y: 16, 'text-anchor': 'middle', 'font-weight': 600 }, 'predicted'));
  svg.append(s('text', { x: 12, y: top + (n * cell) / 2, 'text-anchor': 'middle', 'font-weight': 600,
    transform: `rotate(-90 12 ${top + (n * cell) / 2})` }, 'true'));
  classes.forEach((name, j) => svg.append(s('text', { x: left + j * cell + cell / 2, y: top - 10, 'text-anchor': 'middle' }, name)));
  classes.forEach((name, i) => {
    svg.append(s('text', { x: left - 8, y: top + i * cell + cell / 2 + 4, 'text-anchor': 'end' }, name));
    const total = matrix[i].reduce((a, b) => a + b, 0) || 1;
    matrix[i].forEach((count, j) => {
      const share = count / total;
      const hue = i === j ? '26, 127, 55' : '207, 34, 46';
      svg.append(s('rect', { x: left + j * cell + 1, y: top + i * cell + 1, width: cell - 2, height: cell - 2, rx: 6,
        fill: count ? `rgba(${hue}, ${0.15 + 0.75 * share})` : '#f3f5f8' }));
      svg.append(s('text', { x: left + j * cell + cell / 2, y: top + i * cell + cell / 2 + 5, 'text-anchor': 'middle',
        'font-weight': 700, fill: share > 0.6 ? '#fff' : '#18202b' }, String(count)));
    });
  });
  return svg;
}

/**
 * Horizontal bars of fractions 0..1.
 * @param {{label: string, value: number|null, colour?: string}[]} rows
 * @param {string} title accessible name.
 * @returns {SVGSVGElement}
 */
export function bars(rows, title) {
  const left = 120;
  const barWidth = 220;
  const rowHeight = 28;
  const width = left + barWidth + 60;
  const height = rows.length * rowHeight + 8;
  const svg = /** @type {SVGSVGElement} */ (s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'chart',
    role: 'img', 'aria-label': title }));
  rows.forEach((row, i) => {
    const y = i * rowHeight + 4;
    svg.append(s('text', { x: left - 8, y: y + 15, 'text-anchor': 'end' }, row.label));
    svg.append(s('rect', { x: left, y: y + 3, width: barWidth, height: 16, rx: 4, fill: '#eef1f5' }));
    if (row.value !== null && row.value !== undefined) {
      svg.append(s('rect', { x: left, y: y + 3, width: Math.max(2, barWidth * row.value), height: 16, rx: 4,
        fill: row.colour || '#1f6feb' }));
    }
    svg.append(s('text', { x: left + barWidth + 8, y: y + 15 },
      row.value === null || row.value === undefined ? '–' : `${Math.round(row.value * 100)} %`));
  });
  return svg;
}

/**
 * An empty chart of counts: the plot's background and its count axis from 0 to `most`, room below for a legend.
 * @param {number} plotWidth @param {number} plotHeight the plot area.
 * @param {number} most the count at the top.
 * @param {Record<string, any>} attrs the svg's accessible name, test id and data.
 * @returns {{svg: SVGSVGElement, left: number, top: number, height: number}} the chart and where its plot sits.
 */
function countPlot(plotWidth, plotHeight, most, attrs) {
  const left = 34;
  const top = 12;
  const width = left + plotWidth + 12;
  const height = top + plotHeight + 40;
  const svg = /** @type {SVGSVGElement} */ (s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'chart',
    role: 'img', ...attrs }));
  svg.append(s('rect', { x: left, y: top, width: plotWidth, height: plotHeight, fill: '#f6f8fa' }));
  for (const [count, anchor] of [[0, plotHeight], [most, 0]]) {
    svg.append(s('text', { x: left - 6, y: top + anchor + 4, 'text-anchor': 'end' }, String(count)));
  }
  return { svg, left, top, height };
}

/**
 * A fail-class threshold's trade-off: good crops rejected and defects missed at each threshold step, as step
 * lines over the threshold axis, with a marker at the chosen step and a tick at the saved one.
 * @param {{threshold: number|null, good_rejected: number, defects_missed: number}[]} points one per step;
 *   step 0 is "no threshold", step k is k / (points.length - 1).
 * @param {number} chosen the marked step.
 * @param {number} saved the recipe's step.
 * @returns {SVGSVGElement}
 */
export function tradeoff(points, chosen, saved) {
  const plotWidth = 300;
  const plotHeight = 110;
  const most = Math.max(1, ...points.map((p) => Math.max(p.good_rejected, p.defects_missed)));
  const { svg, left, top, height } = countPlot(plotWidth, plotHeight, most,
    { 'aria-label': 'Threshold trade-off', 'data-testid': 'tradeoff-chart' });
  const x = (step) => left + (plotWidth * step) / (points.length - 1);
  const y = (count) => top + plotHeight - (plotHeight * count) / most;
  for (const step of [0, (points.length - 1) / 2, points.length - 1]) {
    const label = step === 0 ? 'off' : (step / (points.length - 1)).toFixed(1);
    svg.append(s('text', { x: x(step), y: top + plotHeight + 16, 'text-anchor': 'middle' }, label));
  }
  const series = [['good_rejected', '#cf222e', 'good rejected'], ['defects_missed', '#bf8700', 'defects missed']];
  series.forEach(([key, colour, name], i) => {
    const d = points.map((p, step) => (step ? `H${x(step)} V${y(p[key])}` : `M${x(0)} ${y(p[key])}`)).join(' ');
    svg.append(s('path', { d, fill: 'none', stroke: colour, 'stroke-width': 2 }));
    svg.append(s('rect', { x: left + i * 130, y: height - 12, width: 10, height: 10, rx: 2, fill: colour }));
    svg.append(s('text', { x: left + i * 130 + 14, y: height - 3 }, name));
  });
  svg.append(s('line', { x1: x(saved), x2: x(saved), y1: top, y2: top + plotHeight, stroke: '#8c959f',
    'stroke-dasharray': '3 3' }));
  svg.append(s('line', { x1: x(chosen), x2: x(chosen), y1: top, y2: top + plotHeight, stroke: '#1f6feb',
    'stroke-width': 2, 'data-testid': 'tradeoff-marker' }));
  return svg;
}

/**
 * A line over a fixed x range from 0 (a training loss per optimiser step), so a live series grows from the left
 * as training advances; the y axis runs from 0 (or the lowest value, if negative) to a little above the highest.
 * @param {[number, number][]} points `[x, y]` pairs, x ascending.
 * @param {{title: string, xEnd?: number|null, xLabel?: string}} options `title`: the accessible name; `xEnd`:
 *   where the x axis ends (default: the last point's x); `xLabel`: the x axis's name.
 * @returns {SVGSVGElement} with `data-points`: how many points it draws.
 */
export function lineChart(points, { title, xEnd = null, xLabel = '' }) {
  const left = 48;
  const top = 10;
  const plotWidth = 420;
  const plotHeight = 120;
  const width = left + plotWidth + 14;
  const height = top + plotHeight + 34;
  const ys = points.map(([, y]) => y);
  const low = Math.min(0, ...ys);
  const high = Math.max(...ys, low + 1e-6);
  const ceiling = high + (high - low) * 0.08;  // headroom: a flat start does not run along the frame
  const span = Math.max(1, xEnd ?? 0, points.length ? points[points.length - 1][0] : 0);
  const x = (value) => left + (plotWidth * value) / span;
  const y = (value) => top + plotHeight - (plotHeight * (value - low)) / (ceiling - low);
  const svg = /** @type {SVGSVGElement} */ (s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'chart',
    role: 'img', 'aria-label': title, 'data-points': points.length }));
  svg.append(s('rect', { x: left, y: top, width: plotWidth, height: plotHeight, fill: '#f6f8fa' }));
  for (const value of points.length ? [low, high] : [low]) {
    svg.append(s('text', { x: left - 6, y: y(value) + 4, 'text-anchor': 'end' }, String(Number(value.toPrecision(3)))));
  }
  svg.append(s('text', { x: left, y: top + plotHeight + 16, 'text-anchor': 'middle' }, '0'));
  svg.append(s('text', { x: left + plotWidth, y: top + plotHeight + 16, 'text-anchor': 'middle' }, String(span)));
  svg.append(s('text', { x: left + plotWidth / 2, y: height - 3, 'text-anchor': 'middle' }, xLabel));
  if (!points.length) return svg;
  const d = points.map(([px, py], i) => `${i ? 'L' : 'M'}${x(px).toFixed(1)} ${y(py).toFixed(1)}`).join(' ');
  svg.append(s('path', { d, fill: 'none', stroke: '#1f6feb', 'stroke-width': 2, 'stroke-linejoin': 'round' }));
  const [lastX, lastY] = points[points.length - 1];
  svg.append(s('circle', { cx: x(lastX), cy: y(lastY), r: 3.5, fill: '#1f6feb' }));
  return svg;
}

/**
 * Anomaly scores of good and anomalous validation crops as two histograms over one score axis (from 0), with the
 * model's threshold dashed and a chosen threshold marked.
 * @param {{good: number[], anomalous: number[]}} scores
 * @param {number} threshold the model's.
 * @param {number} chosen the threshold the slider shows.
 * @param {number} high where the score axis ends.
 * @returns {SVGSVGElement}
 */
export function scoreHistogram(scores, threshold, chosen, high) {
  const plotWidth = 420;
  const plotHeight = 120;
  const bins = 30;
  const count = (values) => {
    const out = new Array(bins).fill(0);
    for (const v of values) out[Math.min(bins - 1, Math.max(0, Math.floor((v / high) * bins)))]++;
    return out;
  };
  const good = count(scores.good);
  const bad = count(scores.anomalous);
  const most = Math.max(1, ...good, ...bad);
  const { svg, left, top, height } = countPlot(plotWidth, plotHeight, most, { 'aria-label': 'Anomaly scores of validation crops',
    'data-testid': 'score-histogram', 'data-good': scores.good.length, 'data-anomalous': scores.anomalous.length });
  const x = (value) => left + (plotWidth * value) / high;
  const barWidth = plotWidth / bins;
  for (const value of [0, high / 2, high]) {
    svg.append(s('text', { x: x(value), y: top + plotHeight + 16, 'text-anchor': 'middle' }, value.toPrecision(2)));
  }
  const series = [[good, 'rgba(26, 127, 55, 0.65)', 'good crops', 'good'], [bad, 'rgba(207, 34, 46, 0.65)', 'anomalous crops', 'anomalous']];
  series.forEach(([counts, colour, name, key], i) => {
    counts.forEach((n, b) => {
      if (!n) return;
      const barHeight = (plotHeight * n) / most;
      svg.append(s('rect', { x: left + b * barWidth + 1, y: top + plotHeight - barHeight, width: barWidth - 2, height: barHeight,
        fill: colour, 'data-series': key }));
    });
    svg.append(s('rect', { x: left + i * 150, y: height - 12, width: 10, height: 10, rx: 2, fill: colour }));
    svg.append(s('text', { x: left + i * 150 + 14, y: height - 3 }, name));
  });
  svg.append(s('line', { x1: x(threshold), x2: x(threshold), y1: top, y2: top + plotHeight, stroke: '#18202b',
    'stroke-dasharray': '4 3', 'data-testid': 'histogram-threshold' }));
  svg.append(s('text', { x: left + 300, y: height - 3 }, '- - model threshold'));
  svg.append(s('line', { x1: x(chosen), x2: x(chosen), y1: top, y2: top + plotHeight, stroke: '#1f6feb',
    'stroke-width': 2, 'data-testid': 'tradeoff-marker' }));
  return svg;
}
