// The account's share links: what each shares, its state, revoke.
import { useEffect, useState } from 'preact/hooks';
import { api, plainError } from '../lib/api.js';
import { dateTime } from '../lib/format.js';
import { sharePageUrl } from '../components/ShareDialog.jsx';

export function Sharing({ version }) {
  const [links, setLinks] = useState(null);
  const [error, setError] = useState(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    api('shares')
      .then((r) => setLinks(r.links))
      .catch((e) => setError(plainError(e)));
  }, [version, reload]);

  async function revoke(link) {
    if (!confirm('Revoke this link? Anyone holding it loses access at once.')) return;
    try {
      await api(`shares/${link.id}`, { method: 'DELETE' });
      setReload((r) => r + 1);
    } catch (e) {
      setError(plainError(e));
    }
  }

  return (
    <div class="page">
      <h1>Share links</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {links && links.length === 0 && <p class="empty">No share links yet. Open a photo or an album and choose Share.</p>}
      {links && links.length > 0 && (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Shares</th>
                <th scope="col">State</th>
                <th scope="col">Expires</th>
                <th scope="col">Options</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {links.map((l) => (
                <tr key={l.id}>
                  <td>
                    {l.type === 'album' ? (
                      <a href={`#/albums/${l.target_id}`}>an album</a>
                    ) : (
                      'a photo'
                    )}{' '}
                    · <a href={sharePageUrl(l)}>link</a>
                  </td>
                  <td>{l.state}</td>
                  <td>{l.expires_at ? dateTime(l.expires_at) : 'never'}</td>
                  <td>{[l.has_password && 'password', l.allow_download && 'downloads'].filter(Boolean).join(', ') || '—'}</td>
                  <td>
                    {l.state === 'active' && (
                      <button type="button" class="danger" onClick={() => revoke(l)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
