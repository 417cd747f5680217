// Rendition URLs and the shape a photo is shown at.

export function rendition(asset, name) {
  return asset.renditions?.find((r) => r.name === name && r.status === 'ready') ?? null;
}

/** Width over height as displayed (after EXIF orientation and edits). */
export function aspect(asset) {
  const shown = rendition(asset, 'thumb') ?? rendition(asset, 'preview');
  if (shown?.width && shown?.height) return shown.width / shown.height;
  if (asset.width && asset.height) {
    const turned = asset.orientation >= 5 && asset.orientation <= 8;
    return turned ? asset.height / asset.width : asset.width / asset.height;
  }
  return 1;
}

/** `srcset` with thumb and preview, for the browser to choose by size. */
export function srcset(asset) {
  return ['thumb', 'preview']
    .map((name) => rendition(asset, name))
    .filter((r) => r?.width)
    .map((r) => `${r.url} ${r.width}w`)
    .join(', ');
}

/** Still being made: a rendition is pending (not failed, not unsupported). */
export function isRendering(asset) {
  return !rendition(asset, 'thumb') && asset.renditions?.some((r) => r.status === 'pending');
}

/** Why a photo has no preview, as the API says (failed or unsupported). */
export function noPreviewReason(asset) {
  return asset.renditions?.find((r) => r.error)?.error ?? '';
}

const BROWSER_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif']);

/**
 * Where the API serves this photo to whoever looks: its owner's routes, a
 * shared album's, or a share link's — the base of the rendition URLs the
 * API gave with it.
 */
export function assetPath(asset) {
  const url = asset.renditions?.[0]?.url ?? '';
  const cut = url.indexOf('/renditions/');
  return cut > 0 ? url.slice(0, cut) : `/api/v1/assets/${asset.id}`;
}

/** Someone else's photo, seen through a shared album or a share link. */
export function isGuestView(asset) {
  return !assetPath(asset).startsWith('/api/v1/assets/');
}

/**
 * The photo at full size for the viewer's zoom, or null. The owner gets the
 * original when a browser can show it as it is, else the full-size rendering
 * of the current edit. A link holder or an album member zooms only as far as
 * the preview: a shared photo's edit is not disclosed, so its original could
 * contradict it.
 */
export function fullSizeUrl(asset, shared) {
  if (shared || isGuestView(asset)) return null;
  const path = assetPath(asset);
  return asset.edit_version > 0 || !BROWSER_FORMATS.has(asset.format)
    ? `${path}/export?format=jpeg&quality=90`
    : `${path}/original`;
}
