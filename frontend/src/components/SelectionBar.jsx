// What can be done with the selected photos: add them to an album (a new
// one or an existing one), share one, move them to the trash.
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

  return (
    <div class="selection-bar" role="toolbar" aria-label="Selected photos">
      <span class="selection-count" aria-live="polite">
        {ids.length} selected
      </span>
      {mine && (
        <button type="button" onClick={() => setPicking(true)}>
          Add to album…
        </button>
      )}
      {mine && ids.length === 1 && (
        <button type="button" onClick={() => actions.share({ asset: selection.selected()[0] ?? { id: ids[0] } })}>
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
