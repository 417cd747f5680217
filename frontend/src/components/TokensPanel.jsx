// API tokens for apps and scripts: create one with some of your scopes (its
// secret shown once), see when each was last used, revoke.
import { useState } from 'preact/hooks';
import { api, plainError } from '../lib/api.js';
import { useLoad } from '../lib/useLoad.js';
import { dateTime } from '../lib/format.js';
import { Alert } from './Alert.jsx';
import { Table } from './Table.jsx';

const SCOPES = {
  read: 'Read photos and albums',
  upload: 'Upload',
  edit: 'Change photos, albums, links, webhooks',
  admin: 'Administer accounts',
};

export function TokensPanel({ user }) {
  const [list, loadError, reload] = useLoad('tokens');
  const [error, setError] = useState(null);
  const [issued, setIssued] = useState(null);
  const scopes = Object.keys(SCOPES).filter((s) => s !== 'admin' || user.is_admin);

  async function create(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    try {
      const token = await api('tokens', {
        method: 'POST',
        body: { name: data.get('name').trim(), scopes: scopes.filter((s) => data.get(s) === 'on') },
      });
      setIssued(token);
      setError(null);
      form.reset();
      reload();
    } catch (e) {
      setError(plainError(e));
    }
  }

  async function revoke(token) {
    if (!confirm(`Revoke “${token.name}”? Apps using it stop working at once.`)) return;
    try {
      await api(`tokens/${token.id}`, { method: 'DELETE' });
      setError(null);
      reload();
    } catch (e) {
      setError(plainError(e));
    }
  }

  return (
    <section class="panel" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">API tokens</h2>
      <p class="hint">
        For the companion app, scripts and partners' tools: each token can do only what its scopes allow.
      </p>
      <form class="stacked-form" onSubmit={create}>
        <label>
          Token name
          <input name="name" required maxLength={100} placeholder="Laptop backup script" />
        </label>
        <fieldset class="checks">
          <legend>Scopes</legend>
          {scopes.map((scope) => (
            <label key={scope}>
              <input type="checkbox" name={scope} defaultChecked={scope === 'read'} /> {SCOPES[scope]}
            </label>
          ))}
        </fieldset>
        <button class="primary">Create token</button>
      </form>
      {issued && (
        <div class="issued" role="status">
          <label>
            The token “{issued.name}” — copy it now, it is not shown again
            <input readOnly value={issued.token} onFocus={(e) => e.currentTarget.select()} />
          </label>
        </div>
      )}
      <Alert message={error ?? loadError} />
      {list && (
        <Table columns={['Name', 'Scopes', 'Created', 'Last used']}>
          {list.tokens.map((t) => (
            <tr key={t.id}>
              <td>
                {t.name}
                {t.current && <span class="muted"> (this session's)</span>}
              </td>
              <td>{t.scopes.join(', ')}</td>
              <td>{dateTime(t.created_at)}</td>
              <td>{t.last_used_at ? dateTime(t.last_used_at) : 'Never'}</td>
              <td>
                <button type="button" class="danger" aria-label={`Revoke ${t.name}`} onClick={() => revoke(t)}>
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
