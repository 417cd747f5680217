// The library: filters, the timeline of every photo, the selection's
// actions and the viewer.
import { useEffect, useState } from 'preact/hooks';
import { api, plainError } from '../lib/api.js';
import { useSelection } from '../lib/selection.js';
import { Filters, filterQuery } from '../components/Filters.jsx';
import { SelectionBar } from '../components/SelectionBar.jsx';
import { Timeline } from '../components/Timeline.jsx';
import { Viewer } from '../components/Viewer.jsx';
import { Alert } from '../components/Alert.jsx';
import { Memories } from '../components/Memories.jsx';
import { go } from '../lib/router.js';

export function Library({ version, actions, initial }) {
  // `add_to`: picking photos for that album (from its page's "Add photos…").
  const { add_to: addTo, ...linkFilters } = initial ?? {};
  const [filters, setFilters] = useState(linkFilters);
  const [target, setTarget] = useState(null);
  useEffect(() => {
    if (addTo) api(`albums/${addTo}`).then(setTarget, (e) => setError(plainError(e)));
  }, [addTo]);
  const [timeline, setTimeline] = useState(null);
  const [error, setError] = useState(null);
  const [viewing, setViewing] = useState(null);
  const selection = useSelection();
  const query = filterQuery(filters);

  useEffect(() => {
    const controller = new AbortController();
    api(`timeline${query ? `?${query}` : ''}`, { signal: controller.signal })
      .then((t) => {
        setTimeline(t);
        setError(null);
      })
      .catch((e) => e.name !== 'AbortError' && setError(plainError(e)));
    return () => controller.abort();
  }, [query, version]);

  const filtered = Boolean(query);
  return (
    <div class="library">
      <Filters value={filters} onChange={setFilters} />
      {(filters.country || filters.city) && (
        <p class="place-filter">
          Taken in {[filters.city, filters.country].filter(Boolean).join(', ')} ·{' '}
          <button type="button" class="link" onClick={() => setFilters({ ...filters, country: '', city: '' })}>
            Everywhere
          </button>
        </p>
      )}
      <Alert message={error} />
      {target && (
        <div class="picking" role="status">
          Select photos to add to “{target.name}”, then{' '}
          <button
            type="button"
            class="primary"
            disabled={selection.size === 0}
            onClick={async () => {
              try {
                const ids = [...selection.ids];
                const { added } = await api(`albums/${target.id}/assets`, {
                  method: 'POST',
                  body: { asset_ids: ids },
                });
                selection.clear();
                actions.notify(`${added} photo${added === 1 ? '' : 's'} added to “${target.name}”.`);
                go(`#/albums/${target.id}`);
              } catch (e) {
                setError(plainError(e));
              }
            }}
          >
            Add {selection.size || ''} to the album
          </button>{' '}
          <a href={`#/albums/${target.id}`}>Back to the album</a>
        </div>
      )}
      {!query && !target && <Memories version={version} onOpen={(assets, index) => setViewing({ assets, index })} />}
      {timeline && timeline.total === 0 && (
        <div class="empty">
          {filtered ? (
            <p>No photos match these filters.</p>
          ) : (
            <>
              <h2>No photos yet</h2>
              <p>Drop photos anywhere on this page, or use Upload. RAW files are welcome.</p>
            </>
          )}
        </div>
      )}
      {timeline && timeline.total > 0 && (
        <Timeline
          timeline={timeline}
          query={query}
          selection={selection}
          onOpen={(assets, index) => setViewing({ assets, index })}
        />
      )}
      {selection.size > 0 && <SelectionBar selection={selection} actions={actions} onDone={actions.refresh} />}
      {viewing && (
        <Viewer
          assets={viewing.assets}
          index={viewing.index}
          onClose={() => setViewing(null)}
          onEdit={actions.edit}
          onShare={(asset) => actions.share({ asset })}
          onTrash={async (asset) => {
            await api(`assets/${asset.id}`, { method: 'DELETE' });
            actions.refresh();
          }}
        />
      )}
    </div>
  );
}
