// Webhooks: URLs the server POSTs your library's changes to (signed with a
// secret shown once); each one's recent deliveries, with every attempt.
import { useState } from 'preact/hooks';
import { api, plainError } from '../lib/api.js';
import { useLoad } from '../lib/useLoad.js';
import { dateTime } from '../lib/format.js';
import { Alert } from './Alert.jsx';

const EVENTS = [
  'asset.created',
  'asset.updated',
  'asset.edited',
  'rendition.ready',
  'asset.trashed',
  'asset.restored',
  'asset.purged',
  'album.created',
  'album.changed',
  'album.deleted',
  'album.assets_changed',
  'album.shared',
  'album.unshared',
];

export function WebhooksPanel() {
  const [list, loadError, reload] = useLoad('webhooks');
  const [error, setError] = useState(null);
  const [created, setCreated] = useState(null);
  const [open, setOpen] = useState(null);

  async function create(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    try {
      const hook = await api('webhooks', {
        method: 'POST',
        body: {
          url: data.get('url').trim(),
          description: data.get('description').trim(),
          events: EVENTS.filter((e) => data.get(e) === 'on'),
        },
      });
      setCreated(hook);
      setError(null);
      form.reset();
      reload();
    } catch (e) {
      setError(plainError(e));
    }
  }

  async function remove(hook) {
    if (!confirm(`Delete the webhook to ${hook.url}? Its pending deliveries stop.`)) return;
    try {
      await api(`webhooks/${hook.id}`, { method: 'DELETE' });
      setError(null);
      reload();
    } catch (e) {
      setError(plainError(e));
    }
  }

  return (
    <section class="panel" aria-labelledby="webhooks-heading">
      <h2 id="webhooks-heading">Webhooks</h2>
      <p class="hint">
        darkroom POSTs each change you choose to your https:// URL, signed with the webhook's secret
        (X-Darkroom-Signature).
      </p>
      <form class="stacked-form" onSubmit={create}>
        <label>
          Receiver URL
          <input name="url" type="url" required placeholder="https://example.org/darkroom" />
        </label>
        <label>
          Description
          <input name="description" maxLength={200} />
        </label>
        <fieldset class="checks">
          <legend>Events</legend>
          {EVENTS.map((e) => (
            <label key={e}>
              <input type="checkbox" name={e} defaultChecked={e === 'asset.created'} /> <code>{e}</code>
            </label>
          ))}
        </fieldset>
        <button class="primary">Add webhook</button>
      </form>
      {created && (
        <div class="issued" role="status">
          <label>
            The signing secret of {created.url} — copy it now, it is not shown again
            <input readOnly value={created.secret} onFocus={(e) => e.currentTarget.select()} />
          </label>
        </div>
      )}
      <Alert message={error ?? loadError} />
      {list && list.webhooks.length === 0 && <p class="empty">No webhooks yet.</p>}
      <ul class="hook-list">
        {list?.webhooks.map((hook) => (
          <li key={hook.id}>
            <div class="hook-head">
              <span class="hook-url">{hook.url}</span>
              <span class="muted">{hook.events.join(', ')}</span>
              <button
                type="button"
                aria-expanded={open === hook.id}
                onClick={() => setOpen(open === hook.id ? null : hook.id)}
              >
                Deliveries
              </button>
              <button
                type="button"
                class="danger"
                aria-label={`Delete the webhook to ${hook.url}`}
                onClick={() => remove(hook)}
              >
                Delete
              </button>
            </div>
            {open === hook.id && <Deliveries hook={hook} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Deliveries({ hook }) {
  const [page, error] = useLoad(`webhooks/${hook.id}/deliveries`);
  if (error) return <Alert message={error} />;
  if (!page) return <p>Loading…</p>;
  if (page.deliveries.length === 0) return <p class="muted">Nothing sent yet.</p>;
  return (
    <ul class="delivery-list" aria-label={`Deliveries to ${hook.url}`}>
      {page.deliveries.map((d) => {
        const last = d.attempts[d.attempts.length - 1];
        return (
          <li key={d.id}>
            <code>{d.event}</code> · {dateTime(d.created_at)} · <strong>{d.state}</strong>
            {last &&
              ` · ${d.attempts.length} attempt${d.attempts.length === 1 ? '' : 's'}, last ${
                last.status ? `HTTP ${last.status}` : (last.error ?? 'no answer')
              } in ${last.duration_ms} ms`}
          </li>
        );
      })}
    </ul>
  );
}
