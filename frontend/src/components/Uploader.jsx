// Uploads by drag and drop or file picker: resumable (tus), a few files at a
// time, with a progress bar per file and for the batch. A dropped connection
// is retried from where the server's copy ends, also after a page reload
// (tus-js-client remembers unfinished uploads in local storage).
import { useEffect, useRef, useState } from 'preact/hooks';
import * as tus from 'tus-js-client';
import { csrfHeaders } from '../lib/api.js';
import { bytes } from '../lib/format.js';

const PARALLEL = 3;
const CHUNK = 16 * 1024 * 1024;
/** 0: no answer (the connection dropped). 409: the offset moved on; ask again. */
const RETRY_STATUSES = new Set([0, 408, 409, 423, 429, 500, 502, 503, 504]);

/** The server's JSON error in plain words, from a failed tus request. */
function tusError(error) {
  const response = error.originalResponse;
  if (!response) return 'The connection was lost and could not be restored. Try again.';
  let message = null;
  let code = null;
  try {
    ({ code, message } = JSON.parse(response.getBody()).error);
  } catch {
    // No JSON body.
  }
  const status = response.getStatus();
  if (status === 413 || code === 'payload_too_large')
    return `Too large: ${message ?? 'the file is over the size limit'}`;
  if (status === 415 || code === 'unsupported_media_type' || code === 'unreadable_image')
    return `Not a photo darkroom can read${message ? `: ${message}` : ''}`;
  if (status === 507 || code === 'quota_exceeded') return `Over your storage quota${message ? `: ${message}` : ''}`;
  if (status === 401) return 'You were signed out. Sign in again and retry.';
  return message ?? `The server answered ${status}`;
}

export function Uploader({ onUploaded, pickerRef }) {
  const [items, setItems] = useState([]);
  const [dragging, setDragging] = useState(false);
  const running = useRef(0);
  const queue = useRef([]);
  const uploads = useRef(new Map());
  const inputRef = useRef(null);
  if (pickerRef) pickerRef.current = () => inputRef.current?.click();

  const update = (id, patch) => setItems((list) => list.map((i) => (i.id === id ? { ...i, ...patch } : i)));

  function pump() {
    while (running.current < PARALLEL && queue.current.length) {
      const { id, file } = queue.current.shift();
      running.current += 1;
      start(id, file);
    }
  }

  function start(id, file) {
    const finish = (patch) => {
      uploads.current.delete(id);
      update(id, patch);
      running.current -= 1;
      pump();
    };
    const upload = new tus.Upload(file, {
      endpoint: '/api/v1/uploads',
      chunkSize: CHUNK,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000],
      metadata: { filename: file.name, filetype: file.type || 'application/octet-stream' },
      headers: csrfHeaders(),
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress: (sent, total) => update(id, { sent, total, state: 'uploading' }),
      // Refusals (too large, not a photo, over quota: 413, 415, 507…) will
      // not change by asking again; lost connections and busy servers may.
      onShouldRetry: (error) => RETRY_STATUSES.has(error.originalResponse?.getStatus() ?? 0),
      onSuccess: ({ lastResponse }) => {
        const outcome = lastResponse.getHeader('X-Upload-Outcome');
        finish({
          sent: file.size,
          // `paired`: the other file of a photo already there (a RAW
          // beside its JPEG); `restored`: back from the trash.
          state: outcome === 'duplicate' ? 'duplicate' : outcome === 'paired' ? 'paired' : 'done',
          assetId: lastResponse.getHeader('X-Asset-Id'),
        });
        onUploaded?.();
      },
      onError: (error) => finish({ state: 'failed', error: tusError(error) }),
    });
    uploads.current.set(id, upload);
    upload
      .findPreviousUploads()
      .then((previous) => {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      })
      .catch(() => upload.start());
  }

  function add(files) {
    const added = [...files].map((file) => ({
      id: crypto.randomUUID?.() ?? `${Date.now()}-${Math.random()}`,
      name: file.name,
      total: file.size,
      sent: 0,
      state: 'queued',
      file,
    }));
    if (!added.length) return;
    setItems((list) => [...list.filter((i) => i.state === 'queued' || i.state === 'uploading'), ...added]);
    queue.current.push(...added.map(({ id, file }) => ({ id, file })));
    pump();
  }

  function cancel(item) {
    const upload = uploads.current.get(item.id);
    if (upload) {
      upload.abort(true);
      uploads.current.delete(item.id);
      running.current -= 1;
      pump();
    }
    queue.current = queue.current.filter((q) => q.id !== item.id);
    update(item.id, { state: 'cancelled' });
  }

  // Files dropped anywhere on the page.
  useEffect(() => {
    let depth = 0;
    const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
    const enter = (e) => {
      if (!hasFiles(e)) return;
      depth += 1;
      setDragging(true);
    };
    const leave = (e) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (!depth) setDragging(false);
    };
    const over = (e) => {
      if (hasFiles(e)) e.preventDefault();
    };
    const drop = (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setDragging(false);
      add(e.dataTransfer.files);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, []);

  const total = items.reduce((s, i) => s + i.total, 0);
  const sent = items.reduce((s, i) => s + (i.state === 'failed' || i.state === 'cancelled' ? 0 : i.sent), 0);
  const active = items.filter((i) => i.state === 'queued' || i.state === 'uploading').length;
  const counts = (state) => items.filter((i) => i.state === state).length;

  return (
    <>
      <input
        ref={inputRef}
        type="file"
        multiple
        accept="image/*,.dng,.cr2,.cr3,.nef,.arw,.raf,.orf,.rw2,.pef,.srw,.heic,.heif,.avif,.tif,.tiff"
        class="sr-only"
        tabIndex={-1}
        aria-hidden="true"
        data-testid="file-input"
        onChange={(e) => {
          add(e.currentTarget.files);
          e.currentTarget.value = '';
        }}
      />
      {dragging && (
        <div class="drop-overlay" aria-hidden="true">
          <p>Drop photos to upload them</p>
        </div>
      )}
      {items.length > 0 && (
        <section class="upload-panel" aria-label="Uploads">
          <header>
            <h2>{active ? `Uploading ${active} of ${items.length}` : `${items.length} uploads finished`}</h2>
            {!active && (
              <button type="button" class="icon" aria-label="Close the uploads list" onClick={() => setItems([])}>
                ×
              </button>
            )}
          </header>
          <progress class="batch" max={total || 1} value={sent} aria-label="All uploads" />
          <p class="upload-summary" aria-live="polite">
            {bytes(sent)} of {bytes(total)}
            {counts('duplicate') ? ` · ${counts('duplicate')} already in your library` : ''}
            {counts('failed') ? ` · ${counts('failed')} failed` : ''}
          </p>
          <ul>
            {items.map((item) => (
              <li key={item.id} class={`upload upload-${item.state}`} data-state={item.state}>
                <span class="upload-name">{item.name}</span>
                <progress max={item.total || 1} value={item.sent} aria-label={`Upload of ${item.name}`} />
                <span class="upload-state">
                  {
                    {
                      queued: 'Waiting',
                      uploading: `${Math.floor((100 * item.sent) / (item.total || 1))} %`,
                      done: 'Uploaded',
                      duplicate: 'Already in your library',
                      paired: 'Kept with its RAW or JPEG as one photo',
                      cancelled: 'Cancelled',
                      failed: item.error,
                    }[item.state]
                  }
                </span>
                {(item.state === 'queued' || item.state === 'uploading') && (
                  <button type="button" class="icon" aria-label={`Cancel ${item.name}`} onClick={() => cancel(item)}>
                    ×
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
