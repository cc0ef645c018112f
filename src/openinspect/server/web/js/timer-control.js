/**
 * Start/Stop of timed triggering, for the Live page: follows the station's status (and its `station` live event), so
 * every browser shows the same state. Operators and engineers may start and stop; the mode and interval are set on
 * the Station settings page.
 * @module timer-control
 */

import * as api from './api.js';
import * as station from './station.js';
import { h, render, reportError } from './ui.js';

/**
 * @returns {{element: HTMLElement, stop: () => void}} the control, and what stops it following the station.
 */
export function timerControl() {
  const state = h('p.small.timer-state', { 'data-testid': 'timer-state' }, 'Timed triggering: …');
  const button = h('button.timer-toggle', { type: 'button', 'data-testid': 'timer-toggle', hidden: true }, 'Start');
  const element = h('div.timer-control', null, state, button);
  /** @type {any|null} */
  let timer = null;

  /** @param {any} status the station's status. */
  function paint(status) {
    if (!status || !status.timer) return;
    timer = status.timer;
    const timed = timer.mode === 'timed';
    element.dataset.running = String(timer.running);
    render(state, timed
      ? [h(`span.badge.${timer.running ? 'pass' : 'warn'}`, null, timer.running ? 'Running' : 'Stopped'),
        ` Timed triggering every ${timer.interval_s} s`]
      : 'Manual triggering: an engineer chooses timed in Station settings.');
    button.hidden = !timed;
    button.textContent = timer.running ? 'Stop timer' : 'Start timer';
    button.className = `timer-toggle ${timer.running ? 'danger' : 'primary'}`;
  }

  button.addEventListener('click', async () => {
    if (!timer) return;
    button.disabled = true;
    try {
      await api.put('/station/timer', { running: !timer.running });
      await station.refresh();
    } catch (err) {
      reportError(err);
    } finally {
      button.disabled = false;
    }
  });
  return { element, stop: station.watch(paint) };
}
