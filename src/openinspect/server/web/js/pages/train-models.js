/**
 * The Training page's model versions of a type: which one the station runs, Deploy for a candidate, Roll back,
 * and Backtest a candidate: how many verdicts of the archived captures and labelled images it would have changed.
 * Deploying, rolling back and backtesting are engineer-only, as the API has them; a version trained for other classes than the
 * recipe lists shows why it cannot be deployed. The station runs a deployed version from its next trigger.
 * @module pages/train-models
 */

import * as api from '../api.js';
import { h, modeText, percent, render, shortWhen, reportError, toast } from '../ui.js';

/**
 * @param {string} recipe the recipe's name.
 * @param {string} typeName the inspection type.
 * @returns {HTMLElement} the list, filled once the API answers and again after each deploy or rollback.
 */
export function modelVersions(recipe, typeName) {
  const box = h('div.stack', { 'data-testid': 'model-versions' });
  const typePath = `/recipes/${encodeURIComponent(recipe)}/types/${encodeURIComponent(typeName)}`;
  const path = `${typePath}/models`;
  const backtest = backtestPanel(`${typePath}/backtests`, box);

  /** @param {() => Promise<any>} call @param {(d: any) => string} said */
  async function change(call, said) {
    try {
      toast(said(await call()), 'ok');
    } catch (err) {
      reportError(err);
    }
    show();
  }

  /** @param {any} v a model version. */
  function row(v) {
    const figure = v.metrics?.balanced_accuracy ?? v.metrics?.detection_rate;
    const action = v.state === 'deployed' ? h('span.badge.pass', { 'data-testid': 'deployed' }, 'Deployed')
      : h('button.engineer-only', {
        type: 'button', 'data-testid': 'deploy', disabled: Boolean(v.problem), title: v.problem || '',
        onclick: () => change(() => api.put(`${path}/deployed`, { version: v.version }),
          (d) => `v${d.version} deployed: the station runs it from the next trigger`),
      }, 'Deploy');
    const trial = v.state === 'deployed' ? null : h('button.engineer-only', {
      type: 'button', 'data-testid': 'backtest', disabled: Boolean(v.problem), title: v.problem || '',
      onclick: () => backtest.start(v.version),
    }, 'Backtest');
    return h('li.actions', { 'data-testid': `model-v${v.version}` },
      h('strong', null, `v${v.version}`), ` ${modeText(v.mode)} · ${shortWhen(v.created_at)}`,
      figure === undefined ? null : ` · ${percent(figure)}`,
      v.state === 'candidate' ? h('span.badge.accent', null, 'candidate') : null, action, trial);
  }

  async function show() {
    try {
      const list = await api.get(path);
      render(box, h('h3', null, 'Model versions'),
        h('ul.stack', { style: 'list-style: none; padding: 0; margin: 0' }, list.versions.map(row)),
        list.versions.length > 1 ? h('div.actions', null, h('button.engineer-only', {
          type: 'button', 'data-testid': 'rollback',
          onclick: () => change(() => api.post(`${path}/deployed/rollback`), (d) => `Rolled back to v${d.version}`),
        }, 'Roll back')) : null, backtest.element);
    } catch (err) {
      render(box, h('p.muted', null, `Model versions not available: ${err.message}`));
    }
  }

  show();
  return box;
}

const POLL_MS = 500;

/**
 * A backtest's progress and result line, with a "view them" toggle listing the changed captures.
 * @param {string} path the type's backtests endpoint.
 * @param {HTMLElement} page an element of the page: polling stops once it leaves the document.
 * @returns {{element: HTMLElement, start: (candidate: number) => Promise<void>}}
 */
function backtestPanel(path, page) {
  const element = h('div.stack', { 'data-testid': 'backtest-result' });

  async function follow() {
    try {
      const job = await api.get(`${path}/latest`);
      render(element, ...describe(job));
      if (job.state === 'running' && page.isConnected) setTimeout(follow, POLL_MS);
    } catch (err) {
      reportError(err);
    }
  }

  /** @param {number} candidate the version to backtest. */
  async function start(candidate) {
    try {
      await api.post(path, { candidate });
      follow();
    } catch (err) {
      reportError(err);
    }
  }

  return { element, start };
}

/** @param {any} job a backtest job. @returns {Array<HTMLElement|string|null>} what to show of it. */
function describe(job) {
  const title = `Backtest of v${job.candidate} against deployed v${job.deployed}`;
  if (job.state === 'running') return [h('p.muted', null, `${title}: ${percent(job.progress)} · ${job.message}`)];
  if (!job.report) return [h('p.muted', null, `${title}: ${job.state}${job.error ? ` · ${job.error}` : ''}`)];
  const r = job.report;
  const changed = [...r.pass_to_fail.map((c) => [c, 'pass→fail']), ...r.fail_to_pass.map((c) => [c, 'fail→pass'])];
  const agreement = r.agreement.rois ? ` · agreement with ${r.agreement.rois} labelled ROI(s): deployed `
    + `${percent(r.agreement.deployed)}, candidate ${percent(r.agreement.candidate)}` : '';
  const list = h('ul', { hidden: true, 'data-testid': 'backtest-changes' }, changed.map(([c, flip]) => h('li', null,
    c.source === 'result' ? h('a', { href: '#/history', title: 'result id' }, c.capture) : `labelled image ${c.capture}`,
    ` ${flip} (${c.reasons.join(', ')})`)));
  return [h('p', { 'data-testid': 'backtest-line' }, `${title}: would have changed ${changed.length} of `
    + `${r.captures + r.images} verdicts (${r.pass_to_fail.length} pass→fail, ${r.fail_to_pass.length} fail→pass)`
    + agreement, changed.length ? h('button', { type: 'button', 'data-testid': 'backtest-view',
    onclick: () => { list.hidden = !list.hidden; } }, 'View them') : null), list];
}
