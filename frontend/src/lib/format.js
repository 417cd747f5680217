// Numbers and dates as people read them.

const units = ['B', 'KB', 'MB', 'GB', 'TB'];

export function bytes(n) {
  if (n == null) return '—';
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** `50G`, `500 MB`, `1t` → bytes (powers of 1024); '' → null (no quota). */
export function parseBytes(text) {
  const m = String(text)
    .trim()
    .match(/^(\d+(?:\.\d+)?)\s*([kmgt]?)b?$/i);
  if (!m) return undefined;
  const power = ' kmgt'.indexOf(m[2].toLowerCase() || ' ');
  return Math.round(Number(m[1]) * 1024 ** power);
}

export function monthTitle(month) {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString(undefined, {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

export function dayTitle(day) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

export function dateTime(iso) {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function exposure(meta) {
  if (!meta) return null;
  const parts = [];
  if (meta.exposure_time_s) {
    const t = meta.exposure_time_s;
    parts.push(t >= 1 ? `${t} s` : `1/${Math.round(1 / t)} s`);
  }
  if (meta.f_number) parts.push(`ƒ/${meta.f_number}`);
  if (meta.focal_length_mm) parts.push(`${meta.focal_length_mm} mm`);
  if (meta.iso) parts.push(`ISO ${meta.iso}`);
  return parts.length ? parts.join(' · ') : null;
}
