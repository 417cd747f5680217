// The REST API as the gallery uses it: same-origin fetches with the session
// cookie, the CSRF token on every request that changes something, and errors
// turned into `ApiError`s that carry the server's code and plain message.

let csrfToken = null;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function setCsrfToken(token) {
  csrfToken = token;
}

export function csrfHeaders() {
  return csrfToken ? { 'X-CSRF-Token': csrfToken } : {};
}

async function errorFrom(response) {
  let code = 'http_' + response.status;
  let message = response.statusText || 'the server did not answer as expected';
  try {
    const body = await response.json();
    if (body?.error) ({ code, message } = body.error);
  } catch {
    // Not JSON (a proxy's page): keep the status line.
  }
  return new ApiError(response.status, code, message);
}

/** A request to `/api/v1…`; resolves to the parsed JSON (or null for 204). */
export async function api(path, { method = 'GET', body, headers = {}, raw = false, signal } = {}) {
  const init = { method, headers: { ...headers }, credentials: 'same-origin', signal };
  if (method !== 'GET' && method !== 'HEAD') Object.assign(init.headers, csrfHeaders());
  if (body !== undefined) {
    if (body instanceof Blob || body instanceof FormData) init.body = body;
    else {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
  }
  let response;
  try {
    response = await fetch(path.startsWith('/') ? path : `/api/v1/${path}`, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.');
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401) window.dispatchEvent(new CustomEvent('darkroom:signed-out'));
    throw error;
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

/** Every page of a cursor listing, concatenated (`key` names the array). */
export async function allPages(path, key, { signal, limit = 1000 } = {}) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
      signal,
    });
    items.push(...page[key]);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

/** What went wrong, in words for a photographer. */
export function plainError(error) {
  if (!(error instanceof ApiError)) return String(error?.message ?? error);
  switch (error.code) {
    case 'payload_too_large':
    case 'image_too_large':
      return `Too large: ${error.message}`;
    case 'unsupported_media_type':
    case 'unreadable_image':
      return `Not a photo darkroom can read: ${error.message}`;
    case 'quota_exceeded':
      return `Over your storage quota: ${error.message}`;
    default:
      return error.message.charAt(0).toUpperCase() + error.message.slice(1);
  }
}

/**
 * `work(item)` for every item, a few requests at a time: the API has no bulk
 * form of these calls, and a selection of hundreds should neither wait for
 * each in turn nor open hundreds of requests at once.
 */
export async function forEachAtMost(items, work, inFlight = 6) {
  const queue = [...items];
  const worker = async () => {
    while (queue.length) await work(queue.shift());
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, queue.length) }, worker));
}
