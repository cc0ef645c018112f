/**
 * Training: start Fast or Accurate per inspection type (anomaly types: one Train), follow it live (WebSocket: stage, epoch, step, loss curve
 * of the model training now, ETA), read the metrics and the validation review (method, crops got wrong,
 * fail-class thresholds: pages/train-review.js), deploy a model version or roll back (pages/train-models.js).
 * Operators follow training and read the review; what changes the recipe or its data is engineer-only.
 * Types sit side by side, each card in two columns (figures; review and versions) where the screen is wide. While a
 * type retrains, the figures shown are its previous model's, and say so. An anomaly model's figures (score histograms,
 * threshold) are in pages/train-anomaly.js.
 * @module pages/train
 */

import * as api from '../api.js';
import { bars, confusionMatrix, lineChart } from '../charts.js';
import * as events from '../events.js';
import { classBadge } from '../capture-view.js';
import { chooseRecipe, loadDocument } from '../recipes-data.js';
import { duration, h, modeText, percent, render, reportError, toast } from '../ui.js';
import { anomalyFigures } from './train-anomaly.js';
import { modelVersions } from './train-models.js';
import { validationReview } from './train-review.js';

/**
 * @param {HTMLElement} view
 * @param {string[]} params `[recipe]`, optional.
 */
export async function mount(view, params) {
  const chosen = await chooseRecipe(view, params[0]);
  if (!chosen) return undefined;
  const { recipes, name } = chosen;
  let doc = await loadDocument(name);
  const recipeSelect = h('select', { 'aria-label': 'Recipe', onchange: (e) => { window.location.hash = `#/train/${encodeURIComponent(e.target.value)}`; } },
    recipes.map((r) => h('option', { value: r.name, selected: r.name === name }, r.name)));
  const jobBox = h('div.card.stack', { 'data-testid': 'training-job', hidden: true });
  const grid = h('div.train-grid');
  render(view, h('section.page', null,
    h('div.page-head', null,
      h('div', null, h('h1', null, 'Training'),
        h('p.sub', null, 'Fast trains in seconds to try a set-up; Accurate takes minutes and is for production.')),
      h('div.actions', null, recipeSelect, h('a.button.engineer-only', { href: `#/label/${encodeURIComponent(name)}` }, '← Labelling'))),
    jobBox, grid));

  /** @type {any|null} */
  let job = null;
  let tick = 0;

  async function reload() {
    try {
      const [state, fresh] = await Promise.all([api.get(`/recipes/${encodeURIComponent(name)}`), loadDocument(name)]);
      doc = fresh;
      render(grid, state.types.map((t) => typeCard(t, doc.types.find((d) => d.name === t.name))));
    } catch (err) {
      reportError(err);
    }
  }

  /** @param {any} state the type's state (labels, model). @param {any} spec the type in the document. */
  function typeCard(state, spec) {
    const running = isRunning(job);
    const counts = Object.entries(state.labels);
    const labelled = state.kind === 'segmenter' ? `${state.labels.masks ?? 0} painted captures`
      : counts.flatMap(([c, n], i) => [i ? ' ' : null, classBadge(spec, c, `${c} ${n}`)]);
    const withSynthetic = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', checked: true,
      'data-testid': 'train-synthetic' }));
    const withUnlabelled = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', checked: true,
      'data-testid': 'train-unlabelled' }));
    const start = (mode) => h(`button.engineer-only${mode === 'accurate' ? '' : '.primary'}`, {
      type: 'button', disabled: running, 'data-testid': `train-${mode}`,
      onclick: () => startTraining(state.name, mode, !state.synthetic || withSynthetic.checked, withUnlabelled.checked),
    }, { fast: 'Train Fast', accurate: state.kind === 'anomaly' ? 'Train' : 'Train Accurate' }[mode]);
    const unlabelled = state.kind === 'classifier' ? h('label.small.engineer-only', {
      title: 'A Fast teacher gives the recipe\'s unlabelled captures and the station\'s archived results a class; '
        + 'Accurate trains on those it is confident of too. They are never validation crops.' },
      withUnlabelled, ' Accurate learns from unlabelled captures too') : null;
    const synthetic = state.synthetic ? h('label.small.engineer-only', {
      title: 'Synthetic images are trained on only, never counted in the validation figures' },
      withSynthetic, ` Train on the ${state.synthetic} synthetic image${state.synthetic === 1 ? '' : 's'} too `,
      h('span.badge.synthetic', null, 'synthetic')) : null;
    const retraining = running && job.recipe === name && job.type === state.name;
    const review = state.model ? validationReview(name, state, spec) : null;
    return h('article.card.stack', { 'data-type': state.name },
      h('div.page-head', null, h('h2', null, state.name), h('span.badge', null, state.kind)),
      h('p.muted', { 'data-testid': 'label-counts' }, 'Labels: ', counts.length || state.kind === 'segmenter' ? labelled : 'none yet'),
      h('div.actions', null, state.kind === 'classifier' ? start('fast') : null, start('accurate'), synthetic,
        unlabelled),
      state.model ? h('div.train-card-body', null,
        h('div.stack', null, metricsView(state, spec, review, retraining), modelVersions(name, state.name)),
        review.details)
        : h('p.muted', null, retraining ? 'Training its first model…' : 'Not trained yet.'));
  }

  /**
   * A model's figures. @param {any} state @param {any} spec
   * @param {{method: HTMLElement}} review its validation review (how it was validated).
   * @param {boolean} previous the type is retraining: these are the previous model's figures.
   */
  function metricsView(state, spec, review, previous) {
    const m = state.model.metrics || {};
    const head = h('p', null, h('strong', null, `Model v${state.model.version}`), ` · ${modeText(state.model.mode)} · `,
      new Date(state.model.created_at.endsWith('Z') || state.model.created_at.includes('+') ? state.model.created_at : `${state.model.created_at}Z`).toLocaleString(),
      previous ? [' ', h('span.badge.previous', { 'data-testid': 'previous-model' }, 'previous model')] : null);
    const box = (...children) => h(`div.stack${previous ? '.previous-model' : ''}`, {
      'data-testid': 'metrics', title: previous ? 'The model before the training running now' : null,
    }, head, review.method, ...children);
    if (state.kind === 'segmenter') {
      const perClass = m.per_class || {};
      const colours = Object.fromEntries((spec?.pixel_classes || []).map((c) => [c.name, c.color]));
      return box(
        h('div.metrics', null, metric('Detection', percent(m.detection_rate)), metric('False alarms', percent(m.false_alarm_rate)),
          metric('Crops', m.n ?? '–')),
        h('h3', null, 'IoU per pixel class'),
        bars(Object.entries(perClass).map(([label, v]) => ({ label, value: v.iou, colour: colours[label] })), 'IoU per pixel class'));
    }
    if (state.kind === 'anomaly') return box(...anomalyFigures(m, spec, metric));
    if (m.accuracy === undefined && m.balanced_accuracy === undefined) return box();
    const classes = spec ? spec.classes.map((c) => c.name) : Object.keys(m.per_class || {});
    return box(
      h('div.metrics', null, metric('Balanced accuracy', percent(m.balanced_accuracy)), metric('Accuracy', percent(m.accuracy)),
        metric('Validated crops', m.n ?? '–')),
      m.confusion ? h('div', null, h('h3', null, 'Confusion matrix'), confusionMatrix(classes, m.confusion)) : null,
      m.per_class ? h('div', null, h('h3', null, 'Recall per class'),
        bars(classes.map((c) => ({ label: c, value: m.per_class[c]?.recall ?? null })), 'Recall per class')) : null);
  }

  /**
   * @param {string} typeName @param {'fast'|'accurate'} mode @param {boolean} synthetic train on synthetic images
   * @param {boolean} unlabelled Accurate learns from unlabelled captures
   */
  async function startTraining(typeName, mode, synthetic, unlabelled) {
    try {
      job = await api.post('/training', { recipe: name, type: typeName, mode, synthetic, unlabelled });
      paintJob();
      reload();
    } catch (err) {
      reportError(err);
    }
  }

  function paintJob() {
    if (!job) {
      jobBox.hidden = true;
      return;
    }
    jobBox.hidden = false;
    const running = isRunning(job);
    const elapsed = (job.finished ?? Date.now() / 1000) - job.started;
    // the server's estimate at its snapshot, counted down since (its stages are weighted so progress tracks time)
    const eta = running && job.remaining_s !== null ? job.remaining_s - (Date.now() / 1000 - job.updated) : null;
    const word = { running: 'Training', stopping: 'Stopping', done: 'Done', failed: 'Failed', cancelled: 'Stopped' }[job.state];
    render(jobBox,
      h('div.page-head', null,
        h('h2', null, `${word}: ${job.recipe} / ${job.type}${job.mode ? ` (${job.mode})` : ''}`),
        running ? h('button.danger.engineer-only', { type: 'button', onclick: stop, disabled: job.state === 'stopping' }, 'Stop') : null),
      h('div.progress', { role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(job.progress * 100) },
        h('div', { style: `width: ${Math.round(job.progress * 100)}%; ${job.state === 'failed' ? 'background: var(--fail)' : job.state === 'done' ? 'background: var(--pass-bright)' : ''}` })),
      h('p', { 'data-testid': 'training-status' },
        h('strong', null, `${Math.round(job.progress * 100)} %`),
        ` · ${job.stage || job.message || ''} · ${duration(elapsed)} elapsed`,
        eta === null ? '' : eta > 1 ? ` · about ${duration(eta)} left` : ' · finishing'),
      job.step !== null ? h('p', { 'data-testid': 'training-step' },
        h('strong', null, `epoch ${decimal(job.epoch)} of ${decimal(job.epochs)}`),
        ` · step ${job.step} of ${job.steps} · loss ${job.loss.toFixed(3)}`) : null,
      job.loss_curve.length ? h('div', { 'data-testid': 'loss-curve' },
        h('h3', null, `Training loss${job.folds ? ` · ${modelName(job)}` : ''}`),
        lineChart(job.loss_curve, { title: 'Training loss', xEnd: job.steps, xLabel: 'optimiser step' })) : null,
      job.error ? h('p.notice.error', null, job.error) : null);
  }

  async function stop() {
    try {
      job = await api.del('/training');
      paintJob();
    } catch (err) {
      reportError(err);
    }
  }

  job = await api.whenMissing(api.get('/training'), null);  // 404: no job since the station started
  const stopEvents = events.on('training', (data) => {
    const ended = isRunning(job) && !isRunning(data);
    const began = isRunning(data) && !isRunning(job);  // perhaps from another browser: the figures become "previous"
    job = data;
    paintJob();
    if (ended && data.recipe === name && data.state === 'done') toast(`Training done: ${data.message}`, 'ok');
    if ((ended || began) && data.recipe === name) reload();
  });
  paintJob();
  let beat = 0;
  tick = window.setInterval(async () => {
    if (!isRunning(job)) return;
    paintJob();
    if (++beat % 3) return;
    const polled = await api.get('/training').catch(quietOffline);  // a missed live message must not stall the page
    if (polled && polled.state !== job.state) {
      job = polled;
      paintJob();
      if (!isRunning(polled)) reload();
    }
  }, 1000);
  await reload();
  return () => {
    stopEvents();
    clearInterval(tick);
  };
}

/** @param {any|null} job a training job, or none. @returns {boolean} it is running (or stopping). */
function isRunning(job) {
  return Boolean(job) && ['running', 'stopping'].includes(job.state);
}

/** @param {any} job a training job. @returns {string} which of its models trains: `fold 2 of 5` or `final model`. */
function modelName(job) {
  return job.fold === null ? 'final model' : `fold ${job.fold} of ${job.folds}`;
}

/** @param {number} value @returns {string} to one decimal, without a trailing `.0` (epoch 3.2 of 30). */
function decimal(value) {
  return String(Math.round(value * 10) / 10);
}

/** @param {string} label @param {any} value */
function metric(label, value) {
  return h('div.metric', null, h('div.n', null, String(value)), h('div.k', null, label));
}

/**
 * A failed poll: no answer (a network blip) passes quietly, the next poll tries again; anything else is reported.
 * @param {any} err @returns {null}
 */
function quietOffline(err) {
  if (err.status !== 0) reportError(err);
  return null;
}
