// Who an album is shared with: its owner adds accounts by user name as
// viewers or contributors, changes roles, removes them, and chooses whether
// members see where photos were taken. Members see the list and may leave.
import { useEffect, useState } from 'preact/hooks';
import { api, plainError } from '../lib/api.js';
import { Dialog } from './Dialog.jsx';
import { Alert } from './Alert.jsx';

const ROLES = {
  viewer: 'Viewer — sees the album',
  contributor: 'Contributor — also adds their photos',
};

export function MembersDialog({ album, onClose, onChanged, onLeft, me }) {
  const [members, setMembers] = useState(null);
  const [error, setError] = useState(null);
  const [status, setStatus] = useState('');
  const owner = album.role === 'owner';
  const path = `albums/${album.id}/members`;

  const load = () =>
    api(path).then(
      (list) => setMembers(list.members),
      (e) => setError(plainError(e)),
    );
  useEffect(() => {
    load();
  }, [album.id]);

  const run = async (work, done) => {
    try {
      await work();
      setError(null);
      setStatus(done);
      await load();
      onChanged?.();
    } catch (e) {
      setError(plainError(e));
    }
  };

  async function add(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const user = data.get('user').trim();
    if (!user) return;
    await run(() => api(path, { method: 'POST', body: { user, role: data.get('role') } }), `Shared with ${user}.`);
    form.reset();
  }

  return (
    <Dialog title={`Members of “${album.name}”`} onClose={onClose}>
      <p class="hint">
        {owner
          ? 'People you add see this album in their Albums. Contributors add their own photos (on their own storage) and remove what they added.'
          : `${album.owner} shares this album with you as a ${album.role}.`}
      </p>
      {owner && (
        <form class="inline-form members-add" onSubmit={add}>
          <label>
            User name
            <input name="user" required autocomplete="off" />
          </label>
          <label>
            Role
            <select name="role">
              {Object.entries(ROLES).map(([role, text]) => (
                <option value={role} key={role}>
                  {text}
                </option>
              ))}
            </select>
          </label>
          <button class="primary">Add member</button>
        </form>
      )}
      <p class="status" role="status">
        {status}
      </p>
      <Alert message={error} />
      {members && members.length === 0 && <p class="empty">Not shared with anyone yet.</p>}
      <ul class="member-list" aria-label="Members">
        {members?.map((m) => (
          <li key={m.user_id}>
            <span class="member-name">{m.user}</span>
            {owner ? (
              <>
                <label>
                  <span class="sr-only">Role of {m.user}</span>
                  <select
                    value={m.role}
                    onChange={(e) =>
                      run(
                        () => api(`${path}/${m.user_id}`, { method: 'PATCH', body: { role: e.currentTarget.value } }),
                        `${m.user} is now a ${e.currentTarget.value}.`,
                      )
                    }
                  >
                    {Object.keys(ROLES).map((role) => (
                      <option value={role} key={role}>
                        {role}
                      </option>
                    ))}
                  </select>
                </label>
                <button
                  type="button"
                  class="danger"
                  aria-label={`Remove ${m.user}`}
                  onClick={() => {
                    if (confirm(`Remove ${m.user}? The photos they added leave the album (they keep them).`))
                      run(() => api(`${path}/${m.user_id}`, { method: 'DELETE' }), `${m.user} removed.`);
                  }}
                >
                  Remove
                </button>
              </>
            ) : (
              <span class="muted">{m.role}</span>
            )}
          </li>
        ))}
      </ul>
      {owner ? (
        <label class="check">
          <input
            type="checkbox"
            checked={album.members_see_location}
            onChange={(e) => {
              const on = e.currentTarget.checked;
              run(
                () => api(`albums/${album.id}`, { method: 'PATCH', body: { members_see_location: on } }),
                on ? 'Members now see where photos were taken.' : 'Where photos were taken is hidden from members.',
              );
            }}
          />{' '}
          Members see where photos were taken
        </label>
      ) : (
        me && (
          <button
            type="button"
            class="danger"
            onClick={() => {
              if (confirm(`Leave “${album.name}”? Photos you added leave it too (you keep them).`))
                api(`${path}/${me}`, { method: 'DELETE' }).then(onLeft, (e) => setError(plainError(e)));
            }}
          >
            Leave album
          </button>
        )
      )}
    </Dialog>
  );
}
