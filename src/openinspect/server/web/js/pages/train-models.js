/**
 * The Training page's model versions of a type: which one the station runs, Deploy for a candidate, Roll back.
 * Deploying and rolling back are engineer-only, as the API has them; a version trained for other classes than the
 * recipe lists shows why it cannot be deployed. The station runs a deployed version from its next trigger.
 * @module pages/train-models
 */

import * as api from '../api.js';
import { h, percent, render, shortWhen, reportError, toast } from '../ui.js';

/**
 * @param {string} recipe the recipe's name.
 * @param {string} typeName the inspection type.
 * @returns {HTMLElement} the list, filled once the API answers and again after each deploy or rollback.
 */
export function modelVersions(recipe, typeName) {
  const box = h('div.stack', { 'data-testid': 'model-versions' });
  const path = `/recipes/${encodeURIComponent(recipe)}/types/${encodeURIComponent(typeName)}/models`;

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
    return h('li.actions', { 'data-testid': `model-v${v.version}` },
      h('strong', null, `v${v.version}`), ` ${v.mode} · ${shortWhen(v.created_at)}`,
      figure === undefined ? null : ` · ${percent(figure)}`,
      v.state === 'candidate' ? h('span.badge.accent', null, 'candidate') : null, action);
  }

  async function show() {
    try {
      const list = await api.get(path);
      render(box, h('h3', null, 'Model versions'),
        h('ul.stack', { style: 'list-style: none; padding: 0; margin: 0' }, list.versions.map(row)),
        list.versions.length > 1 ? h('div.actions', null, h('button.engineer-only', {
          type: 'button', 'data-testid': 'rollback',
          onclick: () => change(() => api.post(`${path}/deployed/rollback`), (d) => `Rolled back to v${d.version}`),
        }, 'Roll back')) : null);
    } catch (err) {
      render(box, h('p.muted', null, `Model versions not available: ${err.message}`));
    }
  }

  show();
  return box;
}
