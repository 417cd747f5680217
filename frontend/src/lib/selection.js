// Which photos are selected: click a photo's tick to select it, shift-click
// to select every photo between it and the last one ticked (in the order
// shown), and while anything is selected a click on a photo ticks it too.
import { useMemo, useRef, useState } from 'preact/hooks';

export function useSelection() {
  const [ids, setIds] = useState(() => new Set());
  const order = useRef([]);
  const anchor = useRef(null);

  return useMemo(
    () => ({
      ids,
      size: ids.size,
      has: (id) => ids.has(id),
      /** The photos in the order they are shown, for shift-click ranges. */
      setOrder(list) {
        order.current = list;
      },
      toggle(asset, extend) {
        const next = new Set(ids);
        const list = order.current;
        const from = list.findIndex((a) => a.id === anchor.current);
        const to = list.findIndex((a) => a.id === asset.id);
        if (extend && from >= 0 && to >= 0) {
          const [a, b] = from < to ? [from, to] : [to, from];
          for (let i = a; i <= b; i += 1) next.add(list[i].id);
        } else if (next.has(asset.id)) {
          next.delete(asset.id);
        } else {
          next.add(asset.id);
        }
        anchor.current = asset.id;
        setIds(next);
      },
      /** Adds these photos (a day's, a month's) to the selection. */
      add(assets) {
        const next = new Set(ids);
        for (const a of assets) next.add(a.id);
        setIds(next);
      },
      selectAll() {
        setIds(new Set(order.current.map((a) => a.id)));
      },
      clear() {
        anchor.current = null;
        setIds(new Set());
      },
      /** The selected photos among those shown, in their order. */
      selected() {
        return order.current.filter((a) => ids.has(a.id));
      },
    }),
    [ids],
  );
}
