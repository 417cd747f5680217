// What someone holding a share link sees, without an account: the album or
// photo, a grid and the viewer. The server leaves location out of all of it.
import { useEffect, useState } from 'preact/hooks';
import { allPages, api, plainError } from '../lib/api.js';
import { Grid } from '../components/Grid.jsx';
import { Viewer } from '../components/Viewer.jsx';
import { Alert } from '../components/Alert.jsx';

export function SharePage({ token }) {
  const base = `shared/${encodeURIComponent(token)}`;
  const [share, setShare] = useState(null);
  const [assets, setAssets] = useState(null);
  const [state, setState] = useState('loading');
  const [error, setError] = useState(null);
  const [viewing, setViewing] = useState(null);

  async function load() {
    try {
      const described = await api(base);
      setShare(described);
      setAssets(await allPages(`${base}/assets`, 'assets'));
      setState('ready');
    } catch (e) {
      if (e.code === 'share_password_required') setState('password');
      else {
        setState('failed');
        setError(e.status === 404 ? 'This link does not exist (any more).' : plainError(e));
      }
    }
  }
  useEffect(() => {
    load();
  }, [token]);

  async function unlock(event) {
    event.preventDefault();
    const password = new FormData(event.currentTarget).get('password');
    try {
      await api(`${base}/unlock`, { method: 'POST', body: { password } });
      setError(null);
      await load();
    } catch (e) {
      setError(e.code === 'invalid_credentials' ? 'That is not the password of this link.' : plainError(e));
    }
  }

  const title = share?.album?.name ?? share?.asset?.title ?? share?.asset?.original_name ?? 'Shared photos';
  return (
    <div class="share-page">
      <header class="topbar">
        <span class="brand">darkroom</span>
        <span class="muted">Shared with you</span>
      </header>
      <main id="main" class="page">
        {state === 'loading' && <p>Loading…</p>}
        {state === 'failed' && <Alert message={error} />}
        {state === 'password' && (
          <form class="card narrow" onSubmit={unlock}>
            <h1>This link is protected</h1>
            <label>
              Password
              <input name="password" type="password" required autofocus />
            </label>
            <Alert message={error} />
            <button class="primary">Open</button>
          </form>
        )}
        {state === 'ready' && (
          <>
            <div class="page-head">
              <h1>{title}</h1>
              <span class="muted">
                {assets.length} photo{assets.length === 1 ? '' : 's'}
                {share.expires_at ? ` · available until ${new Date(share.expires_at).toLocaleDateString()}` : ''}
              </span>
            </div>
            {share.album?.description && <p>{share.album.description}</p>}
            <Grid assets={assets} onOpen={(index) => setViewing(index)} />
          </>
        )}
      </main>
      {viewing != null && (
        <Viewer
          assets={assets}
          index={viewing}
          shared={{ token, allowDownload: share.allow_download }}
          onClose={() => setViewing(null)}
        />
      )}
    </div>
  );
}
