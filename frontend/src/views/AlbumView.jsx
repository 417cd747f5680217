// One album: rename it, share it by link or with other accounts, arrange
// its photos by dragging (or with the Move buttons, from the keyboard), set
// its cover, remove photos. Members of a shared album see what their role
// allows: viewers look (and download), contributors also add and remove
// their own photos; both may leave.
import { useEffect, useRef, useState } from 'preact/hooks';
import { allPages, api, plainError } from '../lib/api.js';
import { go } from '../lib/router.js';
import { useSelection } from '../lib/selection.js';
import { Grid } from '../components/Grid.jsx';
import { SelectionBar } from '../components/SelectionBar.jsx';
import { Viewer } from '../components/Viewer.jsx';
import { Alert } from '../components/Alert.jsx';
import { MembersDialog } from '../components/MembersDialog.jsx';
import { isGuestView } from '../lib/renditions.js';

export function AlbumView({ id, version, actions, me }) {
  const [album, setAlbum] = useState(null);
  const [assets, setAssets] = useState(null);
  const [error, setError] = useState(null);
  const [viewing, setViewing] = useState(null);
  const [status, setStatus] = useState('');
  const [reload, setReload] = useState(0);
  const [members, setMembers] = useState(false);
  const dragged = useRef(null);
  const selection = useSelection();
  selection.setOrder(assets ?? []);

  useEffect(() => {
    Promise.all([api(`albums/${id}`), allPages(`albums/${id}/assets`, 'assets')])
      .then(([a, list]) => {
        setAlbum(a);
        setAssets(list);
      })
      .catch((e) => setError(plainError(e)));
  }, [id, version, reload]);

  const run = async (work, done) => {
    try {
      await work();
      setError(null);
      if (done) setStatus(done);
      setReload((r) => r + 1);
    } catch (e) {
      setError(plainError(e));
    }
  };
  const describe = (e) => {
    const description = e.currentTarget.value.trim();
    if (description !== album.description)
      run(() => api(`albums/${id}`, { method: 'PATCH', body: { description } }), 'Description saved.');
  };
  const rename = (e) => {
    const name = e.currentTarget.value.trim();
    if (name && name !== album.name) run(() => api(`albums/${id}`, { method: 'PATCH', body: { name } }), 'Renamed.');
  };
  const arrange = (list) => {
    setAssets(list);
    run(() => api(`albums/${id}/order`, { method: 'PUT', body: { asset_ids: list.map((a) => a.id) } }), 'Order saved.');
  };
  const move = (delta) => {
    const [only] = selection.selected();
    const from = assets.indexOf(only);
    const to = Math.min(Math.max(from + delta, 0), assets.length - 1);
    if (from < 0 || from === to) return;
    const list = [...assets];
    list.splice(to, 0, ...list.splice(from, 1));
    arrange(list);
  };

  if (error && !album) return <Alert message={error} class="page" />;
  if (!album || !assets) return <p class="page">Loading…</p>;
  const ids = [...selection.ids];
  const owner = album.role === 'owner';
  const contributor = album.role === 'contributor';
  // Only your own photos take the library's actions (favourite, trash…).
  const onlyMine = selection.selected().every((a) => a && !isGuestView(a));
  return (
    <div class="page">
      <div class="page-head">
        {owner ? (
          <label class="album-title">
            <span class="sr-only">Album name</span>
            <input key={album.name} defaultValue={album.name} onChange={rename} />
          </label>
        ) : (
          <h1 class="album-title">{album.name}</h1>
        )}
        <span class="muted">
          {album.asset_count} photo{album.asset_count === 1 ? '' : 's'} ·{' '}
          {album.order === 'manual' ? 'arranged by hand' : 'by date taken'}
          {!owner && ` · shared by ${album.owner} · you are a ${album.role}`}
        </span>
        <div class="page-actions">
          <button type="button" onClick={() => setMembers(true)}>
            {owner ? `Members${album.member_count ? ` (${album.member_count})` : ''}…` : 'Members…'}
          </button>
          {(owner || contributor) && (
            <a class="button" href={`#/?add_to=${id}`}>
              Add photos…
            </a>
          )}
          {owner && (
            <button type="button" onClick={() => actions.share({ album })}>
              Share album…
            </button>
          )}
          <a class="button" href={`/api/v1/albums/${id}/download`} download>
            Download
          </a>
          {owner && album.order === 'manual' && (
            <button
              type="button"
              onClick={() =>
                run(() => api(`albums/${id}`, { method: 'PATCH', body: { order: 'taken' } }), 'Sorted by date taken.')
              }
            >
              Sort by date
            </button>
          )}
          {owner && (
            <button
              type="button"
              class="danger"
              onClick={() => {
                if (confirm(`Delete the album “${album.name}”? Its photos stay in your library.`))
                  api(`albums/${id}`, { method: 'DELETE' }).then(
                    () => go('#/albums'),
                    (e) => setError(plainError(e)),
                  );
              }}
            >
              Delete album
            </button>
          )}
        </div>
      </div>
      {owner ? (
        <label class="album-description">
          <span class="sr-only">Album description</span>
          <textarea
            key={album.description}
            rows={2}
            maxLength={5000}
            placeholder="Add a description…"
            defaultValue={album.description}
            onChange={describe}
          />
        </label>
      ) : (
        album.description && <p class="album-description">{album.description}</p>
      )}
      <p class="status" role="status">
        {status}
      </p>
      <Alert message={error} />
      {assets.length === 0 ? (
        <p class="empty">
          This album is empty.
          {(owner || contributor) && ' Select photos in the library and choose “Add to album…”.'}
        </p>
      ) : (
        <>
          {owner && (
            <p class="hint">
              Drag photos to arrange them. Select one to make it the cover or move it with the buttons.
            </p>
          )}
          <Grid
            assets={assets}
            selection={selection}
            onOpen={(index) => setViewing(index)}
            tileProps={(asset) => ({
              draggable: owner,
              onDragStart: (e) => {
                dragged.current = asset;
                e.dataTransfer.effectAllowed = 'move';
              },
              onDragOver: (e) => {
                if (dragged.current) e.preventDefault();
              },
              onDrop: (e) => {
                e.preventDefault();
                const from = dragged.current;
                dragged.current = null;
                if (!from || from === asset) return;
                const list = assets.filter((a) => a !== from);
                list.splice(list.indexOf(asset), 0, from);
                arrange(list);
              },
              badge:
                album.cover_asset_id === asset.id ? (
                  <span class="tile-badge" aria-label="Album cover">
                    Cover
                  </span>
                ) : null,
            })}
          />
        </>
      )}
      {selection.size > 0 && (
        <SelectionBar
          selection={selection}
          actions={actions}
          mine={onlyMine}
          onDone={() => setReload((r) => r + 1)}
          extra={
            <>
              {(owner || contributor) && (
                <button
                  type="button"
                  onClick={() =>
                    run(async () => {
                      await api(`albums/${id}/assets`, { method: 'DELETE', body: { asset_ids: ids } });
                      selection.clear();
                    }, 'Removed from the album.')
                  }
                >
                  Remove from album
                </button>
              )}
              {owner && ids.length === 1 && (
                <>
                  <button
                    type="button"
                    onClick={() =>
                      run(
                        () => api(`albums/${id}`, { method: 'PATCH', body: { cover_asset_id: ids[0] } }),
                        'Cover set.',
                      )
                    }
                  >
                    Set as cover
                  </button>
                  <button type="button" aria-label="Move earlier" onClick={() => move(-1)}>
                    ← Earlier
                  </button>
                  <button type="button" aria-label="Move later" onClick={() => move(1)}>
                    Later →
                  </button>
                </>
              )}
            </>
          }
        />
      )}
      {viewing != null && (
        <Viewer
          assets={assets}
          index={viewing}
          onClose={() => setViewing(null)}
          onEdit={actions.edit}
          onShare={(asset) => actions.share({ asset })}
        />
      )}
      {members && (
        <MembersDialog
          album={album}
          me={me}
          onClose={() => setMembers(false)}
          onChanged={() => setReload((r) => r + 1)}
          onLeft={() => go('#/albums')}
        />
      )}
    </div>
  );
}
