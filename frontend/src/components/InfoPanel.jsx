// A photo's details beside the viewer: what the camera recorded, and what
// the photographer adds (favourite, rating, title, caption, keywords).
import { useEffect, useState } from 'preact/hooks';
import { api, plainError } from '../lib/api.js';
import { bytes, dateTime, exposure } from '../lib/format.js';
import { assetPath, isGuestView } from '../lib/renditions.js';
import { Alert } from './Alert.jsx';
import { badgesOf } from './Tile.jsx';
import { placeHash } from '../lib/router.js';

/** Every file of the photo's capture: the API lists a pair's two files, or
 * a Live Photo's video alone (its HEIC still is the photo's original). */
function captureFiles(asset) {
  const own = asset.files.some((f) => f.blake3 === asset.blake3);
  if (own) return asset.files;
  const original = {
    role: 'original',
    original_name: asset.original_name,
    format: asset.format,
    size: asset.size,
    url: `/api/v1/assets/${asset.id}/original`,
  };
  return [original, ...asset.files];
}

export function InfoPanel({ asset, shared, onClose, onChanged, onEdit, onShare, onTrash }) {
  const [error, setError] = useState(null);
  const [draft, setDraft] = useState(null);
  useEffect(() => {
    setDraft({ title: asset.title ?? '', caption: asset.caption ?? '', keywords: asset.keywords.join(', ') });
    setError(null);
  }, [asset.id]);

  // Through a link, or someone else's photo in a shared album: theirs to
  // describe, ours to look at.
  const guest = isGuestView(asset);
  const readOnly = Boolean(shared) || guest;
  const meta = asset.metadata ?? {};
  const gps = meta.gps;
  const place = asset.place && [asset.place.city, asset.place.region, asset.place.country].filter(Boolean).join(', ');
  const camera = [asset.camera_make, asset.camera_model].filter(Boolean).join(' ');
  // As shown: a camera held upright records landscape pixels and a turn.
  const turned = asset.orientation >= 5 && asset.orientation <= 8;
  const [w, h] = turned ? [asset.height, asset.width] : [asset.width, asset.height];
  const megapixels = (w * h) / 1e6;
  const shape = w && h ? `${w} × ${h}${megapixels >= 0.1 ? ` (${megapixels.toFixed(1)} MP)` : ''}` : '—';

  async function save(patch) {
    try {
      const updated = await api(`assets/${asset.id}`, { method: 'PATCH', body: patch });
      setError(null);
      onChanged(updated);
    } catch (e) {
      setError(plainError(e));
    }
  }
  const saveText = (field) => (e) => {
    const value = e.currentTarget.value;
    if (field === 'keywords') {
      const keywords = value
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean);
      if (keywords.join(',') !== asset.keywords.join(',')) save({ keywords });
    } else if ((asset[field] ?? '') !== value) {
      save({ [field]: value || null });
    }
  };

  return (
    <aside class="info-panel" aria-label="Photo details">
      <div class="info-head">
        <h2>{asset.title || asset.original_name}</h2>
        <button type="button" class="icon" aria-label="Hide details" onClick={onClose}>
          ×
        </button>
      </div>
      {badgesOf(asset).length > 0 && (
        <p class="info-badges">
          {badgesOf(asset).map((b) => (
            <span key={b.key} class={`tile-kind tile-kind-${b.key}`} title={b.title}>
              {b.key === 'edited' && asset.edit_version ? `Edited · v${asset.edit_version}` : b.text}
            </span>
          ))}
        </p>
      )}
      <Alert message={error} />
      {!readOnly && (
        <div class="info-actions">
          <button
            type="button"
            class={asset.favorite ? 'on' : ''}
            aria-pressed={asset.favorite}
            onClick={() => save({ favorite: !asset.favorite })}
          >
            {asset.favorite ? '♥ Favourite' : '♡ Favourite'}
          </button>
          <fieldset class="rating">
            <legend class="sr-only">Rating</legend>
            {[1, 2, 3, 4, 5].map((n) => (
              <button
                type="button"
                key={n}
                aria-label={`${n} star${n > 1 ? 's' : ''}`}
                aria-pressed={asset.rating >= n}
                onClick={() => save({ rating: asset.rating === n ? 0 : n })}
              >
                {asset.rating >= n ? '★' : '☆'}
              </button>
            ))}
          </fieldset>
        </div>
      )}
      <dl class="info-list">
        <dt>Taken</dt>
        <dd>{asset.taken_at ? dateTime(asset.taken_at) : 'Not recorded'}</dd>
        <dt>Camera</dt>
        <dd>{camera || '—'}</dd>
        <dt>Lens</dt>
        <dd>{asset.lens || '—'}</dd>
        <dt>Exposure</dt>
        <dd>{exposure(meta) ?? '—'}</dd>
        <dt>Dimensions</dt>
        <dd>{shape}</dd>
        {asset.files?.length > 0 ? (
          <>
            <dt>Files</dt>
            <dd>
              <ul class="info-files">
                {captureFiles(asset).map((f) => (
                  <li key={f.role}>
                    <a href={f.url} download={f.original_name} aria-label={`Download ${f.original_name}`}>
                      {f.original_name}
                    </a>{' '}
                    · {f.format.toUpperCase()} · {bytes(f.size)}
                  </li>
                ))}
              </ul>
            </dd>
          </>
        ) : (
          <>
            <dt>File</dt>
            <dd>
              {asset.original_name} · {asset.format.toUpperCase()} · {bytes(asset.size)}
            </dd>
          </>
        )}
        {(!readOnly || gps) && (
          <>
            <dt>Location</dt>
            <dd>
              {place && (
                <>
                  {/* A guest's library is not this photo's: no link into it. */}
                  {guest ? place : <a href={placeHash(asset.place.country_code, asset.place.city)}>{place}</a>}
                  <br />
                </>
              )}
              {gps ? (
                <a
                  href={`https://www.openstreetmap.org/?mlat=${gps.latitude}&mlon=${gps.longitude}#map=15/${gps.latitude}/${gps.longitude}`}
                  target="_blank"
                  rel="noopener noreferrer"
                >
                  {gps.latitude.toFixed(5)}, {gps.longitude.toFixed(5)}
                </a>
              ) : (
                'Not recorded'
              )}
            </dd>
          </>
        )}
        {readOnly && asset.title && (
          <>
            <dt>Title</dt>
            <dd>{asset.title}</dd>
          </>
        )}
        {readOnly && asset.caption && (
          <>
            <dt>Caption</dt>
            <dd>{asset.caption}</dd>
          </>
        )}
      </dl>
      {!readOnly && draft && (
        <form class="info-form" onSubmit={(e) => e.preventDefault()}>
          <label>
            Title
            <input
              value={draft.title}
              onInput={(e) => setDraft({ ...draft, title: e.currentTarget.value })}
              onChange={saveText('title')}
            />
          </label>
          <label>
            Caption
            <textarea
              rows={3}
              value={draft.caption}
              onInput={(e) => setDraft({ ...draft, caption: e.currentTarget.value })}
              onChange={saveText('caption')}
            />
          </label>
          <label>
            Keywords <small>(separated by commas)</small>
            <input
              value={draft.keywords}
              onInput={(e) => setDraft({ ...draft, keywords: e.currentTarget.value })}
              onChange={saveText('keywords')}
            />
          </label>
        </form>
      )}
      <div class="info-buttons">
        {onEdit && !guest && (
          <button type="button" onClick={onEdit}>
            Edit
          </button>
        )}
        {onShare && !guest && (
          <button type="button" onClick={onShare}>
            Share…
          </button>
        )}
        {(!shared || shared.allowDownload) && (
          <a class="button" href={`${assetPath(asset)}/original`} download={asset.original_name}>
            Download original
          </a>
        )}
        {onTrash && !guest && (
          <button type="button" class="danger" onClick={onTrash}>
            Move to trash
          </button>
        )}
      </div>
    </aside>
  );
}
