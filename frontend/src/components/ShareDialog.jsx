// A share link for a photo or an album: expiry, password, whether holders
// may download originals; then the link to copy.
import { useState } from 'preact/hooks';
import { api, plainError } from '../lib/api.js';
import { Dialog } from './Dialog.jsx';
import { Alert } from './Alert.jsx';

const EXPIRY_DAYS = { never: null, day: 1, week: 7, month: 30, year: 365 };

export function sharePageUrl(link) {
  return `${location.origin}/s/${encodeURIComponent(link.token)}`;
}

export function ShareDialog({ target, onClose }) {
  const [link, setLink] = useState(null);
  const [error, setError] = useState(null);
  const [copied, setCopied] = useState(false);
  const what = target.album ? `the album “${target.album.name}”` : 'this photo';

  async function create(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const days = EXPIRY_DAYS[form.get('expiry')];
    const body = {
      ...(target.album ? { album_id: target.album.id } : { asset_id: target.asset.id }),
      allow_download: form.get('download') === 'on',
      ...(form.get('password') ? { password: form.get('password') } : {}),
      ...(days ? { expires_at: new Date(Date.now() + days * 86400e3).toISOString() } : {}),
    };
    try {
      setLink(await api('shares', { method: 'POST', body }));
      setError(null);
    } catch (e) {
      setError(plainError(e));
    }
  }

  async function copy() {
    const url = sharePageUrl(link);
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
    } catch {
      // No clipboard permission: select the text for the person to copy.
      document.getElementById('share-url')?.select();
    }
  }

  return (
    <Dialog title={`Share ${what}`} onClose={onClose}>
      {!link ? (
        <form class="stack" onSubmit={create}>
          <label>
            Link expires
            <select name="expiry">
              <option value="day">after a day</option>
              <option value="week">after a week</option>
              <option value="month" selected>
                after 30 days
              </option>
              <option value="year">after a year</option>
              <option value="never">never</option>
            </select>
          </label>
          <label>
            Password <small>(optional)</small>
            <input name="password" type="password" autocomplete="new-password" minLength={4} />
          </label>
          <label class="check">
            <input name="download" type="checkbox" /> Allow downloading the originals
          </label>
          <p class="hint">
            People with the link see the photos without signing in. Where they were taken is never shown to them.
          </p>
          <Alert message={error} />
          <button class="primary">Create link</button>
        </form>
      ) : (
        <div class="stack">
          <label>
            Link
            <input id="share-url" readOnly value={sharePageUrl(link)} onFocus={(e) => e.currentTarget.select()} />
          </label>
          <p class="hint">
            {link.expires_at
              ? `Works until ${new Date(link.expires_at).toLocaleString()}.`
              : 'Works until you revoke it.'}
            {link.has_password ? ' Asks for the password.' : ''}
            {link.allow_download ? ' Originals can be downloaded.' : ''}
          </p>
          <div class="row">
            <button type="button" class="primary" onClick={copy}>
              {copied ? 'Copied' : 'Copy link'}
            </button>
            <a class="button" href={sharePageUrl(link)} target="_blank" rel="noopener">
              Open
            </a>
          </div>
        </div>
      )}
    </Dialog>
  );
}
