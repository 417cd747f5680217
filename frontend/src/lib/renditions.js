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

export function isRendering(asset) {
  return !rendition(asset, 'thumb') && asset.renditions?.some((r) => r.status !== 'failed');
}
