// Administration: accounts and quotas, usage over time, what deduplication
// saves, and the job queue.
import { useEffect, useState } from 'preact/hooks';
import { api, plainError } from '../lib/api.js';
import { useLoad } from '../lib/useLoad.js';
import { bytes, dateTime, parseBytes } from '../lib/format.js';
import { UsageChart, dailyTotals } from '../components/UsageChart.jsx';
import { Table } from '../components/Table.jsx';

export function Admin() {
  return (
    <div class="page admin">
      <h1>Administration</h1>
      <Storage />
      <Usage />
      <Users />
      <Jobs />
    </div>
  );
}

function Storage() {
  const [storage, error] = useLoad('admin/storage');
  return (
    <section aria-labelledby="storage-title">
      <h2 id="storage-title">Storage</h2>
      {error && <p class="error">{error}</p>}
      {storage && (
        <dl class="stats">
          <div>
            <dt>Stored</dt>
            <dd>{bytes(storage.stored_bytes)}</dd>
          </div>
          <div>
            <dt>Originals uploaded</dt>
            <dd>{bytes(storage.original_bytes)}</dd>
          </div>
          <div>
            <dt>Saved by deduplication</dt>
            <dd data-testid="dedup-saved">{bytes(storage.saved_by_dedup_bytes)}</dd>
          </div>
          <div>
            <dt>Renditions</dt>
            <dd>{bytes(storage.rendition_bytes)}</dd>
          </div>
          <div>
            <dt>Blobs</dt>
            <dd>{storage.blobs.toLocaleString()}</dd>
          </div>
        </dl>
      )}
    </section>
  );
}

function Usage() {
  const [days, setDays] = useState(30);
  const to = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - (days - 1) * 86400e3).toISOString().slice(0, 10);
  const [usage, error] = useLoad(`admin/usage?from=${from}&to=${to}`);
  return (
    <section aria-labelledby="usage-title">
      <div class="section-head">
        <h2 id="usage-title">Usage</h2>
        <label>
          <span class="sr-only">Period</span>
          <select value={days} onChange={(e) => setDays(Number(e.currentTarget.value))}>
            <option value={7}>Last 7 days</option>
            <option value={30}>Last 30 days</option>
            <option value={90}>Last 90 days</option>
            <option value={365}>Last year</option>
          </select>
        </label>
        <a class="button" href={`/api/v1/admin/usage?from=${from}&to=${to}&format=csv`} download>
          CSV
        </a>
      </div>
      {error && <p class="error">{error}</p>}
      {usage && <UsageChart days={dailyTotals(usage.rows, usage.from, usage.to)} />}
    </section>
  );
}

function Users() {
  const [list, error, reload] = useLoad('admin/users');
  const [message, setMessage] = useState(null);
  const act = async (work, done) => {
    try {
      await work();
      setMessage(done);
      reload();
    } catch (e) {
      setMessage(plainError(e));
    }
  };
  const setQuota = (user) => {
    const text = prompt(
      `Quota for ${user.name} (e.g. 50G, 500M, or empty for none)`,
      user.quota_bytes ? bytes(user.quota_bytes).replace(' ', '') : '',
    );
    if (text === null) return;
    const quota = text.trim() === '' ? null : parseBytes(text);
    if (quota === undefined) return setMessage(`“${text}” is not a size like 50G or 500M.`);
    act(
      () => api(`admin/users/${user.id}`, { method: 'PATCH', body: { quota_bytes: quota } }),
      `Quota of ${user.name} set.`,
    );
  };
  const setPassword = (user) => {
    const password = prompt(`New password for ${user.name} (this ends their sessions)`);
    if (password)
      act(
        () => api(`admin/users/${user.id}`, { method: 'PATCH', body: { password } }),
        `Password of ${user.name} set.`,
      );
  };
  async function create(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const quota = data.get('quota') ? parseBytes(data.get('quota')) : null;
    if (quota === undefined) return setMessage('The quota should be a size like 50G or 500M.');
    await act(
      () =>
        api('admin/users', {
          method: 'POST',
          body: {
            name: data.get('name'),
            password: data.get('password') || null,
            is_admin: data.get('admin') === 'on',
            quota_bytes: quota,
          },
        }),
      `Account ${data.get('name')} created.`,
    );
    form.reset();
  }

  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">Accounts</h2>
      {(error || message) && (
        <p class={error ? 'error' : 'status'} role="status">
          {error ?? message}
        </p>
      )}
      <form class="inline-form wrap" onSubmit={create} aria-label="New account">
        <label>
          Name
          <input name="name" required autocomplete="off" />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="new-password" />
        </label>
        <label>
          Quota
          <input name="quota" placeholder="e.g. 50G" size={8} />
        </label>
        <label class="check">
          <input name="admin" type="checkbox" /> Administrator
        </label>
        <button class="primary">Create account</button>
      </form>
      {list && (
        <Table columns={['Name', 'Role', 'State', 'Usage']}>
          {list.users.map((u) => (
            <tr key={u.id}>
              <td>{u.name}</td>
              <td>{u.is_admin ? 'administrator' : 'photographer'}</td>
              <td>{u.disabled ? 'disabled' : 'active'}</td>
              <td>
                <span>
                  {bytes(u.usage_bytes)} of {u.quota_bytes == null ? 'no quota' : bytes(u.quota_bytes)}
                </span>
                {u.quota_bytes != null && (
                  <meter
                    min={0}
                    max={u.quota_bytes}
                    value={u.usage_bytes}
                    high={u.quota_bytes * 0.9}
                    aria-label={`Quota used by ${u.name}`}
                  />
                )}
              </td>
              <td class="actions">
                <button type="button" onClick={() => setQuota(u)}>
                  Quota…
                </button>
                <button type="button" onClick={() => setPassword(u)}>
                  Password…
                </button>
                <button
                  type="button"
                  class={u.disabled ? '' : 'danger'}
                  onClick={() =>
                    act(
                      () => api(`admin/users/${u.id}`, { method: 'PATCH', body: { disabled: !u.disabled } }),
                      `${u.name} ${u.disabled ? 'enabled' : 'disabled'}.`,
                    )
                  }
                >
                  {u.disabled ? 'Enable' : 'Disable'}
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}

function Jobs() {
  const [state, setState] = useState('');
  const [jobs, error, reload] = useLoad(`admin/jobs?limit=25${state ? `&state=${state}` : ''}`);
  const [message, setMessage] = useState(null);
  useEffect(() => {
    const t = setInterval(reload, 5000);
    return () => clearInterval(t);
  }, []);
  async function retry(job) {
    try {
      await api(`admin/jobs/${job.id}/retry`, { method: 'POST' });
      setMessage('Queued again.');
      reload();
    } catch (e) {
      setMessage(plainError(e));
    }
  }
  return (
    <section aria-labelledby="jobs-title">
      <div class="section-head">
        <h2 id="jobs-title">Job queue</h2>
        <label>
          <span class="sr-only">Show jobs</span>
          <select value={state} onChange={(e) => setState(e.currentTarget.value)}>
            <option value="">All jobs</option>
            <option value="queued">Queued</option>
            <option value="running">Running</option>
            <option value="failed">Failed</option>
            <option value="done">Done</option>
          </select>
        </label>
      </div>
      {(error || message) && <p class={error ? 'error' : 'status'}>{error ?? message}</p>}
      {jobs && (
        <>
          <dl class="stats">
            {['queued', 'running', 'failed', 'done'].map((s) => (
              <div key={s} class={s === 'failed' && jobs.counts.failed ? 'alert' : ''}>
                <dt>{s[0].toUpperCase() + s.slice(1)}</dt>
                <dd data-testid={`jobs-${s}`}>{jobs.counts[s].toLocaleString()}</dd>
              </div>
            ))}
          </dl>
          <Table columns={['Job', 'State', 'Attempts', 'Last error', 'Updated']}>
            {jobs.jobs.map((j) => (
              <tr key={j.id}>
                <td>{j.kind}</td>
                <td>{j.state}</td>
                <td>
                  {j.attempts} / {j.max_attempts}
                </td>
                <td class="wrap-text">{j.last_error ?? '—'}</td>
                <td>{dateTime(j.updated_at)}</td>
                <td>
                  {j.state === 'failed' && (
                    <button type="button" onClick={() => retry(j)}>
                      Retry
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </Table>
        </>
      )}
    </section>
  );
}
