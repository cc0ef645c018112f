/**
 * Where the recipe editor's capture comes from: the template capture (uploaded, or the station's latest
 * capture), or else the recipe's first capture. A recipe that aligns keeps its region on a new template.
 * @module components/editor-template
 */

import * as api from '../api.js';
import { confirmDialog, pickFiles, reportError, toast } from '../ui.js';

/**
 * @param {import('./editor-state.js').EditorState} state
 * @param {{changed: () => void, show: (image: HTMLImageElement|null) => void}} actions `changed` after an edit of
 *   the document; `show` the capture found (null: none).
 * @returns {{load: () => Promise<void>, upload: () => Promise<void>, latest: () => Promise<void>}}
 */
export function templateSource(state, actions) {
  const recipePath = () => `/recipes/${encodeURIComponent(state.doc.name)}`;

  /** Show the template capture, or else the first capture of the recipe, and note how an alignment names it. */
  async function load() {
    const found = await find().catch((err) => (reportError(err), { image: null, reference: null }));
    state.shownReference = found.reference;
    actions.show(found.image);
  }

  /** @returns {Promise<{image: HTMLImageElement|null, reference: string|null}>} */
  async function find() {
    const template = await api.whenMissing(api.get(`${recipePath()}/template/info`), null);
    if (template) return { image: await api.loadImage(`${recipePath()}/template`), reference: template.reference };
    const first = state.doc.types[0].name;
    const samples = await api.get(`${recipePath()}/types/${encodeURIComponent(first)}/samples`);
    if (!samples.length) return { image: null, reference: null };
    return { image: await api.loadImage(`/images/${samples[0].image}`), reference: samples[0].image };
  }

  async function upload() {
    const [file] = await pickFiles('image/*');
    if (file) await setTemplate(file, file.name);
  }

  /** Take the newest capture the station archived (from its camera or an upload) as the template. */
  async function latest() {
    try {
      const page = await api.get('/results', { limit: 20 });
      for (const record of page.items.filter((r) => !r.skipped && !r.error)) {
        const response = await api.whenMissing(api.request('GET', `/results/${record.id}/image`, { raw: true }), null);
        if (response) return await setTemplate(await response.blob(), record.image || 'capture.png');
      }
      toast('The station has kept no capture yet: trigger one on the Live page, or upload an image.', 'error');
    } catch (err) {
      reportError(err);
    }
    return undefined;
  }

  /**
   * Make an image the template capture. A recipe that aligns keeps its region (and its ROIs), which then refer to
   * the new image: asked first, and flagged until saved.
   * @param {Blob} blob an encoded image @param {string} filename
   */
  async function setTemplate(blob, filename) {
    const { doc } = state;
    const t = doc.alignment && doc.alignment.template;
    if (t && !(await confirmDialog('Replace the template capture?', `This recipe aligns on x ${t.x}, y ${t.y} · `
      + `${t.w}×${t.h} px of the template capture. The region and the ROIs keep their place and will refer to the new `
      + 'image: check that they still cover the same features.', 'Replace template'))) return;
    const form = new FormData();
    form.append('image', blob, filename);
    try {
      const template = await api.request('PUT', `${recipePath()}/template`, { body: form });
      toast('Template image saved', 'ok');
      if (doc.alignment) {
        state.templateReplaced = true;
        if (doc.alignment.reference !== template.reference) {
          doc.alignment.reference = template.reference;
          actions.changed();
        }
      }
      await load();
    } catch (err) {
      reportError(err);
    }
  }

  return { load, upload, latest };
}
