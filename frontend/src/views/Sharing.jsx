// The account's share links: what each shares (name and thumbnail), its
// state and options; change a link in place (expiry, password, downloads)
// or revoke it.
import { useState } from 'preact/hooks';
import { api, plainError } from '../lib/api.js';
import { useLoad } from '../lib/useLoad.js';
import { dateTime } from '../lib/format.js';
import { Alert } from '../components/Alert.jsx';
import { Dialog } from '../components/Dialog.jsx';
import { Table } from '../components/Table.jsx';

export function Sharing({ version }) {
  const [list, loadError, reload] = useLoad('shares', [version]);
  const [error, setError] = useState(null);
  const [changing, setChanging] = useState(null);
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
          {links.map((l) => {
            const name = l.target_name ?? (l.type === 'album' ? 'an album (deleted)' : 'a photo (deleted)');
            return (
              <tr key={l.id}>
                <td>
                  <span class="link-target">
                    {l.thumb_url ? (
                      <img src={l.thumb_url} alt="" class="link-thumb" />
                    ) : (
                      <span class="link-thumb" aria-hidden="true" />
                    )}
                    {l.type === 'album' && l.target_name ? <a href={`#/albums/${l.target_id}`}>{name}</a> : name}
                  </span>
                </td>
                <td>{l.state}</td>
                <td>{l.expires_at ? dateTime(l.expires_at) : 'never'}</td>
                <td>
                  {[l.has_password && 'password', l.allow_download && 'downloads'].filter(Boolean).join(', ') || '—'}
                </td>
                <td>
                  <div class="row-actions">
                    {l.state !== 'revoked' && (
                      <button type="button" aria-label={`Change the link to ${name}`} onClick={() => setChanging(l)}>
                        Change…
                      </button>
                    )}
                    {l.state === 'active' && (
                      <button
                        type="button"
                        class="danger"
                        aria-label={`Revoke the link to ${name}`}
                        onClick={() => revoke(l)}
                      >
                        Revoke
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            );
          })}
        </Table>
      )}
      {changing && (
        <ChangeLink
          link={changing}
          onClose={(changed) => {
            setChanging(null);
            if (changed) reload();
          }}
        />
      )}
    </div>
  );
}

const EXPIRY = { keep: null, never: 0, day: 1, week: 7, month: 30, year: 365 };

/** A link's options, changed without a new URL. */
function ChangeLink({ link, onClose }) {
  const [error, setError] = useState(null);
  async function save(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body = { allow_download: form.get('download') === 'on' };
    const days = EXPIRY[form.get('expiry')];
    if (days === 0) body.expires_at = null;
    else if (days) body.expires_at = new Date(Date.now() + days * 86400e3).toISOString();
    if (form.get('password-choice') === 'none') body.password = null;
    else if (form.get('password-choice') === 'new') body.password = form.get('password');
    try {
      await api(`shares/${link.id}`, { method: 'PATCH', body });
      onClose(true);
    } catch (e) {
      setError(plainError(e));
    }
  }
  return (
    <Dialog title={`Change the link to ${link.target_name ?? 'what it shares'}`} onClose={() => onClose(false)}>
      <form class="stacked-form" onSubmit={save}>
        <label>
          Expires
          <select name="expiry" defaultValue="keep">
            <option value="keep">As now ({link.expires_at ? dateTime(link.expires_at) : 'never'})</option>
            <option value="day">In a day</option>
            <option value="week">In a week</option>
            <option value="month">In 30 days</option>
            <option value="year">In a year</option>
            <option value="never">Never</option>
          </select>
        </label>
        <fieldset class="checks">
          <legend>Password</legend>
          <label>
            <input type="radio" name="password-choice" value="keep" defaultChecked />{' '}
            {link.has_password ? 'Keep the password' : 'No password'}
          </label>
          {link.has_password && (
            <label>
              <input type="radio" name="password-choice" value="none" /> Remove the password
            </label>
          )}
          <label>
            <input type="radio" name="password-choice" value="new" /> A new password:
          </label>
          <label>
            <span class="sr-only">New password</span>
            <input name="password" type="password" autocomplete="new-password" />
          </label>
        </fieldset>
        <label class="check">
          <input type="checkbox" name="download" defaultChecked={link.allow_download} /> Allow downloading the originals
        </label>
        <Alert message={error} />
        <button class="primary">Save</button>
      </form>
    </Dialog>
  );
}
