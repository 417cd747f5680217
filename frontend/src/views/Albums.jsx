// The albums: covers, names and counts, yours and those shared with you;
// a new one by name.
import { useState } from 'preact/hooks';
import { api, plainError } from '../lib/api.js';
import { useLoad } from '../lib/useLoad.js';
import { go } from '../lib/router.js';
import { Alert } from '../components/Alert.jsx';

export function Albums({ version }) {
  const [list, loadError] = useLoad('albums', [version]);
  const [error, setError] = useState(null);
  const albums = list?.albums;

  async function create(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const name = new FormData(form).get('name').trim();
    if (!name) return;
    try {
      const album = await api('albums', { method: 'POST', body: { name } });
      form.reset();
      go(`#/albums/${album.id}`);
    } catch (e) {
      setError(plainError(e));
    }
  }

  return (
    <div class="page">
      <div class="page-head">
        <h1>Albums</h1>
        <form class="inline-form" onSubmit={create}>
          <label>
            <span class="sr-only">New album name</span>
            <input name="name" placeholder="New album name" required />
          </label>
          <button class="primary">Create album</button>
        </form>
      </div>
      <Alert message={error ?? loadError} />
      {albums && albums.length === 0 && (
        <p class="empty">
          No albums yet. Create one here, or select photos in the library and add them to a new album.
        </p>
      )}
      <ul class="album-grid">
        {albums?.map((a) => (
          <li key={a.id}>
            <a href={`#/albums/${a.id}`} class="album-card">
              {a.cover_url ? (
                <img src={a.cover_url} alt="" loading="lazy" />
              ) : (
                <span class="album-empty" aria-hidden="true" />
              )}
              <span class="album-name">{a.name}</span>
              <span class="album-count">
                {a.asset_count} photo{a.asset_count === 1 ? '' : 's'}
              </span>
              {a.shared_with_me ? (
                <span class="album-shared">Shared by {a.owner}</span>
              ) : (
                a.member_count > 0 && (
                  <span class="album-shared">
                    Shared with {a.member_count} {a.member_count === 1 ? 'person' : 'people'}
                  </span>
                )
              )}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}
