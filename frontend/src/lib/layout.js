// The timeline's geometry: each month is a section of day groups, each day a
// justified grid (rows of photos at their true aspect ratios). A month not
// loaded yet gets an estimate from its day counts, replaced once its photos
// arrive.
import justifiedLayout from 'justified-layout';
import { aspect } from './renditions.js';

export const MONTH_HEADER = 52;
export const DAY_HEADER = 34;
export const GAP = 4;
const TYPICAL_ASPECT = 1.4;

export function rowHeightFor(width) {
  return width < 500 ? 110 : width < 900 ? 160 : 200;
}

/** Justified rows for photos of these aspect ratios at `width`: `{ boxes, containerHeight }`. */
export function justify(aspects, width) {
  return justifiedLayout(aspects, {
    containerWidth: width,
    containerPadding: 0,
    boxSpacing: GAP,
    targetRowHeight: rowHeightFor(width),
  });
}

function estimateDay(count, width) {
  const rowHeight = rowHeightFor(width);
  const perRow = Math.max(1, Math.floor((width + GAP) / (rowHeight * TYPICAL_ASPECT + GAP)));
  const rows = Math.ceil(count / perRow);
  return DAY_HEADER + rows * (rowHeight + GAP);
}

/** The height a month would take with `days` ({day, count}) at `width`. */
export function estimateMonth(days, width) {
  return MONTH_HEADER + days.reduce((sum, d) => sum + estimateDay(d.count, width), 0);
}

/**
 * The exact geometry of a loaded month: `{ height, days: [{ day, top }],
 * tiles: [{ asset, top, left, width, height }] }` with tops relative to the
 * month's section.
 */
export function layoutMonth(days, assets, width) {
  const byDay = new Map(days.map((d) => [d.day, []]));
  for (const a of assets) byDay.get(a.day)?.push(a);
  const dayTops = [];
  const tiles = [];
  let top = MONTH_HEADER;
  for (const { day } of days) {
    const list = byDay.get(day);
    if (!list.length) continue;
    dayTops.push({ day, top });
    top += DAY_HEADER;
    const geometry = justify(list.map(aspect), width);
    geometry.boxes.forEach((box, i) => {
      tiles.push({ asset: list[i], top: top + box.top, left: box.left, width: box.width, height: box.height });
    });
    top += geometry.containerHeight + GAP;
  }
  return { height: top, days: dayTops, tiles };
}
