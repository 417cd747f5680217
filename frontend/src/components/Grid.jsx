// A justified grid of a list of photos (an album, a share): all tiles laid
// out in one block, in the list's order.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { justify } from '../lib/layout.js';
import { aspect } from '../lib/renditions.js';
import { Tile } from './Tile.jsx';

export function Grid({ assets, selection, onOpen, tileProps }) {
  const ref = useRef(null);
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, []);
  const geometry = width ? justify(assets.map(aspect), width) : { boxes: [], containerHeight: 0 };
  return (
    <div ref={ref} class="grid" style={{ height: `${geometry.containerHeight}px` }}>
      {geometry.boxes.map((box, i) => (
        <Tile
          key={assets[i].id}
          tile={{ asset: assets[i], top: box.top, left: box.left, width: box.width, height: box.height }}
          selection={selection}
          onOpen={(asset) => onOpen(assets.indexOf(asset))}
          {...(tileProps?.(assets[i], i) ?? {})}
        />
      ))}
    </div>
  );
}
