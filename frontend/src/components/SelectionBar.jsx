// What can be done with the selected photos: favourite, rate or tag them
// all, add them to an album (a new one or an existing one), download them
// as one ZIP, share one, move them to the trash.
import { useState } from 'preact/hooks';
import { api, forEachAtMost, plainError } from '../lib/api.js';
import { useLoad } from '../lib/useLoad.js';
import { Dialog } from './Dialog.jsx';
import { Alert } from './Alert.jsx';

// `mine`: false when the selection holds someone else's photos (a shared
// album's), which the library's actions do not apply to.
export function SelectionBar({ selection, actions, onDone, extra, mine = true }) {
  const [picking, setPicking] = useState(false);
  const [message, setMessage] = useState(null);
  const ids = [...selection.ids];

  async function trash() {
    if (
      !confirm(`Move ${ids.length} photo${ids.length > 1 ? 's' : ''} to the trash? They can be restored for 30 days.`)
    )
      return;
    try {
      await forEachAtMost(ids, (id) => api(`assets/${id}`, { method: 'DELETE' }));
      actions.notify(`${ids.length} photo${ids.length > 1 ? 's' : ''} moved to the trash.`);
      selection.clear();
      onDone?.();
    } catch (e) {
      setMessage(plainError(e));
    }
  }

  /** The same change to every selected photo; `patchOf` builds each body. */
  async function patchAll(patchOf, done) {
    try {
      const byId = new Map(selection.selected().map((a) => [a.id, a]));
      await forEachAtMost(ids, async (id) => {
        const updated = await api(`assets/${id}`, { method: 'PATCH', body: patchOf(byId.get(id)) });
        if (byId.has(id)) Object.assign(byId.get(id), updated);
      });
      setMessage(null);
      actions.notify(done);
      onDone?.();
    } catch (e) {
      setMessage(plainError(e));
    }
  }

  function addKeyword(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const word = new FormData(form).get('keyword').trim().toLowerCase();
    if (!word) return;
    form.reset();
    patchAll(
      (asset) => ({ keywords: [...new Set([...(asset?.keywords ?? []), word])] }),
      `Keyword “${word}” added to ${ids.length} photo${ids.length > 1 ? 's' : ''}.`,
    );
  }

  // One photo is shared as itself; several become a new album (named for
  // the day) shared by one link, which the album page can then change.
  async function share() {
    if (ids.length === 1) {
      actions.share({ asset: selection.selected()[0] ?? { id: ids[0] } });
      return;
    }
    try {
      const name = `Shared ${new Date().toLocaleDateString(undefined, { dateStyle: 'medium' })}`;
      const album = await api('albums', { method: 'POST', body: { name, asset_ids: ids } });
      selection.clear();
      actions.notify(`${ids.length} photos put in the new album “${name}” to share.`);
      actions.share({ album });
    } catch (e) {
      setMessage(plainError(e));
    }
  }

  // The ZIP is built by the server as it is sent; the browser keeps it in
  // memory until saved, so very large selections are better downloaded as
  // an album (whose Download link streams to disk).
  async function download() {
    try {
      actions.notify(`Preparing ${ids.length} photo${ids.length > 1 ? 's' : ''}…`);
      const response = await api('assets/download', { method: 'POST', body: { asset_ids: ids }, raw: true });
      const url = URL.createObjectURL(await response.blob());
      const link = Object.assign(document.createElement('a'), { href: url, download: 'photos.zip' });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      setMessage(plainError(e));
    }
  }

  return (
    <div class="selection-bar" role="toolbar" aria-label="Selected photos">
      <span class="selection-count" aria-live="polite">
        {ids.length} selected
      </span>
      {mine && (
        <>
          <button type="button" onClick={() => patchAll(() => ({ favorite: true }), 'Marked as favourites.')}>
            ♥ Favourite
          </button>
          <label class="inline-select">
            <span class="sr-only">Rate the selected photos</span>
            <select
              value=""
              onChange={(e) => {
                const rating = Number(e.currentTarget.value);
                patchAll(() => ({ rating }), rating ? `Rated ${rating} ★.` : 'Ratings cleared.');
              }}
            >
              <option value="" disabled>
                Rate…
              </option>
              {[5, 4, 3, 2, 1, 0].map((n) => (
                <option value={n} key={n}>
                  {n ? '★'.repeat(n) : 'No rating'}
                </option>
              ))}
            </select>
          </label>
          <form class="inline-form keyword-form" onSubmit={addKeyword}>
            <label>
              <span class="sr-only">Keyword to add to the selected photos</span>
              <input name="keyword" placeholder="Add keyword" maxLength={100} />
            </label>
            <button>Tag</button>
          </form>
          <button type="button" onClick={download}>
            Download
          </button>
        </>
      )}
      {mine && (
        <button type="button" onClick={() => setPicking(true)}>
          Add to album…
        </button>
      )}
      {mine && (
        <button type="button" onClick={share}>
          Share…
        </button>
      )}
      {extra}
      {mine && (
        <button type="button" class="danger" onClick={trash}>
          Move to trash
        </button>
      )}
      <button type="button" onClick={() => selection.selectAll()}>
        Select all shown
      </button>
      <button type="button" onClick={() => selection.clear()}>
        Clear
      </button>
      {message && (
        <span class="error" role="alert">
          {message}
        </span>
      )}
      {picking && (
        <AlbumPicker
          ids={ids}
          onClose={(added) => {
            setPicking(false);
            if (added) {
              actions.notify(`Added to “${added}”.`);
              selection.clear();
            }
          }}
        />
      )}
    </div>
  );
}

function AlbumPicker({ ids, onClose }) {
  const [list, loadError] = useLoad('albums');
  const [error, setError] = useState(null);
  // Those you may add to: yours, and those shared with you as a contributor.
  const albums = list?.albums.filter((a) => a.role !== 'viewer');

  async function addTo(album) {
    try {
      await api(`albums/${album.id}/assets`, { method: 'POST', body: { asset_ids: ids } });
      onClose(album.name);
    } catch (e) {
      setError(plainError(e));
    }
  }
  async function create(event) {
    event.preventDefault();
    const name = new FormData(event.currentTarget).get('name').trim();
    if (!name) return;
    try {
      const album = await api('albums', { method: 'POST', body: { name } });
      await addTo(album);
    } catch (e) {
      setError(plainError(e));
    }
  }

  return (
    <Dialog title={`Add ${ids.length} photo${ids.length > 1 ? 's' : ''} to an album`} onClose={() => onClose(null)}>
      <Alert message={error ?? loadError} />
      <form class="inline-form" onSubmit={create}>
        <label>
          New album
          <input name="name" placeholder="Album name" required />
        </label>
        <button class="primary">Create and add</button>
      </form>
      {albums && albums.length > 0 && (
        <ul class="album-choices">
          {albums.map((a) => (
            <li key={a.id}>
              <button type="button" onClick={() => addTo(a)}>
                {a.name} <small>({a.asset_count})</small>
              </button>
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
