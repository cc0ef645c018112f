/**
 * The web UI's entry: sign-in, the hash router and the shell.
 * @module app
 */

import * as api from './api.js';
import * as events from './events.js';
import * as station from './station.js';
import { field, h, mayLeave, render, reportError, setLeaveGuard } from './ui.js';

/**
 * Pages by the first part of the hash route; each module exports `mount(view, params)`, which may return a
 * clean-up function (or a promise of one).
 * @type {Record<string, () => Promise<{mount: (view: HTMLElement, params: string[]) => any}>>}
 */
const PAGES = {
  live: () => import('./pages/live.js'),
  recipes: () => import('./pages/recipes.js'),
  label: () => import('./pages/label.js'),
  synth: () => import('./pages/synth.js'),
  train: () => import('./pages/train.js'),
  history: () => import('./pages/history.js'),
  audit: () => import('./pages/audit.js'),
  settings: () => import('./pages/settings.js'),
};

/** What the sign-in view says after the station refused the stored token. */
const TOKEN_REFUSED = 'Your token was not accepted: sign in again.';

/** @type {(() => void)|null} */
let cleanup = null;
let generation = 0;

/** @returns {{page: string, params: string[]}} the route the address names. */
function parseRoute() {
  const parts = window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const page = PAGES[parts[0]] ? parts[0] : 'live';
  return { page, params: parts.slice(1) };
}

/** The address of the page on screen, to go back to when its page refuses to be left. */
let shownHash = '';

async function show() {
  if (window.location.hash !== shownHash && shownHash && !(await mayLeave())) {
    window.history.replaceState(null, '', shownHash);
    return;
  }
  setLeaveGuard(null);
  shownHash = window.location.hash || '#/live';
  const { page, params } = parseRoute();
  const mine = ++generation;
  if (cleanup) {
    try {
      cleanup();
    } catch (err) {
      console.error(err);
    }
    cleanup = null;
  }
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const main = /** @type {HTMLElement} */ (document.getElementById('view'));
  main.dataset.page = page;
  // the page's own box: a page still loading when the person leaves it or is sent to sign-in writes into a
  // detached box, never over what is shown now
  const view = h('div');
  render(main, view);
  try {
    const module = await PAGES[page]();
    if (mine !== generation) return;
    const done = await module.mount(view, params);
    if (mine !== generation) {
      if (typeof done === 'function') done();
      return;
    }
    cleanup = typeof done === 'function' ? done : null;
  } catch (err) {
    reportError(err);
    render(view, failedPage(err));  // detached when the person has moved on or been sent to sign-in
  }
}

/** @param {any} err why a page could not be shown @returns {HTMLElement} that reason, in place of the page. */
function failedPage(err) {
  return h('section.page', null, h('div.card.empty', { 'data-testid': 'page-error' },
    h('strong', null, 'This page could not be shown'), h('p', null, err && err.message ? err.message : String(err)),
    h('a.button', { href: '#/live' }, 'Go to Live')));
}

function showSignIn(message) {
  signedIn = false;
  setLeaveGuard(null);
  if (cleanup) cleanup();
  cleanup = null;
  generation++;
  const view = /** @type {HTMLElement} */ (document.getElementById('view'));
  const input = h('input', { name: 'token', type: 'password', required: true, autocomplete: 'current-password',
                             'aria-label': 'Station token' });
  const problem = h('p.notice.error', { hidden: !message, role: 'alert' }, message || '');
  const form = h('form', null,
    h('h1', null, 'Sign in to this station'),
    h('p.muted', null, 'Enter the station token. On the station PC ', h('code', null, 'openinspect serve'),
      ' prints it, with a sign-in link, at its first start only (lost it? delete ',
      h('code', null, 'openinspect-home/station-token'), ' and restart); your administrator gives operator tokens.'),
    field('Station token', input), problem,
    h('button.primary.big', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    api.setToken(input.value.trim());
    try {
      await api.get('/status');
    } catch (err) {
      api.setToken(null);
      problem.textContent = err.status === 401 ? 'This token is not known to the station.' : err.message;
      problem.hidden = false;
      return;
    }
    document.getElementById('sign-out').hidden = false;
    events.restart();
    enter();
  });
  render(view, h('section.card.signin', null, form));
  input.focus();
}

async function boot() {
  api.adoptTokenFromUrl();
  window.addEventListener('auth-required', () => {
    if (signedIn) signOut(TOKEN_REFUSED);
  });
  window.addEventListener('unhandledrejection', (event) => {
    event.preventDefault();  // reported here instead of only in the console
    reportError(event.reason);
  });
  document.getElementById('sign-out').addEventListener('click', () => signOut(''));
  try {
    await api.get('/status');
  } catch (err) {
    if (err.status === 401) {
      signOut(api.getToken() ? TOKEN_REFUSED : '');
      return;
    }
  }
  document.getElementById('sign-out').hidden = !api.getToken();
  events.start();
  enter();
}

/**
 * Forget the token, stop following the station and show the sign-in view.
 * @param {string} message why, or '' when the person signed out.
 */
function signOut(message) {
  api.setToken(null);
  station.stop();
  document.getElementById('sign-out').hidden = true;
  document.getElementById('role').hidden = true;
  showSignIn(message);
}

/** Signed in: learn the token's role, follow the station and show the page the address names. */
async function enter() {
  signedIn = true;
  const session = await api.get('/session').catch((err) => (reportError(err), { role: 'operator' }));
  if (!signedIn) return;  // the station refused the token: the sign-in view is up
  document.body.dataset.role = session.role;
  const badge = document.getElementById('role');
  badge.textContent = session.role === 'engineer' ? 'Engineer' : 'Operator';
  badge.hidden = false;
  station.start();
  show();
}

/**
 * A sign-in link pasted into this open tab: only the address's fragment changed, so the page did not load again.
 * Its token replaces the stored one (the address no longer shows it) and the station is asked whether it knows it.
 */
async function adoptLink() {
  try {
    await api.get('/status');
  } catch (err) {
    if (err.status === 401) signOut('The sign-in link\'s token was not accepted: sign in again.');
    else reportError(err);
    return;
  }
  document.getElementById('sign-out').hidden = false;
  events.restart();
  enter();
}

let signedIn = false;
window.addEventListener('hashchange', () => {
  if (api.adoptTokenFromUrl()) adoptLink();
  else if (signedIn) show();
});
boot();
