/**
 * The station's HTTP API as the UI uses it: bearer token, JSON in and out, one error type.
 * @module api
 */

const TOKEN_KEY = 'openinspect.token';
export const API = '/api/v1';

/** An error response of the API, `{"error": {"type", "message"}}`, or a network failure. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0: no answer).
   * @param {string} type the API's error type (`not_found`, `busy`, ...).
   * @param {string} message what to tell the person.
   */
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

/** @returns {string|null} the stored station token. */
export function getToken() {
  return localStorage.getItem(TOKEN_KEY);
}

/** @param {string|null} token the station token to keep, or null to forget it. */
export function setToken(token) {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

/**
 * Take the token of a sign-in link from the page address, keep it and remove it from the address bar (and so
 * from the history). `openinspect serve` prints links with `#token=…`: a fragment never reaches the server or its
 * logs. `?token=…` works too; a route may follow it (`/?token=…#/label`).
 * @returns {boolean} the address carried a token (now the stored one).
 */
export function adoptTokenFromUrl() {
  const url = new URL(window.location.href);
  const fragment = url.hash.startsWith('#token=') ? decodeURIComponent(url.hash.slice('#token='.length)) : '';
  const token = fragment || url.searchParams.get('token');
  if (!token) return false;
  setToken(token);
  url.searchParams.delete('token');
  if (fragment) url.hash = '';
  window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  return true;
}

/**
 * Call the API.
 * @param {string} method HTTP method.
 * @param {string} path path under /api/v1, e.g. `/recipes`.
 * @param {{json?: any, body?: BodyInit, type?: string, raw?: boolean, query?: Record<string, any>,
 *   headers?: Record<string, string>}} [opts]
 *   `json`: a JSON body; `body` + `type`: a raw body (YAML, FormData); `raw`: return the Response; `headers`: more
 *   request headers.
 * @returns {Promise<any>} the parsed JSON (null for 204), or the Response when `raw`.
 */
export async function request(method, path, opts = {}) {
  const headers = { ...opts.headers };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['Content-Type'] = 'application/json';
  } else if (opts.type) {
    headers['Content-Type'] = opts.type;
  }
  let response;
  try {
    response = await fetch(API + path + queryString(opts.query), { method, headers, body });
  } catch (err) {
    throw new ApiError(0, 'offline', 'The station does not answer. Check that it is running and the network is up.');
  }
  if (!response.ok) throw await toError(response);
  if (opts.raw) return response;
  if (response.status === 204) return null;
  const kind = response.headers.get('content-type') || '';
  return kind.includes('json') ? response.json() : response.text();
}

/**
 * @param {Record<string, any>|undefined} query
 * @returns {string} `?a=1&b=2` without empty values (an array repeats its key), or ''.
 */
export function queryString(query) {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value)) value.forEach((item) => params.append(key, String(item)));  // ?k=a&k=b
    else if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** @param {Response} response @returns {Promise<ApiError>} */
async function toError(response) {
  let type = 'http_error';
  let message = `${response.status} ${response.statusText}`;
  try {
    const data = await response.json();
    if (data && data.error) ({ type, message } = data.error);
  } catch {
    /* not the API's JSON: keep the status line */
  }
  const error = new ApiError(response.status, type, message);
  if (response.status === 401) window.dispatchEvent(new CustomEvent('auth-required', { detail: error }));
  return error;
}

/**
 * Await a request where a 404 is an answer, not a failure ("no template yet", "the capture was not kept").
 * @template T, F
 * @param {Promise<T>} pending the request.
 * @param {F} fallback what a 404 means.
 * @returns {Promise<T|F>} the answer, or `fallback` on a 404; any other error is thrown on.
 */
export async function whenMissing(pending, fallback) {
  try {
    return await pending;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return fallback;
    throw err;
  }
}

export const get = (path, query) => request('GET', path, { query });
export const post = (path, json) => request('POST', path, { json });
export const put = (path, json) => request('PUT', path, { json });
export const del = (path) => request('DELETE', path);

/**
 * Fetch a file the API serves as a download (needs the token, so no plain link).
 * @param {string} path path under /api/v1.
 * @param {string} fallback the file's name when the response's Content-Disposition gives none.
 * @returns {Promise<{name: string, blob: Blob}>}
 */
export async function fetchFile(path, fallback) {
  const response = await request('GET', path, { raw: true });
  const match = /filename="?([^";]+)"?/.exec(response.headers.get('content-disposition') || '');
  return { name: match ? match[1] : fallback, blob: await response.blob() };
}

/**
 * Fetch an image the API serves (needs the token, so no plain `<img src>`), as an object URL.
 * @param {string} path path under /api/v1.
 * @returns {Promise<string>} an object URL; revoke it when done.
 */
export async function imageUrl(path) {
  const response = await request('GET', path, { raw: true });
  return URL.createObjectURL(await response.blob());
}

/**
 * Load an API image into an HTMLImageElement.
 * @param {string} path path under /api/v1.
 * @returns {Promise<HTMLImageElement>}
 */
export async function loadImage(path) {
  const url = await imageUrl(path);
  try {
    return await decodeImage(url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * @param {string} src an image URL (object or data URL).
 * @returns {Promise<HTMLImageElement>} the decoded image.
 */
export function decodeImage(src) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new ApiError(0, 'invalid_image', 'The image could not be shown.'));
    image.src = src;
  });
}
