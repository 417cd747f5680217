// The trash: photos moved there, when each goes for good; restore them, or
// delete them now.
import { useState } from 'preact/hooks';
import { api, forEachAtMost, plainError } from '../lib/api.js';
import { dateTime } from '../lib/format.js';
import { useLoad } from '../lib/useLoad.js';
import { Alert } from '../components/Alert.jsx';
import { Grid } from '../components/Grid.jsx';
import { useSelection } from '../lib/selection.js';

export function Trash({ version, actions }) {
  const [trash, loadError, reload] = useLoad('trash?limit=1000', [version]);
  const [error, setError] = useState(null);
  const selection = useSelection();
  const items = trash?.items ?? [];
  const assets = items.map((i) => i.asset);
  selection.setOrder(assets);

  const run = async (work, done) => {
    try {
      await work();
      setError(null);
      selection.clear();
      actions.notify(done);
      reload();
    } catch (e) {
      setError(plainError(e));
    }
  };
  const ids = [...selection.ids];
  const restore = () =>
    run(
      () => forEachAtMost(ids, (id) => api(`assets/${id}/restore`, { method: 'POST' })),
      `${ids.length} photo${ids.length > 1 ? 's' : ''} back in the library.`,
    );
  const purge = () =>
    confirm(`Delete ${ids.length} photo${ids.length > 1 ? 's' : ''} for good? This cannot be undone.`) &&
    run(() => forEachAtMost(ids, (id) => api(`trash/${id}`, { method: 'DELETE' })), 'Deleted for good.');
  const empty = () =>
    confirm('Empty the trash? Every photo in it is deleted for good.') &&
    run(() => api('trash/empty', { method: 'POST' }), 'The trash is empty.');

  return (
    <div class="page">
      <div class="page-head">
        <h1>Trash</h1>
        {trash && (
          <span class="muted">
            Photos stay here {trash.retention_days} days, then go for good.
            {items.at(-1)?.purge_at ? ` The next goes ${dateTime(items.at(-1).purge_at)}.` : ''}
          </span>
        )}
        {items.length > 0 && (
          <div class="page-actions">
            <button type="button" class="danger" onClick={empty}>
              Empty trash
            </button>
          </div>
        )}
      </div>
      <Alert message={error ?? loadError} />
      {trash && items.length === 0 && <p class="empty">The trash is empty.</p>}
      {items.length > 0 && <p class="hint">Select photos to restore them or delete them now.</p>}
      <Grid assets={assets} selection={selection} onOpen={(index) => selection.toggle(assets[index], false)} />
      {selection.size > 0 && (
        <div class="selection-bar" role="toolbar" aria-label="Selected photos">
          <span class="selection-count" aria-live="polite">
            {selection.size} selected
          </span>
          <button type="button" class="primary" onClick={restore}>
            Restore
          </button>
          <button type="button" class="danger" onClick={purge}>
            Delete for good
          </button>
          <button type="button" onClick={() => selection.clear()}>
            Clear
          </button>
        </div>
      )}
    </div>
  );
}
