// The editing panel: the recipe's controls beside a live preview rendered by
// the server from the candidate recipe (nothing is saved until Save), with
// before/after, the saved versions to go back to, and export.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, plainError } from '../lib/api.js';
import { dateTime } from '../lib/format.js';
import { ASPECTS, SLIDERS, cleanRecipe, getPath, sameRecipe, setPath } from '../lib/recipe.js';
import { CropOverlay, fitAspect } from './CropOverlay.jsx';
import { Alert } from './Alert.jsx';

/** Fields a recipe object needs once any of its siblings is set. */
const REQUIRED_SIBLINGS = { white_balance: { temperature: 6504 }, vignette: { amount: 0 }, sharpening: { amount: 0 } };
const PREVIEW_DELAY_MS = 120;
const ASPECT_RATIOS = { '1:1': 1, '3:2': 1.5, '2:3': 2 / 3, '4:3': 4 / 3, '16:9': 16 / 9, '4:5': 0.8 };

function previewSize() {
  const edge = Math.max(window.innerWidth * 0.7, window.innerHeight) * (window.devicePixelRatio || 1);
  return Math.round(Math.min(Math.max(edge, 256), 2048));
}

/** A JPEG of `recipe` from the preview endpoint, as an object URL. */
async function renderPreview(asset, recipe, signal) {
  const response = await api(`assets/${asset.id}/edit/preview?size=${previewSize()}`, {
    method: 'POST',
    body: cleanRecipe(recipe),
    raw: true,
    signal,
  });
  return URL.createObjectURL(await response.blob());
}

export function Editor({ asset, onClose }) {
  const [saved, setSaved] = useState(null);
  const [recipe, setRecipe] = useState(null);
  const [history, setHistory] = useState([]);
  const [preview, setPreview] = useState(null);
  const [before, setBefore] = useState(null);
  const [showBefore, setShowBefore] = useState(false);
  const [cropping, setCropping] = useState(false);
  const [frameRatio, setFrameRatio] = useState(1);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [status, setStatus] = useState('');
  const dialog = useRef(null);
  const inFlight = useRef(null);
  const savedOnce = useRef(false);

  const loadHistory = () =>
    api(`assets/${asset.id}/edit/history`)
      .then((h) => setHistory(h.versions))
      .catch(() => {});
  useEffect(() => {
    dialog.current.showModal();
    api(`assets/${asset.id}/edit`)
      .then((current) => {
        setSaved(current.recipe);
        setRecipe(current.recipe);
      })
      .catch((e) => setError(plainError(e)));
    loadHistory();
  }, []);

  // The live preview: while cropping, the whole frame (the crop is drawn over it).
  const shown = recipe && cropping ? setPath(recipe, 'crop', undefined) : recipe;
  const shownKey = shown && JSON.stringify(cleanRecipe(shown));
  useEffect(() => {
    if (!shown) return;
    const controller = new AbortController();
    const timer = setTimeout(async () => {
      inFlight.current?.abort();
      inFlight.current = controller;
      setBusy(true);
      try {
        const url = await renderPreview(asset, shown, controller.signal);
        setPreview((old) => {
          if (old) URL.revokeObjectURL(old);
          return url;
        });
        setError(null);
      } catch (e) {
        if (e.name !== 'AbortError') setError(plainError(e));
      } finally {
        if (inFlight.current === controller) setBusy(false);
      }
    }, PREVIEW_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [shownKey]);

  async function compare(on) {
    setShowBefore(on);
    if (on && !before) {
      try {
        setBefore(await renderPreview(asset, {}));
      } catch (e) {
        setError(plainError(e));
      }
    }
  }

  const set = (path, value) => {
    let next = setPath(recipe, path, value);
    const [head] = path.split('.');
    if (REQUIRED_SIBLINGS[head] && next[head]) next[head] = { ...REQUIRED_SIBLINGS[head], ...next[head] };
    setRecipe(next);
  };
  const quarterTurn = (delta) => {
    const rotate = ((((recipe.rotate ?? 0) + delta) % 360) + 360) % 360;
    set('rotate', rotate || undefined);
  };
  const crop = recipe?.crop ?? { x: 0, y: 0, width: 1, height: 1 };
  const aspectChoice = recipe?.crop?.aspect ?? 'free';
  const chooseAspect = (choice) => {
    if (choice === 'free') {
      if (recipe.crop) set('crop', { ...crop, aspect: undefined });
      return;
    }
    const fitted = fitAspect(crop, ASPECT_RATIOS[choice], frameRatio);
    set('crop', { ...fitted, aspect: choice });
  };

  async function save() {
    try {
      await api(`assets/${asset.id}/edit`, { method: 'PUT', body: cleanRecipe(recipe) });
      savedOnce.current = true;
      setSaved(recipe);
      setStatus('Saved. The thumbnails are being redrawn.');
      loadHistory();
    } catch (e) {
      setError(plainError(e));
    }
  }
  function close() {
    if (recipe && saved && !sameRecipe(recipe, saved) && !confirm('Leave without saving this edit?')) return;
    onClose(savedOnce.current);
  }

  const dirty = recipe && saved && !sameRecipe(recipe, saved);
  const slider = ([path, label, min, max, step, neutral]) => {
    const value = getPath(recipe, path);
    const id = `edit-${path.replace('.', '-')}`;
    return (
      <div class="slider" key={path}>
        <label for={id}>
          {label} <output for={id}>{value ?? neutral}</output>
        </label>
        <input
          id={id}
          type="range"
          min={min}
          max={max}
          step={step}
          value={value ?? neutral}
          onInput={(e) => {
            const v = Number(e.currentTarget.value);
            set(path, v === neutral && !path.startsWith('white_balance') ? undefined : v);
          }}
          onDblClick={() => set(path, undefined)}
        />
      </div>
    );
  };

  return (
    <dialog
      ref={dialog}
      class="editor"
      aria-label={`Edit ${asset.original_name}`}
      onCancel={(e) => {
        e.preventDefault();
        close();
      }}
    >
      <div class="editor-stage" aria-busy={busy}>
        {preview ? (
          <div class="editor-image">
            <img
              src={showBefore && before ? before : preview}
              alt={showBefore ? 'The photo before editing' : 'Preview of the edit'}
              data-testid="edit-preview"
              onLoad={(e) => cropping && setFrameRatio(e.currentTarget.naturalWidth / e.currentTarget.naturalHeight)}
            />
            {cropping && !showBefore && (
              <CropOverlay
                crop={crop}
                ratio={ASPECT_RATIOS[aspectChoice]}
                frameRatio={frameRatio}
                onChange={(c) => set('crop', { ...c, ...(recipe.crop?.aspect ? { aspect: recipe.crop.aspect } : {}) })}
              />
            )}
          </div>
        ) : (
          <p>Rendering the preview…</p>
        )}
        {busy && <span class="editor-busy">Updating…</span>}
      </div>
      <div class="editor-panel">
        <header>
          <h2>Edit</h2>
          <button type="button" class="icon" aria-label="Close the editor" onClick={close}>
            ×
          </button>
        </header>
        <Alert message={error} />
        <p class="status" role="status">
          {status}
        </p>
        {recipe && (
          <>
            <div class="row">
              <button type="button" class="primary" disabled={!dirty} onClick={save}>
                Save
              </button>
              <button
                type="button"
                aria-pressed={showBefore}
                onPointerDown={() => compare(true)}
                onPointerUp={() => compare(false)}
                onPointerLeave={() => showBefore && compare(false)}
                onKeyDown={(e) => (e.key === ' ' || e.key === 'Enter') && (e.preventDefault(), compare(!showBefore))}
              >
                Before / after
              </button>
              <button type="button" disabled={!dirty} onClick={() => setRecipe(saved)}>
                Undo changes
              </button>
              <button type="button" onClick={() => setRecipe({})}>
                Reset to original
              </button>
            </div>
            <fieldset>
              <legend>Crop and rotate</legend>
              <div class="row">
                <button type="button" aria-pressed={cropping} onClick={() => setCropping(!cropping)}>
                  {cropping ? 'Done cropping' : 'Crop'}
                </button>
                <button type="button" aria-label="Rotate left" onClick={() => quarterTurn(-90)}>
                  ⟲ Left
                </button>
                <button type="button" aria-label="Rotate right" onClick={() => quarterTurn(90)}>
                  ⟳ Right
                </button>
                <button
                  type="button"
                  aria-pressed={Boolean(recipe.flip_horizontal)}
                  onClick={() => set('flip_horizontal', recipe.flip_horizontal ? undefined : true)}
                >
                  Flip
                </button>
              </div>
              <label>
                Aspect
                <select value={aspectChoice} onChange={(e) => chooseAspect(e.currentTarget.value)}>
                  {ASPECTS.map(([value, label]) => (
                    <option key={value} value={value}>
                      {label}
                    </option>
                  ))}
                </select>
              </label>
              {slider(['straighten', 'Straighten (°)', -45, 45, 0.1, 0])}
            </fieldset>
            {Object.entries(SLIDERS).map(([section, sliders]) => (
              <fieldset key={section}>
                <legend>{section}</legend>
                {section === 'Colour' && (
                  <label class="check">
                    <input
                      type="checkbox"
                      checked={Boolean(recipe.monochrome)}
                      onChange={(e) => set('monochrome', e.currentTarget.checked ? {} : undefined)}
                    />{' '}
                    Black and white
                  </label>
                )}
                {sliders.map(slider)}
              </fieldset>
            ))}
            <fieldset>
              <legend>History</legend>
              {history.length === 0 ? (
                <p class="hint">Not edited yet.</p>
              ) : (
                <ol class="history">
                  {history.map((v) => (
                    <li key={v.version}>
                      <button type="button" onClick={() => setRecipe(v.recipe)}>
                        Version {v.version}
                        {v.version === history[0].version ? ' (current)' : ''} <small>{dateTime(v.saved_at)}</small>
                      </button>
                    </li>
                  ))}
                </ol>
              )}
            </fieldset>
            <fieldset>
              <legend>Export</legend>
              <p class="hint">The saved version at full resolution.</p>
              <div class="row">
                <a class="button" href={`/api/v1/assets/${asset.id}/export?format=jpeg&quality=92`} download>
                  JPEG
                </a>
                <a class="button" href={`/api/v1/assets/${asset.id}/export?format=tiff16`} download>
                  16-bit TIFF
                </a>
              </div>
            </fieldset>
          </>
        )}
      </div>
    </dialog>
  );
}
