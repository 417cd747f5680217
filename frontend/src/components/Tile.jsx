import { dayTitle } from '../lib/format.js';
import { isRendering, noPreviewReason, rendition, srcset } from '../lib/renditions.js';

/** What kind of photo a tile shows, at a glance: RAW, RAW+JPEG, edited. */
export function badgesOf(asset) {
  const badges = [];
  const roles = new Set((asset.files ?? []).map((f) => f.role));
  if (roles.has('raw') && roles.has('jpeg'))
    badges.push({ key: 'pair', text: 'RAW+JPEG', title: 'A camera RAW and its JPEG, kept as one photo' });
  else if (asset.is_raw) badges.push({ key: 'raw', text: 'RAW', title: 'A camera RAW file' });
  if (asset.motion_video_url)
    badges.push({ key: 'live', text: 'LIVE', title: 'A Live Photo or motion photo: it moves (M in the viewer)' });
  if (asset.edit_version > 0)
    badges.push({ key: 'edited', text: 'Edited', title: `Edited (version ${asset.edit_version})` });
  return badges;
}

function Badges({ asset }) {
  const badges = badgesOf(asset);
  if (!badges.length) return null;
  return (
    <span class="tile-kinds">
      {badges.map((b) => (
        <span key={b.key} class={`tile-kind tile-kind-${b.key}`} title={b.title}>
          {b.text}
        </span>
      ))}
    </span>
  );
}

/** One photo of a grid, absolutely placed by its layout box. */
export function Tile({ tile, selection, onOpen, draggable, onDragStart, onDragOver, onDrop, badge }) {
  const { asset } = tile;
  const thumb = rendition(asset, 'thumb');
  const selected = selection?.has(asset.id);
  const label = asset.title || asset.original_name;
  return (
    <div
      class={`tile${selected ? ' selected' : ''}${selection?.size ? ' selecting' : ''}`}
      style={{ top: `${tile.top}px`, left: `${tile.left}px`, width: `${tile.width}px`, height: `${tile.height}px` }}
      draggable={draggable}
      onDragStart={onDragStart}
      onDragOver={onDragOver}
      onDrop={onDrop}
      data-asset-id={asset.id}
    >
      <button
        type="button"
        class="tile-open"
        aria-label={[label, dayTitle(asset.day), asset.favorite && 'favourite', ...badgesOf(asset).map((b) => b.title)]
          .filter(Boolean)
          .join(', ')}
        onClick={(e) => {
          if (selection && (selection.size || e.shiftKey)) selection.toggle(asset, e.shiftKey);
          else onOpen(asset);
        }}
      >
        {thumb ? (
          <img
            src={thumb.url}
            srcset={srcset(asset)}
            sizes={`${Math.ceil(tile.width)}px`}
            width={Math.round(tile.width)}
            height={Math.round(tile.height)}
            loading="lazy"
            decoding="async"
            alt=""
          />
        ) : (
          <span class="tile-pending" title={isRendering(asset) ? undefined : noPreviewReason(asset)}>
            {isRendering(asset) ? 'Processing…' : 'No preview'}
          </span>
        )}
      </button>
      {selection && (
        <input
          type="checkbox"
          class="tile-check"
          aria-label={`Select ${label}`}
          checked={selected}
          onClick={(e) => {
            e.preventDefault();
            selection.toggle(asset, e.shiftKey);
          }}
        />
      )}
      {asset.favorite && (
        <span class="tile-fav" aria-hidden="true">
          ♥
        </span>
      )}
      <Badges asset={asset} />
      {badge}
    </div>
  );
}
