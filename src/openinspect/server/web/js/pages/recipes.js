/**
 * Recipes: list, create, duplicate, delete, export/import YAML or whole recipe archives (labelled images
 * and models included) and activate one for the station.
 * The editor of one recipe lives at `#/recipes/<name>` (pages/editor.js).
 * @module pages/recipes
 */

import { adviceSection, recipeFromAdvice } from '../advice.js';
import * as api from '../api.js';
import { loadDocument, nameProblem, starterRecipe } from '../recipes-data.js';
import * as station from '../station.js';
import {
  confirmDialog, download, field, formDialog, h, modeText, percent, pickFiles, render, reportError, toast,
} from '../ui.js';

/**
 * @param {HTMLElement} view
 * @param {string[]} params `[name]` opens the editor.
 */
export async function mount(view, params) {
  if (params.length) {
    const editor = await import('./editor.js');
    return editor.mount(view, params);
  }
  const list = h('div.recipe-grid', { 'data-testid': 'recipe-list' });
  render(view, h('section.page', null,
    h('div.page-head', null,
      h('div', null, h('h1', null, 'Recipes'),
        h('p.sub', null, 'A recipe says where to look on the part and how to judge it.')),
      h('div.actions', null,
        h('button.engineer-only', { type: 'button', onclick: () => importRecipe(reload) }, 'Import YAML…'),
        h('button.engineer-only', { type: 'button', onclick: () => importArchive(reload) }, 'Import recipe…'),
        h('button.primary.engineer-only', { type: 'button', onclick: () => createRecipe(reload) }, '+ New recipe'))),
    list));
  async function reload() {
    try {
      const [recipes, status] = await Promise.all([api.get('/recipes'), station.refresh()]);
      paint(list, recipes, status ? status.recipe : null, reload);
    } catch (err) {
      reportError(err);
    }
  }
  await reload();
  return undefined;
}

/**
 * @param {HTMLElement} list
 * @param {any[]} recipes
 * @param {string|null} active
 * @param {() => Promise<void>} reload
 */
function paint(list, recipes, active, reload) {
  if (!recipes.length) {
    render(list, h('div.card.empty', { style: 'grid-column: 1 / -1' },
      h('strong', null, 'No recipes yet'),
      h('p', null, 'Create a recipe, upload a picture of your part and draw where to look.'),
      h('button.primary', { type: 'button', onclick: () => createRecipe(reload) }, '+ New recipe')));
    return;
  }
  render(list, recipes.map((recipe) => card(recipe, recipe.name === active, reload)));
}

/**
 * @param {any} recipe the API's recipe state.
 * @param {boolean} active
 * @param {() => Promise<void>} reload
 */
function card(recipe, active, reload) {
  const trained = recipe.types.every((t) => t.model);
  const href = (page) => `#/${page}/${encodeURIComponent(recipe.name)}`;
  return h(`article.card.recipe-card${active ? '.active' : ''}`, { 'data-recipe': recipe.name },
    preview(recipe),
    h('header', null,
      h('div', null, h('h2', null, recipe.name),
        h('p.muted.small', null, `${recipe.profile} · ${recipe.rois} ROI${recipe.rois === 1 ? '' : 's'}`)),
      active ? h('span.badge.pass', null, '● Active') : null),
    readiness(recipe, trained),
    h('div.types', null, recipe.types.map((type) => typeLine(type))),
    recipe.warnings.length ? h('p.notice.small', null, `${recipe.warnings.length} ROI(s) larger than 512 px: `
      + 'the model sees them downscaled. Open the editor for details.') : null,
    h('footer', null,
      h('a.button.small.primary.engineer-only', { href: href('recipes') }, 'Edit'),
      h('a.button.small.engineer-only', { href: href('label') }, 'Label'),
      h('a.button.small.engineer-only', { href: href('train') }, 'Train'),
      active ? null : h('button.small.engineer-only', { type: 'button', onclick: () => activate(recipe.name, reload) }, 'Activate'),
      h('button.small.engineer-only', { type: 'button', onclick: () => duplicate(recipe.name, reload) }, 'Duplicate'),
      h('button.small.engineer-only', { type: 'button', title: 'Recipe, labelled images and models as one zip',
        onclick: () => exportArchive(recipe.name) }, 'Export'),
      h('button.small', { type: 'button', onclick: () => exportYaml(recipe) }, 'Export YAML'),
      h('button.small.danger.engineer-only', { type: 'button', onclick: () => remove(recipe.name, reload) }, 'Delete')));
}

/**
 * Whether the recipe is fit for production, as the server judges it, or what it still needs.
 * @param {any} recipe the API's recipe state.
 * @param {boolean} trained every type has a model.
 */
function readiness(recipe, trained) {
  if (recipe.ready) return h('p.badge.readiness.pass', { 'data-testid': 'readiness' }, '✓ Ready for production');
  return h('p.badge.readiness.warn', { 'data-testid': 'readiness' },
    trained ? `Not ready for production: ${recipe.readiness}` : 'Needs training');
}

/**
 * The recipe's template capture, or else its first labelled capture, as a small picture.
 * @param {any} recipe the API's recipe state.
 */
function preview(recipe) {
  const canvas = /** @type {HTMLCanvasElement} */ (h('canvas.preview', { width: 320, height: 150, 'aria-hidden': 'true' }));
  const name = encodeURIComponent(recipe.name);
  (async () => {
    let image = await api.whenMissing(api.loadImage(`/recipes/${name}/template`), null);
    if (!image && recipe.types.length) {
      const samples = await api.get(`/recipes/${name}/types/${encodeURIComponent(recipe.types[0].name)}/samples`);
      if (samples.length) image = await api.loadImage(`/images/${samples[0].image}`);
    }
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#161b22';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (!image) {
      ctx.fillStyle = '#8b949e';
      ctx.font = '600 14px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.fillText('No template capture yet', canvas.width / 2, canvas.height / 2);
      return;
    }
    const scale = Math.min(canvas.width / image.naturalWidth, canvas.height / image.naturalHeight);
    const w = image.naturalWidth * scale;
    const hgt = image.naturalHeight * scale;
    ctx.drawImage(image, (canvas.width - w) / 2, (canvas.height - hgt) / 2, w, hgt);
  })().catch(reportError);
  return canvas;
}

/** @param {any} type an inspection type's state. */
function typeLine(type) {
  const labelled = type.kind === 'segmenter' ? `${type.labels.masks ?? 0} painted`
    : `${Object.values(type.labels).reduce((a, b) => a + b, 0)} labelled`;
  const accuracy = type.kind === 'anomaly' ? null : type.model?.metrics?.balanced_accuracy;
  const model = type.model ? `model v${type.model.version} ${modeText(type.model.mode)}${accuracy != null ? ` · ${percent(accuracy)}` : ''}`
    : 'not trained';
  return h('div.type-line', null,
    h('span', null, h('strong', null, type.name), ' ', h('span.muted', null, type.kind)),
    h('span.muted', null, `${labelled} · ${model}`));
}

/** @param {() => Promise<void>} reload */
async function createRecipe(reload) {
  const name = h('input', { name: 'name', required: true, placeholder: 'e.g. bracket-nuts', autocomplete: 'off' });
  const profile = h('select', { name: 'profile' },
    h('option', { value: 'single-model' }, 'Single model – one inspection type'),
    h('option', { value: 'multi-model' }, 'Multi model – classifier, segmenter and anomaly types together'));
  const kind = h('select', { name: 'kind' },
    h('option', { value: 'classifier' }, 'Classifier – each region gets a class (good, loose, missing…)'),
    h('option', { value: 'segmenter' }, 'Segmenter – paint defects pixel by pixel (scratch, glue…)'),
    h('option', { value: 'anomaly' }, 'Anomaly – learn good parts only, outline whatever is new'));
  const values = await formDialog({
    title: 'New recipe', ok: 'Create', wide: true,
    body: [field('Name', name, 'Letters, digits, "-", "_" or "."'), adviceSection(), field('Station profile', profile),
      field('First inspection type', kind, 'You can add more types in the editor (multi model).')],
    validate: (form) => nameProblem(String(new FormData(form).get('name')).trim()),
  });
  if (!values) return;
  const doc = values.advice
    ? recipeFromAdvice(String(values.name).trim(), JSON.parse(String(values.advice)))
    : starterRecipe(String(values.name).trim(), values.profile, values.kind);
  try {
    await api.request('POST', '/recipes', { json: doc });
    toast(`Recipe ${doc.name} created`, 'ok');
    window.location.hash = `#/recipes/${encodeURIComponent(doc.name)}`;
  } catch (err) {
    reportError(err);
    await reload();
  }
}

/** @param {string} name @param {() => Promise<void>} reload */
async function duplicate(name, reload) {
  const input = h('input', { name: 'name', required: true, value: `${name}-copy`, autocomplete: 'off' });
  const values = await formDialog({
    title: `Duplicate ${name}`, ok: 'Duplicate',
    body: [field('Name of the copy', input), h('p.muted.small', null,
      'The copy has the same types and ROIs. Labels and trained models stay with the original.')],
    validate: (form) => nameProblem(String(new FormData(form).get('name')).trim()),
  });
  if (!values) return;
  try {
    const doc = await loadDocument(name);
    doc.name = String(values.name).trim();
    await api.request('POST', '/recipes', { json: doc });
    toast(`Recipe ${doc.name} created`, 'ok');
  } catch (err) {
    reportError(err);
  }
  await reload();
}

/** @param {string} name @param {() => Promise<void>} reload */
async function remove(name, reload) {
  const ok = await confirmDialog(`Delete ${name}?`,
    'The recipe is removed from this station. Its labelled images and trained models stay in the workspace.',
    'Delete recipe');
  if (!ok) return;
  try {
    await api.del(`/recipes/${encodeURIComponent(name)}`);
    toast(`Recipe ${name} deleted`, 'ok');
  } catch (err) {
    reportError(err);
  }
  await reload();
}

/** @param {string} name @param {() => Promise<void>} reload */
async function activate(name, reload) {
  try {
    await api.put('/active-recipe', { name });
    toast(`${name} is now the station's recipe`, 'ok');
  } catch (err) {
    if (err.type === 'model_not_found') toast(`${name} cannot run yet: ${err.message}`, 'error');
    else reportError(err);
  }
  await reload();
}

/** @param {any} recipe */
function exportYaml(recipe) {
  download(`${recipe.name}.yaml`, new Blob([recipe.yaml], { type: 'application/yaml' }));
}

/** @param {() => Promise<void>} reload */
async function importRecipe(reload) {
  const [file] = await pickFiles('.yaml,.yml,.json,application/yaml,application/json');
  if (!file) return;
  const text = await file.text();
  try {
    const check = await api.request('POST', '/recipes/validate', { body: text, type: 'application/yaml' });
    if (!check.valid) {
      toast(`${file.name} is not a valid recipe: ${check.errors.join(' ')}`, 'error');
      return;
    }
    const known = (await api.get('/recipes')).some((r) => r.name === check.name);
    if (known && !(await confirmDialog(`Replace ${check.name}?`,
      `A recipe named ${check.name} exists. Replace it with the imported one? Its labels and models are kept.`,
      'Replace'))) return;
    await api.request(known ? 'PUT' : 'POST', known ? `/recipes/${encodeURIComponent(check.name)}` : '/recipes',
      { body: text, type: 'application/yaml' });
    toast(`Recipe ${check.name} imported`, 'ok');
  } catch (err) {
    reportError(err);
  }
  await reload();
}

/** @param {string} name download the recipe's archive: recipe, labelled images, masks and model versions. */
async function exportArchive(name) {
  try {
    const file = await api.fetchFile(`/recipes/${encodeURIComponent(name)}/archive`, `${name}.zip`);
    download(file.name, file.blob);
  } catch (err) {
    reportError(err);
  }
}

/** @param {() => Promise<void>} reload */
async function importArchive(reload) {
  const [file] = await pickFiles('.zip,application/zip');
  if (!file) return;
  const input = h('input', { name: 'name', autocomplete: 'off', placeholder: 'the name in the archive' });
  let imported = null;
  // The upload runs as the dialog's check, so a refusal (name taken, bad archive) shows in the dialog,
  // where a new name can be typed and the import tried again.
  const values = await formDialog({
    title: `Import ${file.name}`, ok: 'Import',
    body: [field('New name (optional)', input,
      'Leave empty to keep the recipe\'s name. Its labelled images, masks and trained models come along.')],
    validate: async (form) => {
      const name = String(new FormData(form).get('name')).trim();
      const problem = name ? nameProblem(name) : null;
      if (problem) return problem;
      const body = new FormData();
      body.append('archive', file);
      try {
        imported = await api.request('POST', '/recipes/import', { body, query: { name } });
        return null;
      } catch (err) {
        return err.message;
      }
    },
  });
  if (!values || !imported) return;
  toast(`Recipe ${imported.name} imported`, 'ok');
  await reload();
}
