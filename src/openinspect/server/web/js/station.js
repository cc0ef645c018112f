/**
 * The station's state shared by the pages: status (polled and refreshed on every result) and the top bar.
 * @module station
 */

import * as api from './api.js';
import * as events from './events.js';
import { h, render, reportError } from './ui.js';

/** @type {any|null} the last `/status` answer. */
let status = null;
/** @type {Set<(status: any) => void>} */
const watchers = new Set();
let timer = 0;

/** @returns {any|null} the last known station status. */
export function current() {
  return status;
}

/**
 * Be told of every status change.
 * @param {(status: any) => void} handler
 * @returns {() => void} stops watching.
 */
export function watch(handler) {
  watchers.add(handler);
  if (status) handler(status);
  return () => watchers.delete(handler);
}

/**
 * Ask the station for its status now. No answer shows as "Station not reachable" in the top bar; any other
 * failure is reported too.
 * @returns {Promise<any|null>}
 */
export async function refresh() {
  try {
    status = await api.get('/status');
  } catch (err) {
    status = null;
    if (err.status !== 0) reportError(err);
  }
  paintTopbar();
  for (const handler of watchers) handler(status);
  return status;
}

/** @type {(() => void)[]} */
let following = [];

/** Start polling and follow the live feed. */
export function start() {
  stop();
  following = [events.on('result', () => refresh()), events.on('station', () => refresh()),
    events.on('connection', () => paintTopbar())];
  timer = setInterval(refresh, 5000);
  return refresh();
}

/** Stop polling and following the live feed (signed out). */
export function stop() {
  for (const unfollow of following) unfollow();
  following = [];
  clearInterval(timer);
}

function paintTopbar() {
  const box = document.getElementById('station-status');
  if (!box) return;
  let state = 'offline';
  let text = [h('span', null, 'Station not reachable')];
  if (status) {
    state = status.busy ? 'busy' : status.ready ? 'ready' : 'idle';
    const word = { busy: 'Inspecting', ready: 'Ready', idle: 'No active recipe' }[state];
    text = [
      h('strong', null, word),
      status.recipe ? h('span', null, '· recipe ', h('strong', { 'data-testid': 'active-recipe' }, status.recipe)) : null,
      events.isConnected() ? null : h('span.badge.warn', null, 'live feed reconnecting'),
    ];
  }
  render(box, h('span.dot', { 'data-state': state }), ...text);
}
