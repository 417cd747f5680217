// The bar beside the timeline: years marked where their months start, a
// pointer or finger dragged along it jumps to the month under it, and as a
// slider it takes the keyboard (arrows: a month, Page keys: a year).
import { useRef, useState } from 'preact/hooks';
import { monthTitle } from '../lib/format.js';

export function Scrubber({ months, offsets, total, viewportTop, onJump }) {
  const bar = useRef(null);
  const [hover, setHover] = useState(null);
  if (!months.length || !total) return null;

  // The month showing at the top of the viewport.
  let current = 0;
  for (let i = 0; i < offsets.length; i += 1) if (offsets[i] <= viewportTop + 1) current = i;

  const monthAt = (clientY) => {
    const rect = bar.current.getBoundingClientRect();
    const y = Math.min(Math.max(clientY - rect.top, 0), rect.height) / rect.height;
    let found = 0;
    for (let i = 0; i < offsets.length; i += 1) if (offsets[i] / total <= y) found = i;
    return found;
  };
  const years = [];
  months.forEach((m, i) => {
    const year = m.month.slice(0, 4);
    if (!years.length || years[years.length - 1].year !== year) years.push({ year, at: offsets[i] / total });
  });
  const step = (delta) => onJump(Math.min(Math.max(current + delta, 0), months.length - 1));
  const yearStep = (direction) => {
    const year = Number(months[current].month.slice(0, 4)) - direction;
    const i = months.findIndex((m) => Number(m.month.slice(0, 4)) <= year);
    onJump(i >= 0 ? i : months.length - 1);
  };

  return (
    <div
      ref={bar}
      class="scrubber"
      role="slider"
      tabIndex={0}
      aria-label="Jump to a month"
      aria-orientation="vertical"
      aria-valuemin={0}
      aria-valuemax={months.length - 1}
      aria-valuenow={current}
      aria-valuetext={monthTitle(months[current].month)}
      onPointerDown={(e) => {
        e.currentTarget.setPointerCapture(e.pointerId);
        onJump(monthAt(e.clientY));
      }}
      onPointerMove={(e) => {
        const i = monthAt(e.clientY);
        setHover({ i, y: e.clientY - bar.current.getBoundingClientRect().top });
        if (e.buttons) onJump(i);
      }}
      onPointerLeave={() => setHover(null)}
      onKeyDown={(e) => {
        const keys = {
          ArrowDown: () => step(1),
          ArrowUp: () => step(-1),
          PageDown: () => yearStep(1),
          PageUp: () => yearStep(-1),
          Home: () => onJump(0),
          End: () => onJump(months.length - 1),
        };
        if (keys[e.key]) {
          e.preventDefault();
          keys[e.key]();
        }
      }}
    >
      {years.map((y) => (
        <span key={y.year} class="scrubber-year" style={{ top: `${y.at * 100}%` }} aria-hidden="true">
          {y.year}
        </span>
      ))}
      <span class="scrubber-thumb" style={{ top: `${(offsets[current] / total) * 100}%` }} aria-hidden="true" />
      {hover && (
        <span class="scrubber-label" style={{ top: `${hover.y}px` }} aria-hidden="true">
          {monthTitle(months[hover.i].month)}
        </span>
      )}
    </div>
  );
}
