import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'photoswipe/style.css';
import './styles.css';
import { api, setCsrfToken } from './lib/api.js';
import { useRoute } from './lib/router.js';
import { SignIn } from './views/SignIn.jsx';
import { Shell } from './views/Shell.jsx';
import { SharePage } from './views/SharePage.jsx';

function App() {
  const route = useRoute();
  // undefined: still asking the server; null: signed out.
  const [session, setSession] = useState(undefined);

  useEffect(() => {
    if (route.name === 'share') return;
    api('auth/session')
      .then((s) => {
        setCsrfToken(s.csrf_token);
        setSession(s);
      })
      .catch(() => setSession(null));
    const signedOut = () => setSession(null);
    window.addEventListener('darkroom:signed-out', signedOut);
    return () => window.removeEventListener('darkroom:signed-out', signedOut);
  }, [route.name === 'share']);

  if (route.name === 'share') return <SharePage token={route.token} />;
  if (session === undefined) return <p class="boot">Loading darkroom…</p>;
  if (session === null)
    return (
      <SignIn
        onSignedIn={(s) => {
          setCsrfToken(s.csrf_token);
          setSession(s);
        }}
      />
    );
  return (
    <Shell
      route={route}
      user={session.user}
      onSignedOut={() => {
        setCsrfToken(null);
        setSession(null);
      }}
    />
  );
}

const root = document.getElementById('app');
// The page's "Loading…" text goes; Preact would otherwise keep it beside the app.
root.textContent = '';
render(<App />, root);
