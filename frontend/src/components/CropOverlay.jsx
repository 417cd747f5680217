// The crop rectangle over the uncropped frame: drag a corner handle to
// resize, the inside to move; arrow keys nudge the focused handle. Values are
// fractions of the frame, as the recipe's `crop`.
import { useRef } from 'preact/hooks';

const MIN = 0.05;
const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);

/** The largest `ratio` (width/height in pixels) rectangle centred in `crop`. */
export function fitAspect(crop, ratio, frameRatio) {
  // In fractions, width/height = ratio / frameRatio.
  const r = ratio / frameRatio;
  let { width, height } = crop;
  if (width / height > r) width = height * r;
  else height = width / r;
  return { x: crop.x + (crop.width - width) / 2, y: crop.y + (crop.height - height) / 2, width, height };
}

export function CropOverlay({ crop, ratio, frameRatio, onChange }) {
  const box = useRef(null);
  const start = useRef(null);

  function resize(corner, dx, dy, from) {
    let { x, y, width, height } = from;
    if (corner.includes('w')) {
      const nx = clamp(x + dx, 0, x + width - MIN);
      width += x - nx;
      x = nx;
    }
    if (corner.includes('e')) width = clamp(width + dx, MIN, 1 - x);
    if (corner.includes('n')) {
      const ny = clamp(y + dy, 0, y + height - MIN);
      height += y - ny;
      y = ny;
    }
    if (corner.includes('s')) height = clamp(height + dy, MIN, 1 - y);
    let next = { x, y, width, height };
    if (ratio) {
      const fitted = fitAspect(next, ratio, frameRatio);
      // Keep the corner opposite the one dragged where it was.
      next = {
        ...fitted,
        x: corner.includes('w') ? x + width - fitted.width : x,
        y: corner.includes('n') ? y + height - fitted.height : y,
      };
    }
    return next;
  }
  const move = (dx, dy, from) => ({
    ...from,
    x: clamp(from.x + dx, 0, 1 - from.width),
    y: clamp(from.y + dy, 0, 1 - from.height),
  });

  const down = (what) => (e) => {
    e.preventDefault();
    e.stopPropagation();
    e.currentTarget.setPointerCapture(e.pointerId);
    start.current = { what, px: e.clientX, py: e.clientY, crop };
  };
  const moveTo = (e) => {
    if (!start.current) return;
    const rect = box.current.getBoundingClientRect();
    const dx = (e.clientX - start.current.px) / rect.width;
    const dy = (e.clientY - start.current.py) / rect.height;
    const { what, crop: from } = start.current;
    onChange(what === 'move' ? move(dx, dy, from) : resize(what, dx, dy, from));
  };
  const up = () => {
    start.current = null;
  };
  const key = (what) => (e) => {
    const step = e.shiftKey ? 0.05 : 0.01;
    const d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[e.key];
    if (!d) return;
    e.preventDefault();
    e.stopPropagation();
    onChange(what === 'move' ? move(d[0], d[1], crop) : resize(what, d[0], d[1], crop));
  };

  const pct = (v) => `${v * 100}%`;
  return (
    <div ref={box} class="crop-overlay" onPointerMove={moveTo} onPointerUp={up} onPointerCancel={up}>
      <div
        class="crop-rect"
        style={{ left: pct(crop.x), top: pct(crop.y), width: pct(crop.width), height: pct(crop.height) }}
        tabIndex={0}
        role="group"
        aria-label="Crop area: drag or use the arrow keys to move it"
        onPointerDown={down('move')}
        onKeyDown={key('move')}
      >
        {['nw', 'ne', 'sw', 'se'].map((corner) => (
          <span
            key={corner}
            class={`crop-handle ${corner}`}
            tabIndex={0}
            role="button"
            aria-label={`Crop corner ${{ nw: 'top left', ne: 'top right', sw: 'bottom left', se: 'bottom right' }[corner]}: drag or use the arrow keys`}
            onPointerDown={down(corner)}
            onKeyDown={key(corner)}
          />
        ))}
      </div>
    </div>
  );
}
