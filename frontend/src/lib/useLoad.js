// A GET of the API as component state: `[data, error, reload]`, fetched again
// when the path or any of `deps` changes, or on `reload()`.
import { useEffect, useState } from 'preact/hooks';
import { api, plainError } from './api.js';

export function useLoad(path, deps = []) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    api(path)
      .then((d) => {
        setData(d);
        setError(null);
      })
      .catch((e) => setError(plainError(e)));
  }, [path, n, ...deps]);
  return [data, error, () => setN((x) => x + 1)];
}
