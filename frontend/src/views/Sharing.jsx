// The account's share links: what each shares, its state, revoke.
import { useState } from 'preact/hooks';
import { api, plainError } from '../lib/api.js';
import { useLoad } from '../lib/useLoad.js';
import { dateTime } from '../lib/format.js';
import { sharePageUrl } from '../components/ShareDialog.jsx';
import { Alert } from '../components/Alert.jsx';
import { Table } from '../components/Table.jsx';

export function Sharing({ version }) {
  const [list, loadError, reload] = useLoad('shares', [version]);
  const [error, setError] = useState(null);
  const links = list?.links;

  async function revoke(link) {
    if (!confirm('Revoke this link? Anyone holding it loses access at once.')) return;
    try {
      await api(`shares/${link.id}`, { method: 'DELETE' });
      reload();
    } catch (e) {
      setError(plainError(e));
    }
  }

  return (
    <div class="page">
      <h1>Share links</h1>
      <Alert message={error ?? loadError} />
      {links && links.length === 0 && (
        <p class="empty">No share links yet. Open a photo or an album and choose Share.</p>
      )}
      {links && links.length > 0 && (
        <Table columns={['Shares', 'State', 'Expires', 'Options']}>
          {links.map((l) => (
            <tr key={l.id}>
              <td>
                {l.type === 'album' ? <a href={`#/albums/${l.target_id}`}>an album</a> : 'a photo'} ·{' '}
                <a href={sharePageUrl(l)}>link</a>
              </td>
              <td>{l.state}</td>
              <td>{l.expires_at ? dateTime(l.expires_at) : 'never'}</td>
              <td>
                {[l.has_password && 'password', l.allow_download && 'downloads'].filter(Boolean).join(', ') || '—'}
              </td>
              <td>
                {l.state === 'active' && (
                  <button type="button" class="danger" onClick={() => revoke(l)}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}
