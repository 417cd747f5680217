// Filters over the library: a search (file name, title, caption, keywords,
// camera, lens, creator, place names), camera, lens, dates, rating, RAW,
// favourites and keyword. They narrow the timeline and its scrubber alike.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.js';

/** The filters as the listing's query parameters. */
export function filterQuery(filters) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (value === '' || value == null || value === false) continue;
    params.set(key, String(value));
  }
  return params.toString();
}

export function Filters({ value, onChange }) {
  const [open, setOpen] = useState(false);
  const [facets, setFacets] = useState(null);
  const [words, setWords] = useState(value.q ?? '');
  useEffect(() => {
    if (open && !facets)
      api('assets/facets')
        .then(setFacets)
        .catch(() => setFacets({ cameras: [], lenses: [], keywords: [] }));
  }, [open]);
  // The search waits for a pause in typing, and for a word to look for.
  useEffect(() => {
    const q = /[\p{L}\p{N}]/u.test(words) ? words : '';
    const t = setTimeout(() => q !== (value.q ?? '') && onChange({ ...value, q }), 300);
    return () => clearTimeout(t);
  }, [words]);

  const set = (key) => (e) => {
    const target = e.currentTarget;
    onChange({ ...value, [key]: target.type === 'checkbox' ? target.checked : target.value });
  };
  const camera = value.make || value.model ? `${value.make ?? ''}\u0000${value.model ?? ''}` : '';
  const active = Object.entries(value).filter(([k, v]) => k !== 'q' && v !== '' && v != null && v !== false).length;

  return (
    <div class="filters">
      <div class="filters-row">
        <label class="search">
          <span class="sr-only">Search photos</span>
          <input
            type="search"
            placeholder="Search titles, keywords, places, cameras…"
            value={words}
            onInput={(e) => setWords(e.currentTarget.value)}
          />
        </label>
        <button type="button" aria-expanded={open} aria-controls="filter-panel" onClick={() => setOpen(!open)}>
          Filters{active ? ` (${active})` : ''}
        </button>
        {active > 0 && (
          <button type="button" onClick={() => onChange({ q: value.q })}>
            Clear filters
          </button>
        )}
      </div>
      {open && (
        <div id="filter-panel" class="filter-panel">
          <label>
            Camera
            <select
              value={camera}
              onChange={(e) => {
                const [make, model] = e.currentTarget.value.split('\u0000');
                onChange({ ...value, make: make || '', model: model || '' });
              }}
            >
              <option value="">Any camera</option>
              {facets?.cameras.map((c) => (
                <option key={`${c.make}/${c.model}`} value={`${c.make ?? ''}\u0000${c.model ?? ''}`}>
                  {[c.make, c.model].filter(Boolean).join(' ')} ({c.count})
                </option>
              ))}
            </select>
          </label>
          <label>
            Lens
            <select value={value.lens ?? ''} onChange={set('lens')}>
              <option value="">Any lens</option>
              {facets?.lenses.map((l) => (
                <option key={l.lens} value={l.lens}>
                  {l.lens} ({l.count})
                </option>
              ))}
            </select>
          </label>
          <label>
            From
            <input type="date" value={value.from ?? ''} onChange={set('from')} />
          </label>
          <label>
            To
            <input type="date" value={value.to ?? ''} onChange={set('to')} />
          </label>
          <label>
            Rating
            <select value={value.min_rating ?? ''} onChange={set('min_rating')}>
              <option value="">Any rating</option>
              {[1, 2, 3, 4, 5].map((n) => (
                <option key={n} value={n}>
                  {'★'.repeat(n)} or more
                </option>
              ))}
            </select>
          </label>
          <label>
            Keyword
            <input list="keyword-list" value={value.keyword ?? ''} onChange={set('keyword')} />
            <datalist id="keyword-list">
              {facets?.keywords.map((k) => (
                <option key={k.keyword} value={k.keyword} />
              ))}
            </datalist>
          </label>
          <label class="check">
            <input type="checkbox" checked={Boolean(value.raw)} onChange={set('raw')} /> RAW only
          </label>
          <label class="check">
            <input type="checkbox" checked={Boolean(value.favorite)} onChange={set('favorite')} /> Favourites only
          </label>
        </div>
      )}
    </div>
  );
}
