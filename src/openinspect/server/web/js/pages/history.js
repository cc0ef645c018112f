/**
 * Placeholder until this page lands.
 * @module pages/history
 */

import { h, render } from '../ui.js';

/** @param {HTMLElement} view */
export function mount(view) {
  render(view, h('section.page', null, h('div.card.empty', null, h('strong', null, 'Coming soon'))));
}
