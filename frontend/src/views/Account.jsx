// Your account: password and sessions, API tokens, webhooks.
import { PasswordPanel } from '../components/PasswordPanel.jsx';
import { TokensPanel } from '../components/TokensPanel.jsx';
import { WebhooksPanel } from '../components/WebhooksPanel.jsx';

export function Account({ user }) {
  return (
    <div class="page account">
      <div class="page-head">
        <h1>Account</h1>
        <span class="muted">Signed in as {user.name}</span>
      </div>
      <PasswordPanel user={user} />
      <TokensPanel user={user} />
      <WebhooksPanel />
    </div>
  );
}
