import { useState } from 'preact/hooks';
import { api, plainError } from '../lib/api.js';
import { Alert } from '../components/Alert.jsx';

export function SignIn({ onSignedIn }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const login = await api('auth/login', {
        method: 'POST',
        body: { username: form.get('username'), password: form.get('password') },
      });
      onSignedIn(login);
    } catch (e) {
      setError(e.code === 'invalid_credentials' ? 'That name and password do not match an account.' : plainError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="signin">
      <form class="card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title" class="brand">
          darkroom
        </h1>
        <label>
          User name
          <input name="username" autocomplete="username" required autofocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <Alert message={error} />
        <button class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
