// The library's timeline: every month of the library as a section whose
// height is known (estimated from day counts until its photos load), only
// the months near the viewport rendered (@tanstack/virtual-core), and inside
// a rendered month only the tiles near the viewport in the DOM. A scrubber
// jumps to any month.
import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from '@tanstack/virtual-core';
import { useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from 'preact/hooks';
import { allPages, plainError } from '../lib/api.js';
import { dayTitle, monthTitle } from '../lib/format.js';
import { DAY_HEADER, estimateMonth, layoutMonth } from '../lib/layout.js';
import { isRendering } from '../lib/renditions.js';
import { Scrubber } from './Scrubber.jsx';
import { Tile } from './Tile.jsx';
import { Alert } from './Alert.jsx';

/** Pixels beyond the viewport (above and below) whose tiles are kept in the DOM. */
const TILE_OVERSCAN = 800;
/** How long to wait before asking again about photos still being rendered. */
const RENDERING_RECHECK_MS = 2500;

export function Timeline({ timeline, query, selection, onOpen, onAssetsChange }) {
  const scrollRef = useRef(null);
  const [width, setWidth] = useState(0);
  // What a month load that finishes later must check against: the width and
  // the timeline may have changed while it was in flight.
  const current = useRef({ width, timeline });
  current.current = { width, timeline };
  const [viewport, setViewport] = useState({ top: 0, height: 800 });
  // Bumped whenever the months' data changes (a load, a re-layout, a new
  // timeline), which is also what redraws.
  const [dataVersion, rerender] = useReducer((n) => n + 1, 0);
  // month → { assets, layout }; replaced (not mutated) when a month reloads.
  const loaded = useRef(new Map());
  // The previous timeline's months, shown until their reload arrives (so an
  // upload batch refreshing the timeline does not blank the screen).
  const stale = useRef(new Map());
  const shown = (month) => loaded.current.get(month) ?? stale.current.get(month);
  const loading = useRef(new Set());
  const [error, setError] = useState(null);
  const months = timeline.months;

  // A new timeline (filters, uploads) makes every loaded month stale.
  const shownQuery = useRef(query);
  useEffect(() => {
    // Other filters: the old photos would mislead; the same ones: keep them.
    const sameFilters = shownQuery.current === query;
    shownQuery.current = query;
    stale.current = sameFilters ? new Map([...stale.current, ...loaded.current]) : new Map();
    loaded.current = new Map();
    loading.current = new Set();
    rerender();
  }, [timeline]);

  const heightOf = (i) => {
    const m = months[i];
    return shown(m.month)?.layout.height ?? estimateMonth(m.days, width || 1000);
  };

  const [virtualizer] = useState(
    () =>
      new Virtualizer({
        count: 0,
        getScrollElement: () => scrollRef.current,
        estimateSize: () => 0,
        scrollToFn: elementScroll,
        observeElementRect,
        observeElementOffset,
        onChange: () => rerender(),
      }),
  );
  virtualizer.setOptions({
    ...virtualizer.options,
    count: months.length,
    getItemKey: (i) => months[i].month,
    estimateSize: heightOf,
    overscan: 1,
  });
  useLayoutEffect(() => virtualizer._didMount(), []);
  useLayoutEffect(() => virtualizer._willUpdate());

  // The grid's width (without the padding), and re-layout when it changes.
  useLayoutEffect(() => {
    const element = scrollRef.current;
    const observer = new ResizeObserver(() => {
      const style = getComputedStyle(element);
      const inner = element.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      setWidth((old) => (Math.abs(old - inner) >= 1 ? Math.floor(inner) : old));
      setViewport({ top: element.scrollTop, height: element.clientHeight });
    });
    observer.observe(element);
    let frame = 0;
    const scrolled = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => setViewport({ top: element.scrollTop, height: element.clientHeight }));
    };
    element.addEventListener('scroll', scrolled, { passive: true });
    return () => {
      observer.disconnect();
      element.removeEventListener('scroll', scrolled);
    };
  }, []);

  useEffect(() => {
    if (!width) return;
    stale.current = new Map();
    for (const [month, entry] of loaded.current) {
      const m = months.find((x) => x.month === month);
      if (m) loaded.current.set(month, { ...entry, layout: layoutMonth(m.days, entry.assets, width) });
    }
    virtualizer.measure();
    rerender();
  }, [width]);

  const items = virtualizer.getVirtualItems();

  // Load the months being shown.
  useEffect(() => {
    if (!width) return;
    for (const item of items) {
      const m = months[item.index];
      if (m && !loaded.current.has(m.month) && !loading.current.has(m.month)) loadMonth(item.index, m);
    }
  });

  async function loadMonth(index, m, recheck = 0) {
    loading.current.add(m.month);
    try {
      const wanted = new Set(m.days.map((d) => d.day));
      const assets = (await allPages(`assets?month=${m.month}&sort=taken${query ? `&${query}` : ''}`, 'assets')).filter(
        (a) => wanted.has(a.day),
      );
      if (months !== current.current.timeline.months) return; // a newer timeline took over
      const layout = layoutMonth(m.days, assets, current.current.width);
      loaded.current.set(m.month, { assets, layout });
      stale.current.delete(m.month);
      virtualizer.resizeItem(index, layout.height);
      onAssetsChange?.();
      rerender();
      if (assets.some(isRendering) && recheck < 40) {
        setTimeout(() => {
          if (months === current.current.timeline.months) loadMonth(index, m, recheck + 1);
        }, RENDERING_RECHECK_MS);
      }
    } catch (e) {
      setError(plainError(e));
    } finally {
      loading.current.delete(m.month);
    }
  }

  // Every loaded photo in timeline order: for the viewer and shift-click.
  const ordered = useMemo(() => {
    const list = [];
    for (const m of months) {
      const entry = shown(m.month);
      if (entry) list.push(...entry.layout.tiles.map((t) => t.asset));
    }
    return list;
  }, [months, dataVersion]);
  selection.setOrder(ordered);

  return (
    <div class={`timeline-frame${selection.size ? ' selecting' : ''}`}>
      <div class="timeline" ref={scrollRef} aria-label="Photos by date" role="region" tabIndex={-1}>
        <Alert message={error} />
        <div style={{ height: `${virtualizer.getTotalSize()}px`, position: 'relative' }}>
          {items.map((item) => {
            const m = months[item.index];
            const entry = shown(m.month);
            return (
              <section
                key={m.month}
                class="month"
                aria-label={monthTitle(m.month)}
                style={{ top: `${item.start}px`, height: `${item.size}px` }}
              >
                <h2 class="month-title">
                  {monthTitle(m.month)}
                  {entry && (
                    <button
                      type="button"
                      class="select-group"
                      aria-label={`Select every photo of ${monthTitle(m.month)}`}
                      onClick={() => selection.add(entry.assets)}
                    >
                      Select
                    </button>
                  )}
                </h2>
                {entry ? (
                  <MonthTiles
                    entry={entry}
                    from={viewport.top - item.start - TILE_OVERSCAN}
                    to={viewport.top + viewport.height - item.start + TILE_OVERSCAN}
                    selection={selection}
                    onOpen={(asset) =>
                      onOpen(
                        ordered,
                        ordered.findIndex((a) => a.id === asset.id),
                      )
                    }
                  />
                ) : (
                  <div class="month-placeholder" aria-busy="true">
                    <span class="sr-only">Loading {m.count} photos</span>
                  </div>
                )}
              </section>
            );
          })}
        </div>
      </div>
      <Scrubber
        months={months}
        offsets={months.map((_, i) => virtualizer.measurementsCache[i]?.start ?? 0)}
        total={virtualizer.getTotalSize()}
        viewportTop={viewport.top}
        onJump={(i) => virtualizer.scrollToIndex(i, { align: 'start' })}
      />
    </div>
  );
}

function MonthTiles({ entry, from, to, selection, onOpen }) {
  const { layout } = entry;
  return (
    <>
      {layout.days
        .filter((d) => d.top + DAY_HEADER >= from && d.top <= to)
        .map((d) => (
          <h3 key={d.day} class="day-title" style={{ top: `${d.top}px` }}>
            {dayTitle(d.day)}
            <button
              type="button"
              class="select-group"
              aria-label={`Select every photo of ${dayTitle(d.day)}`}
              onClick={() => selection.add(entry.assets.filter((a) => a.day === d.day))}
            >
              Select
            </button>
          </h3>
        ))}
      {layout.tiles
        .filter((t) => t.top + t.height >= from && t.top <= to)
        .map((t) => (
          <Tile key={t.asset.id} tile={t} selection={selection} onOpen={onOpen} />
        ))}
    </>
  );
}
