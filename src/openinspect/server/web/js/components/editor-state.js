/**
 * What the recipe editor's parts share: the recipe document being edited and the editor's own state.
 * @module components/editor-state
 */

/**
 * @typedef {object} EditorState
 * @property {any} doc the recipe document, changed in place until Save.
 * @property {number} selected the selected ROI's index, -1 for none.
 * @property {boolean} aligning the pointer draws the alignment region instead of ROIs.
 * @property {string|null} shownReference the capture shown, as an alignment's `reference` names it: the template's
 *   file, or an image hash.
 * @property {boolean} templateReplaced the template capture was replaced while the recipe aligns: its region now
 *   refers to the new image.
 */

/**
 * @param {any} doc a recipe document.
 * @returns {EditorState} nothing selected, ROI mode, no capture shown yet.
 */
export function editorState(doc) {
  return { doc, selected: -1, aligning: false, shownReference: null, templateReplaced: false };
}
