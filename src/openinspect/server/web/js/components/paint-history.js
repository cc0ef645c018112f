/**
 * Undo and redo of mask states while painting one capture.
 * @module components/paint-history
 */

export class UndoHistory {
  /** @param {number} limit how many states undo keeps. */
  constructor(limit) {
    this.limit = limit;
    /** @type {Uint8Array[]} */
    this.undoStack = [];
    /** @type {Uint8Array[]} */
    this.redoStack = [];
  }

  /** Keep the state before an edit; a new edit drops what could be redone. @param {Uint8Array} mask */
  record(mask) {
    this.undoStack.push(mask.slice());
    if (this.undoStack.length > this.limit) this.undoStack.shift();
    this.redoStack = [];
  }

  /** @param {Uint8Array} mask the state now @returns {Uint8Array|null} the state before, or null when none. */
  undo(mask) {
    return step(this.undoStack, this.redoStack, mask);
  }

  /** @param {Uint8Array} mask the state now @returns {Uint8Array|null} the state undone last, or null when none. */
  redo(mask) {
    return step(this.redoStack, this.undoStack, mask);
  }

  /** Forget everything (another capture). */
  clear() {
    this.undoStack = [];
    this.redoStack = [];
  }
}

/** @param {Uint8Array[]} from @param {Uint8Array[]} to @param {Uint8Array} mask @returns {Uint8Array|null} */
function step(from, to, mask) {
  if (!from.length) return null;
  to.push(mask.slice());
  return from.pop();
}
