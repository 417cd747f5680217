// Changing your password (from a signed-in browser), and signing out the
// browsers you left signed in elsewhere.
import { useState } from 'preact/hooks';
import { api, plainError } from '../lib/api.js';
import { Alert } from './Alert.jsx';

export function PasswordPanel({ user }) {
  const [error, setError] = useState(null);
  const [status, setStatus] = useState('');

  async function change(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    if (data.get('new') !== data.get('again')) {
      setError('The two new passwords are not the same.');
      return;
    }
    try {
      await api('me/password', {
        method: 'PUT',
        body: {
          ...(user.has_password ? { current_password: data.get('current') } : {}),
          new_password: data.get('new'),
        },
      });
      form.reset();
      setError(null);
      setStatus('Password changed. Your other sessions were signed out.');
    } catch (e) {
      setError(plainError(e));
    }
  }

  async function signOutOthers() {
    try {
      const ended = await api('auth/logout-others', { method: 'POST' });
      setError(null);
      setStatus(
        ended.sessions_ended === 0
          ? 'No other session was signed in.'
          : `Signed out ${ended.sessions_ended} other session${ended.sessions_ended === 1 ? '' : 's'}.`,
      );
    } catch (e) {
      setError(plainError(e));
    }
  }

  return (
    <section class="panel" aria-labelledby="password-heading">
      <h2 id="password-heading">Password and sessions</h2>
      <form class="stacked-form" onSubmit={change}>
        {user.has_password && (
          <label>
            Current password
            <input name="current" type="password" autocomplete="current-password" required />
          </label>
        )}
        <label>
          New password <small>(at least 8 characters)</small>
          <input name="new" type="password" autocomplete="new-password" minLength={8} required />
        </label>
        <label>
          New password again
          <input name="again" type="password" autocomplete="new-password" minLength={8} required />
        </label>
        <button class="primary">Change password</button>
      </form>
      <p>
        <button type="button" onClick={signOutOthers}>
          Sign out other sessions
        </button>
      </p>
      <p class="status" role="status">
        {status}
      </p>
      <Alert message={error} />
    </section>
  );
}
