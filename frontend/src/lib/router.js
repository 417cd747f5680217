// Hash routes inside the signed-in app (`#/albums/ID`), so that the server
// needs only one page; a share link's public page is the path `/s/TOKEN`.
import { useEffect, useState } from 'preact/hooks';

export function currentRoute() {
  const share = location.pathname.match(/^\/s\/([^/]+)$/);
  if (share) return { name: 'share', token: decodeURIComponent(share[1]) };
  const [path, search = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean);
  switch (parts[0]) {
    case 'albums':
      return parts[1] ? { name: 'album', id: parts[1] } : { name: 'albums' };
    case 'sharing':
      return { name: 'sharing' };
    case 'admin':
      return { name: 'admin' };
    case 'trash':
      return { name: 'trash' };
    case 'account':
      return { name: 'account' };
    case 'places':
      return { name: 'places' };
    case 'map':
      return { name: 'map' };
    default:
      // The library, with filters a link may set (`#/?country=FR&city=Paris`).
      return { name: 'library', filters: Object.fromEntries(new URLSearchParams(search)) };
  }
}

export function useRoute() {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const changed = () => setRoute(currentRoute());
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export function go(hash) {
  location.hash = hash;
}

/** The library's hash route filtered to a country, or one of its cities. */
export function placeHash(countryCode, city) {
  const params = new URLSearchParams({ country: countryCode });
  if (city) params.set('city', city);
  return `#/?${params}`;
}
