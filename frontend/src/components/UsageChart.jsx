// Storage and transfer per day, drawn as SVG: a line for the bytes stored
// (the left scale) and bars for the bytes moved that day (the right scale).
import { bytes } from '../lib/format.js';

const H = 220;
const PAD = { left: 64, right: 64, top: 12, bottom: 28 };

export function UsageChart({ days }) {
  // Drawn at about the size it is shown, so the labels stay readable on a phone.
  const W = window.innerWidth < 640 ? 380 : 720;
  if (!days.length) return <p class="hint">No usage recorded in this period.</p>;
  const maxStored = Math.max(1, ...days.map((d) => d.stored));
  const maxMoved = Math.max(1, ...days.map((d) => d.moved));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const x = (i) => PAD.left + (days.length === 1 ? innerW / 2 : (i * innerW) / (days.length - 1));
  const barW = Math.min(24, Math.max(2, innerW / days.length - 2));
  const line = days
    .map((d, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${(PAD.top + innerH * (1 - d.stored / maxStored)).toFixed(1)}`)
    .join(' ');
  const label = `Storage rose from ${bytes(days[0].stored)} to ${bytes(days.at(-1).stored)} between ${days[0].day} and ${days.at(-1).day}; the busiest day moved ${bytes(maxMoved)}.`;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line
              x1={PAD.left}
              x2={W - PAD.right}
              y1={PAD.top + innerH * (1 - f)}
              y2={PAD.top + innerH * (1 - f)}
              class="grid-line"
            />
            <text x={PAD.left - 6} y={PAD.top + innerH * (1 - f) + 4} text-anchor="end" class="axis stored">
              {bytes(maxStored * f)}
            </text>
            <text x={W - PAD.right + 6} y={PAD.top + innerH * (1 - f) + 4} class="axis moved">
              {bytes(maxMoved * f)}
            </text>
          </g>
        ))}
        {days.map((d, i) => (
          <rect
            key={d.day}
            x={x(i) - barW / 2}
            width={barW}
            y={PAD.top + innerH * (1 - d.moved / maxMoved)}
            height={(innerH * d.moved) / maxMoved}
            class="bar"
          >
            <title>
              {d.day}: {bytes(d.moved)} transferred, {bytes(d.stored)} stored
            </title>
          </rect>
        ))}
        <path d={line} class="line" />
        <text x={PAD.left} y={H - 8} class="axis">
          {days[0].day}
        </text>
        <text x={W - PAD.right} y={H - 8} text-anchor="end" class="axis">
          {days.at(-1).day}
        </text>
      </svg>
      <figcaption>
        <span class="key stored">Stored</span> <span class="key moved">Transferred (uploads and downloads)</span>
      </figcaption>
    </figure>
  );
}

/**
 * Per-user rows of `/admin/usage` as one total per day from `from` to `to`
 * (YYYY-MM-DD). A user without a row on a day (nothing changed) still stores
 * what they stored on their last day with one.
 */
export function dailyTotals(rows, from, to) {
  const byDay = new Map();
  for (const r of rows) {
    if (!byDay.has(r.day)) byDay.set(r.day, []);
    byDay.get(r.day).push(r);
  }
  const lastStored = new Map();
  const days = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86400e3) {
    const day = new Date(t).toISOString().slice(0, 10);
    let moved = 0;
    for (const r of byDay.get(day) ?? []) {
      lastStored.set(r.user_id, r.bytes_stored);
      moved += r.bytes_uploaded + r.bytes_downloaded_originals + r.bytes_downloaded_renditions;
    }
    let stored = 0;
    for (const v of lastStored.values()) stored += v;
    days.push({ day, stored, moved });
  }
  return days;
}
