// The signed-in app: a header with the sections, the upload panel, and the
// dialogs (editor, sharing) any section can open.
import { useRef, useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { Uploader } from '../components/Uploader.jsx';
import { Editor } from '../components/Editor.jsx';
import { ShareDialog } from '../components/ShareDialog.jsx';
import { Library } from './Library.jsx';
import { Albums } from './Albums.jsx';
import { AlbumView } from './AlbumView.jsx';
import { Sharing } from './Sharing.jsx';
import { Admin } from './Admin.jsx';
import { Trash } from './Trash.jsx';
import { Places } from './Places.jsx';
import { MapView } from './MapView.jsx';
import { Account } from './Account.jsx';

export function Shell({ route, user, onSignedOut }) {
  const [version, setVersion] = useState(0);
  const [editing, setEditing] = useState(null);
  const [sharing, setSharing] = useState(null);
  const [notice, setNotice] = useState(null);
  const noticeTimer = useRef(0);
  const picker = useRef(null);
  const bumpTimer = useRef(0);
  // While uploads finish, reload what is shown at most once a second (a
  // throttle, not a debounce: a long batch shows its photos as they arrive).
  const refresh = () => {
    if (bumpTimer.current) return;
    bumpTimer.current = setTimeout(() => {
      bumpTimer.current = 0;
      setVersion((v) => v + 1);
    }, 1000);
  };
  const actions = {
    edit: (asset) => setEditing(asset),
    share: (target) => setSharing(target),
    refresh: () => setVersion((v) => v + 1),
    /** A short message at the bottom of the screen. */
    notify: (text) => {
      clearTimeout(noticeTimer.current);
      setNotice(text);
      noticeTimer.current = setTimeout(() => setNotice(null), 5000);
    },
  };

  async function signOut() {
    try {
      await api('auth/logout', { method: 'POST' });
    } finally {
      onSignedOut();
    }
  }

  const link = (hash, label, name) => (
    <a
      href={hash}
      aria-current={route.name === name || (name === 'albums' && route.name === 'album') ? 'page' : undefined}
    >
      {label}
    </a>
  );

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="#/">
          darkroom
        </a>
        <nav aria-label="Sections">
          {link('#/', 'Library', 'library')}
          {link('#/albums', 'Albums', 'albums')}
          {link('#/places', 'Places', 'places')}
          {link('#/map', 'Map', 'map')}
          {link('#/sharing', 'Sharing', 'sharing')}
          {link('#/trash', 'Trash', 'trash')}
          {user.is_admin && link('#/admin', 'Admin', 'admin')}
        </nav>
        <div class="topbar-end">
          <button type="button" class="primary" onClick={() => picker.current?.()}>
            Upload
          </button>
          <a
            class="who"
            href="#/account"
            title={`Signed in as ${user.name}: account settings`}
            aria-current={route.name === 'account' ? 'page' : undefined}
          >
            {user.name}
          </a>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" class="content">
        {route.name === 'library' && (
          <Library key={JSON.stringify(route.filters)} initial={route.filters} version={version} actions={actions} />
        )}
        {route.name === 'places' && <Places version={version} />}
        {route.name === 'account' && <Account user={user} />}
        {route.name === 'map' && <MapView version={version} actions={actions} />}
        {route.name === 'albums' && <Albums version={version} actions={actions} />}
        {route.name === 'album' && <AlbumView id={route.id} version={version} actions={actions} me={user.id} />}
        {route.name === 'sharing' && <Sharing version={version} />}
        {route.name === 'trash' && <Trash version={version} actions={actions} />}
        {route.name === 'admin' && user.is_admin && <Admin />}
      </main>
      <Uploader pickerRef={picker} onUploaded={refresh} />
      {editing && (
        <Editor
          asset={editing}
          onClose={(saved) => {
            setEditing(null);
            if (saved) actions.refresh();
          }}
        />
      )}
      {sharing && <ShareDialog target={sharing} onClose={() => setSharing(null)} />}
      <p class={`notice${notice ? ' shown' : ''}`} role="status">
        {notice}
      </p>
    </div>
  );
}
