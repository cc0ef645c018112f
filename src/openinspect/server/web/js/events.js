/**
 * The station's live feed (WebSocket `/api/v1/ws`): results and training updates, reconnecting on its own.
 * @module events
 */

import { API, getToken } from './api.js';

/** @type {Map<string, Set<(data: any) => void>>} */
const listeners = new Map();
/** @type {WebSocket|null} */
let socket = null;
let retry = 500;
let connected = false;
let started = false;

/**
 * Listen to one kind of message: `result`, `training`, or `connection` (true/false).
 * @param {string} event
 * @param {(data: any) => void} handler
 * @returns {() => void} removes the listener.
 */
export function on(event, handler) {
  if (!listeners.has(event)) listeners.set(event, new Set());
  listeners.get(event).add(handler);
  return () => listeners.get(event)?.delete(handler);
}

/** @param {string} event @param {any} data */
function emit(event, data) {
  for (const handler of listeners.get(event) ?? []) {
    try {
      handler(data);
    } catch (err) {
      console.error(err);
    }
  }
}

/** @returns {boolean} whether the feed is connected now. */
export function isConnected() {
  return connected;
}

/** Open the feed (once); it reconnects after drops with a growing pause. */
export function start() {
  if (started) return;
  started = true;
  connect();
}

/** Drop the connection and connect again (after a sign-in). */
export function restart() {
  if (socket) socket.close();
  else if (started) connect();
  else start();
}

function connect() {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const token = encodeURIComponent(getToken() || '');
  socket = new WebSocket(`${scheme}://${window.location.host}${API}/ws?token=${token}`);
  socket.onopen = () => {
    retry = 500;
    connected = true;
    emit('connection', true);
  };
  socket.onmessage = (message) => {
    try {
      const { event, data } = JSON.parse(message.data);
      emit(event, data);
    } catch (err) {
      console.error('unreadable live message', err);
    }
  };
  socket.onclose = () => {
    socket = null;
    if (connected) emit('connection', false);
    connected = false;
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 8000);
  };
}
