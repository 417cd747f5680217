// "On this day": the library's photos taken on today's date in earlier
// years, one card per year, opening the viewer on that year's photos.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { rendition } from '../lib/renditions.js';

/** Today's date where the browser is, as the API wants it. */
function localDay() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function Memories({ version, onOpen }) {
  const [years, setYears] = useState([]);
  useEffect(() => {
    api(`memories?date=${localDay()}`)
      .then((m) => setYears(m.years))
      // A greeting: without it the library is still the library.
      .catch(() => setYears([]));
  }, [version]);
  if (years.length === 0) return null;
  return (
    <section class="memories" aria-labelledby="memories-heading">
      <h2 id="memories-heading">On this day</h2>
      <ul>
        {years.map((y) => {
          const cover = rendition(y.assets[0], 'thumb');
          const ago = `${y.years_ago} year${y.years_ago === 1 ? '' : 's'} ago`;
          return (
            <li key={y.year}>
              <button type="button" class="memory" onClick={() => onOpen(y.assets, 0)}>
                {cover ? <img src={cover.url} alt="" /> : <span class="album-empty" aria-hidden="true" />}
                <span class="memory-when">{ago}</span>
                <span class="muted">
                  {y.year} · {y.assets.length} photo{y.assets.length === 1 ? '' : 's'}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
