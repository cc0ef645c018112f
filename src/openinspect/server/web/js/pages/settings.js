/**
 * Station settings (engineers): capture source, trigger mode and interval, and the outputs (MQTT, webhooks,
 * Modbus). Saving applies them to the running station at once; each section's Test reports the real result of
 * connecting with the values on screen, saved or not. Fields an environment variable sets are read-only and say so.
 * @module pages/settings
 */

import * as api from '../api.js';
import { confirmDialog, field, h, render, reportError, setLeaveGuard, toast } from '../ui.js';

const CAMERA_KINDS = ['camera', 'stream'];

/**
 * The form, section by section: `type` is text, int, number, select, check, lines (one value a line) or password;
 * `show` hides a field the section's other values make meaningless.
 */
const SECTIONS = [
  {
    key: 'capture', title: 'Capture source', test: 'Take a capture',
    sub: 'Where a trigger without an image takes its capture.',
    fields: [
      { name: 'kind', label: 'Source', type: 'select', options: [['none', 'None: triggers bring their image'],
        ['folder', 'Folder of images (replayed in order)'], ['camera', 'Camera by index'], ['stream', 'Stream URL']] },
      { name: 'folder', label: 'Folder on the station', type: 'text', placeholder: '/data/captures',
        show: (d) => d.kind === 'folder' },
      { name: 'camera', label: 'Camera index', type: 'int', placeholder: '0', show: (d) => d.kind === 'camera' },
      { name: 'url', label: 'Stream URL', type: 'text', placeholder: 'rtsp://camera.local/stream',
        show: (d) => d.kind === 'stream' },
      { name: 'width', label: 'Width (px)', type: 'int', placeholder: 'camera default', show: (d) => CAMERA_KINDS.includes(d.kind) },
      { name: 'height', label: 'Height (px)', type: 'int', placeholder: 'camera default', show: (d) => CAMERA_KINDS.includes(d.kind) },
      { name: 'exposure', label: 'Exposure (driver units)', type: 'number', placeholder: 'camera default',
        show: (d) => CAMERA_KINDS.includes(d.kind) },
    ],
  },
  {
    key: 'trigger', title: 'Trigger', sub: 'The API, the Trigger button and a PLC always trigger; timed adds a timer, '
      + 'started and stopped on the Live page.',
    fields: [
      { name: 'mode', label: 'Trigger mode', type: 'select', options: [['manual', 'Manual (API, Trigger button, PLC)'],
        ['timed', 'Timed: every interval']] },
      { name: 'interval_s', label: 'Interval (s)', type: 'number', step: '0.05', show: (d) => d.mode === 'timed' },
    ],
  },
  {
    key: 'mqtt', title: 'MQTT', test: 'Test connection', sub: 'Every result as one JSON message. No host: off.',
    fields: [
      { name: 'host', label: 'Broker host', type: 'text', placeholder: 'broker.local (empty: off)' },
      { name: 'port', label: 'Port', type: 'int' },
      { name: 'topic', label: 'Topic', type: 'text' },
      { name: 'qos', label: 'QoS', type: 'select', options: [['0', '0: at most once'], ['1', '1: at least once'],
        ['2', '2: exactly once']] },
      { name: 'retain', label: 'Retain the last result on the broker', type: 'check' },
      { name: 'username', label: 'User name', type: 'text', placeholder: 'anonymous' },
      { name: 'password', label: 'Password', type: 'password' },
    ],
  },
  {
    key: 'webhooks', title: 'Webhooks', test: 'Send a test POST', sub: 'Every result POSTed as JSON to each URL.',
    fields: [{ name: 'urls', label: 'URLs, one a line', type: 'lines', placeholder: 'http://mes.local/hook' }],
  },
  {
    key: 'modbus', title: 'Modbus TCP (PLC)', test: 'Test',
    sub: 'A PLC selects recipes, triggers and reads verdicts. No port: off. Modbus has no authentication.',
    fields: [
      { name: 'port', label: 'Port', type: 'int', placeholder: '502 (empty: off)' },
      { name: 'host', label: 'Bind address', type: 'text', placeholder: 'the HTTP server address' },
    ],
  },
];

/** @param {HTMLElement} view */
export async function mount(view) {
  const problem = h('p.notice.error', { hidden: true, role: 'alert', 'data-testid': 'settings-error' });
  const saveButton = h('button.primary', { type: 'submit', 'data-testid': 'save-settings' }, 'Save and apply');
  const body = h('div.settings-grid');
  const form = h('form', { 'data-testid': 'station-settings' }, body);
  /** @type {Map<string, {section: string, spec: any, input: HTMLInputElement|HTMLSelectElement|HTMLTextAreaElement, box: HTMLElement}>} */
  let inputs = new Map();
  let clearPassword = false;

  render(view, h('section.page', null,
    h('div.page-head', null,
      h('div', null, h('h1', null, 'Station settings'),
        h('p.sub', null, 'Saved in the workspace and applied at once, without a restart. Environment variables win.')),
      h('div.actions', null, saveButton)),
    problem, form));
  saveButton.addEventListener('click', (event) => {
    event.preventDefault();
    save();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save();
  });

  /** @param {any} settings the API's station settings. */
  function paint(settings) {
    inputs = new Map();
    clearPassword = false;
    render(body, SECTIONS.map((section) => sectionCard(section, settings)));
    refreshVisibility();
    shown = JSON.stringify(settingsDocument());
  }

  /** What the form said when the station's settings were last shown: a different form has unsaved changes. */
  let shown = '';
  const dirty = () => JSON.stringify(settingsDocument()) !== shown;

  /** @param {any} section @param {any} settings */
  function sectionCard(section, settings) {
    const values = settings[section.key];
    const fields = section.fields.map((spec) => {
      const path = `${section.key}.${spec.name}`;
      const input = control(spec, values, settings);
      const locked = settings.locked[path];
      input.disabled = Boolean(locked);
      input.addEventListener('input', refreshVisibility);
      input.addEventListener('change', refreshVisibility);
      const hint = locked
        ? h('span.locked', { 'data-testid': `locked-${path}` }, `Set by ${locked}; change the environment to change it.`)
        : null;
      const box = spec.type === 'check'
        ? h('label.field.check', null, input, spec.label, hint)
        : field(spec.label, input, null);
      if (hint && spec.type !== 'check') box.append(hint);
      inputs.set(path, { section: section.key, spec, input, box });
      return box;
    });
    const result = h('div.check-result', { hidden: true, 'data-testid': `test-${section.key}`, 'aria-live': 'polite' });
    const extra = [];
    if (section.key === 'mqtt' && values.password_set && !settings.locked['mqtt.password']) {
      const clear = h('button.small.ghost', { type: 'button', 'data-testid': 'clear-password' }, 'Remove stored password');
      clear.addEventListener('click', () => {
        clearPassword = true;
        const entry = inputs.get('mqtt.password');
        entry.input.value = '';
        entry.input.placeholder = 'no password (removed when you save)';
      });
      extra.push(clear);
    }
    const trouble = settings.problems[section.key];
    if (trouble) extra.push(h('p.notice.error', { 'data-testid': `problem-${section.key}` }, trouble));
    const testButton = section.test
      ? h('button', { type: 'button', 'data-testid': `test-${section.key}-button` }, section.test) : null;
    if (testButton) testButton.addEventListener('click', () => runTest(section.key, testButton, result));
    return h('div.card.stack.settings-section', { 'data-section': section.key },
      h('h2', null, section.title), h('p.muted.small', null, section.sub),
      h('div.settings-fields', null, fields), extra,
      testButton ? h('div.actions', null, testButton) : null, result);
  }

  /** @param {any} spec @param {any} values @param {any} settings */
  function control(spec, values, settings) {
    const value = values[spec.name];
    const name = spec.name;
    if (spec.type === 'select') {
      return h('select', { name }, spec.options.map(([v, label]) =>
        h('option', { value: v, selected: String(value) === v }, label)));
    }
    if (spec.type === 'check') return h('input', { name, type: 'checkbox', checked: Boolean(value) });
    if (spec.type === 'lines') {
      return h('textarea', { name, rows: 3, placeholder: spec.placeholder, value: (value || []).join('\n') });
    }
    if (spec.type === 'password') {
      const set = values.password_set;
      return h('input', { name, type: 'password', autocomplete: 'new-password',
        placeholder: settings.locked['mqtt.password'] ? 'set by the environment'
          : set ? 'stored (type to replace)' : 'none' });
    }
    const numeric = spec.type === 'int' || spec.type === 'number';
    return h('input', { name, type: numeric ? 'number' : 'text', step: spec.type === 'int' ? '1' : spec.step || 'any',
      placeholder: spec.placeholder, value: value == null ? '' : String(value) });
  }

  /** @param {string} key a section @returns {Record<string, any>} its values on screen, as the API takes them. */
  function sectionValues(key) {
    const out = {};
    for (const [path, { section, spec, input }] of inputs) {
      if (section !== key) continue;
      out[spec.name] = read(spec, input);
      if (path === 'mqtt.password') out.password = input.value ? input.value : clearPassword ? '' : null;
    }
    return out;
  }

  /** @param {any} spec @param {any} input @returns {any} */
  function read(spec, input) {
    const text = input.value.trim();
    if (spec.type === 'check') return input.checked;
    if (spec.type === 'lines') return text.split('\n').map((line) => line.trim()).filter(Boolean);
    if (spec.type === 'int') return text === '' ? null : Number.parseInt(text, 10);
    if (spec.type === 'number') return text === '' ? null : Number(text);
    if (spec.name === 'qos') return Number(text);
    return text === '' ? null : text;
  }

  function settingsDocument() {
    const doc = Object.fromEntries(SECTIONS.map((s) => [s.key, sectionValues(s.key)]));
    if (doc.mqtt.topic === null) delete doc.mqtt.topic;
    if (doc.trigger.interval_s === null) delete doc.trigger.interval_s;
    if (doc.mqtt.port === null) delete doc.mqtt.port;
    return doc;
  }

  function refreshVisibility() {
    const values = Object.fromEntries(SECTIONS.map((s) => [s.key, sectionValues(s.key)]));
    for (const { section, spec, box } of inputs.values()) box.hidden = Boolean(spec.show && !spec.show(values[section]));
  }

  /** @param {string} key @param {HTMLButtonElement} button @param {HTMLElement} result */
  async function runTest(key, button, result) {
    button.disabled = true;
    const label = button.textContent;
    button.textContent = 'Testing…';
    result.hidden = false;
    result.className = 'check-result';
    render(result, 'Testing…');
    try {
      const report = await api.post(`/station/settings/${key}/test`, sectionValues(key));
      result.className = `check-result ${report.ok ? 'ok' : 'fail'}`;
      render(result, h('strong', null, report.ok ? 'OK' : 'Failed'), ' ', h('span', null, report.message),
        report.image ? h('img.check-image', { src: report.image, alt: 'The capture the source gave' }) : null);
    } catch (err) {
      result.className = 'check-result fail';
      render(result, h('strong', null, 'Failed'), ' ', err.message.replace(/\bbody\./g, ''));
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  async function save() {
    saveButton.disabled = true;
    problem.hidden = true;
    try {
      paint(await api.put('/station/settings', settingsDocument()));
      toast('Station settings saved and applied', 'ok');
    } catch (err) {
      if (err.status === 401) return reportError(err);
      // the API names a field by its place in the request body: "body.mqtt.port: ..." reads "mqtt.port: ..."
      problem.textContent = `Not saved, nothing changed: ${err.message.replace(/\bbody\./g, '')}`;
      problem.hidden = false;
      toast(problem.textContent, 'error');
    } finally {
      saveButton.disabled = false;
    }
  }

  paint(await api.get('/station/settings'));
  const beforeUnload = (event) => { if (dirty()) event.preventDefault(); };
  window.addEventListener('beforeunload', beforeUnload);
  setLeaveGuard(async () => !dirty() || confirmDialog('Leave without saving?',
    'Your changes to the station settings are not saved; leaving drops them.', 'Leave without saving'));
  return () => window.removeEventListener('beforeunload', beforeUnload);
}
