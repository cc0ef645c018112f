/**
 * The application assistant in the New recipe dialog: "Describe the inspection", the advice
 * (POST /api/v1/advice), and "Create this recipe" with the advised profile and inspection types.
 * @module advice
 */

import * as api from './api.js';
import { field, h, render } from './ui.js';

/**
 * A recipe document from advice: its profile and types, one whole-capture ROI per type to redraw in the editor.
 * @param {string} name
 * @param {{profile: string, types: any[]}} advice
 * @returns {any} the recipe document.
 */
export function recipeFromAdvice(name, advice) {
  return { name, profile: advice.profile, types: advice.types,
    rois: advice.types.map((type) => ({ name: `${type.name}-1`, type: type.name })) };
}

/**
 * The "Describe the inspection" section of a form. "Create this recipe" stores the advice in the hidden
 * input `advice` (JSON) and submits the form, so the dialog's own checks (the name) still run.
 * @returns {HTMLElement}
 */
export function adviceSection() {
  const text = h('textarea', { name: 'description', rows: 3, style: 'min-height: 64px; font-family: inherit',
    placeholder: 'e.g. check that both screws are present on the bracket, and find scratches anywhere on it' });
  const roi = h('input', { name: 'roi-size', placeholder: 'W x H, e.g. 2048 x 1536', autocomplete: 'off' });
  const defect = h('input', { name: 'defect-px', type: 'number', min: '0', step: 'any', placeholder: 'px' });
  const chosen = h('input', { type: 'hidden', name: 'advice', value: '' });
  const output = h('div.advice-output', { 'aria-live': 'polite' });
  const ask = h('button', { type: 'button', onclick: () => showAdvice() }, 'Get advice');
  const section = h('details.advice', null,
    h('summary', null, 'Describe the inspection'),
    h('p.muted', null, 'Say what must be checked, in your own words: the assistant recommends the inspection type, '
      + 'a starting set of classes and rules, and how many images to label.'),
    field('What should the station check?', text),
    h('div.chips', null, field('ROI size (optional)', roi), field('Smallest defect (optional)', defect)),
    h('div', null, ask), output, chosen);

  async function showAdvice() {
    const body = { description: text.value };
    const size = roi.value.match(/^\s*(\d+)\s*[x×,]\s*(\d+)\s*$/i);
    if (size) body.roi = [Number(size[1]), Number(size[2])];
    if (defect.value) body.defect_size_px = Number(defect.value);
    chosen.value = '';
    ask.disabled = true;
    try {
      const advice = await api.request('POST', '/advice', { json: body });
      render(output, adviceView(advice, () => {
        chosen.value = JSON.stringify({ profile: advice.profile, types: advice.types });
        section.closest('form').requestSubmit();
      }));
    } catch (err) {
      render(output, h('p.notice.error', { role: 'alert' }, err.message || String(err)));
    } finally {
      ask.disabled = false;
    }
  }
  return section;
}

/** @param {any} advice @param {() => void} create */
function adviceView(advice, create) {
  const confidence = Math.round(advice.confidence * 100);
  return h('div.advice-result', null,
    h('p', null, h('strong', null, `Recommended: ${advice.recommendation}`), ' ',
      h(`span.badge.${confidence >= 50 ? 'accent' : 'warn'}`, null, `${confidence} % sure`), ' ',
      h('span.muted', null, `profile ${advice.profile}`)),
    h('ul.advice-reasons', null, advice.reasons.map((reason) => h('li', null, reason))),
    advice.ask.length ? h('div.notice.info', null, h('strong', null, 'What would decide it:'),
      h('ul', null, advice.ask.map((q) => h('li', null, q)))) : null,
    h('ul.advice-types', null, advice.types.map((type) => h('li', null,
      h('strong', null, type.name), ` (${type.kind}): `, typeSummary(type),
      h('div.muted', null, advice.images_to_label[type.name].what)))),
    advice.resolution && advice.resolution.recommendations.length
      ? h('div.notice.error', null, advice.resolution.recommendations.join(' ')) : null,
    h('button.primary', { type: 'button', onclick: create }, 'Create this recipe'));
}

/** @param {any} type */
function typeSummary(type) {
  const names = (type.classes || type.pixel_classes || []).map((c) => c.name).join(', ') || 'good parts only';
  const rules = (type.rules || []).map((r) => `${r.class} ${r.measure} ${r.op} ${r.value}`).join('; ');
  return rules ? `${names} · rule: ${rules}` : names;
}
