// A justified grid of a list of photos (an album, a share), in the list's
// order. Every tile is laid out (cheap: arithmetic), but only those near
// the viewport are in the DOM, so an album of thousands scrolls as one of
// dozens does.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { justify } from '../lib/layout.js';
import { aspect } from '../lib/renditions.js';
import { Tile } from './Tile.jsx';

/** How far beyond the viewport tiles are kept drawn, in pixels. */
const OVERSCAN = 800;

/** The part of `element` inside the window (plus the overscan), in its own coordinates. */
function visibleRange(element) {
  const rect = element.getBoundingClientRect();
  return { from: -rect.top - OVERSCAN, to: -rect.top + window.innerHeight + OVERSCAN };
}

export function Grid({ assets, selection, onOpen, tileProps }) {
  const ref = useRef(null);
  const [width, setWidth] = useState(0);
  const [range, setRange] = useState({ from: 0, to: 4000 });
  useLayoutEffect(() => {
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, []);
  useEffect(() => {
    let frame = 0;
    // Any scrolling ancestor (captured), the window, or a new size moves it.
    const update = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        if (ref.current) setRange(visibleRange(ref.current));
      });
    };
    update();
    window.addEventListener('scroll', update, { capture: true, passive: true });
    window.addEventListener('resize', update);
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener('scroll', update, { capture: true });
      window.removeEventListener('resize', update);
    };
  }, []);
  const geometry = width ? justify(assets.map(aspect), width) : { boxes: [], containerHeight: 0 };
  return (
    <div ref={ref} class="grid" style={{ height: `${geometry.containerHeight}px` }}>
      {geometry.boxes.map((box, i) =>
        box.top + box.height < range.from || box.top > range.to ? null : (
          <Tile
            key={assets[i].id}
            tile={{ asset: assets[i], top: box.top, left: box.left, width: box.width, height: box.height }}
            selection={selection}
            onOpen={(asset) => onOpen(assets.indexOf(asset))}
            {...(tileProps?.(assets[i], i) ?? {})}
          />
        ),
      )}
    </div>
  );
}
