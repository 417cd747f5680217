// The full-screen viewer: PhotoSwipe (keyboard, swipe, pinch and zoom) over
// the photos of the grid it was opened from. The preview rendition is shown
// first; zooming in loads the original (or, for files a browser cannot
// show, such as RAW, the full-size rendering). An info panel, drawn inside
// PhotoSwipe's own element so its focus handling keeps working, shows and
// edits the photo's details.
import PhotoSwipe from 'photoswipe';
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { aspect, fullSizeUrl, rendition } from '../lib/renditions.js';
import { InfoPanel } from './InfoPanel.jsx';

/** The details panel's width, and the narrowest screen it sits beside the photo on. */
const PANEL_WIDTH = 340;
const PANEL_BESIDE = 900;
function slide(asset, shared) {
  const preview = rendition(asset, 'preview');
  const thumb = rendition(asset, 'thumb');
  const ratio = aspect(asset);
  const full = fullSizeUrl(asset, shared);
  const longEdge = full
    ? Math.max(asset.width ?? 0, asset.height ?? 0, preview?.width ?? 0, preview?.height ?? 0)
    : Math.max(preview?.width ?? 1024, preview?.height ?? 1024);
  const width = Math.round(ratio >= 1 ? longEdge : longEdge * ratio);
  const height = Math.round(ratio >= 1 ? longEdge / ratio : longEdge);
  const srcset = [preview && `${preview.url} ${preview.width}w`, full && `${full} ${width}w`]
    .filter(Boolean)
    .join(', ');
  return {
    src: preview?.url ?? thumb?.url ?? full,
    srcset: srcset || undefined,
    msrc: thumb?.url,
    width,
    height,
    alt: asset.title || asset.original_name,
  };
}

export function Viewer({ assets, index, shared, onClose, onChanged, onEdit, onShare, onTrash }) {
  useEffect(() => {
    const pswp = new PhotoSwipe({
      dataSource: assets.map((a) => slide(a, shared)),
      index,
      bgOpacity: 1,
      // No opening animation: keyboard navigation is bound when it ends.
      showHideAnimationType: 'none',
      secondaryZoomLevel: 1,
      maxZoomLevel: 2,
      closeTitle: 'Close (Esc)',
      zoomTitle: 'Zoom to full size (Z)',
      arrowPrevTitle: 'Previous photo',
      arrowNextTitle: 'Next photo',
      errorMsg: 'This photo could not be loaded.',
      // On a wide screen the photo fits beside the open details panel.
      paddingFn: (viewport) => ({
        top: 0,
        bottom: 0,
        left: 0,
        right: open && viewport.x >= PANEL_BESIDE ? PANEL_WIDTH : 0,
      }),
    });
    let panel = null;
    let open = window.innerWidth >= PANEL_BESIDE;
    let drawnOpen = open;
    const draw = () => {
      if (!panel) return;
      panel.hidden = !open;
      if (drawnOpen !== open) {
        drawnOpen = open;
        pswp.updateSize(true);
      }
      const asset = assets[pswp.currIndex];
      render(
        <InfoPanel
          asset={asset}
          shared={shared}
          onClose={() => {
            open = false;
            draw();
          }}
          onChanged={(updated) => {
            Object.assign(asset, updated);
            onChanged?.(asset);
            draw();
          }}
          onEdit={
            onEdit &&
            (() => {
              pswp.close();
              onEdit(asset);
            })
          }
          onShare={onShare && (() => onShare(asset))}
          onTrash={
            onTrash &&
            (async () => {
              await onTrash(asset);
              pswp.close();
            })
          }
        />,
        panel,
      );
    };
    pswp.on('uiRegister', () => {
      pswp.ui.registerElement({
        name: 'info-button',
        order: 15,
        isButton: true,
        title: 'Details (I)',
        ariaLabel: 'Show or hide details',
        html: '<span aria-hidden="true" class="pswp-info-icon">i</span>',
        onClick: () => {
          open = !open;
          draw();
        },
      });
      pswp.ui.registerElement({
        name: 'info-panel',
        appendTo: 'root',
        onInit: (element) => {
          panel = element;
          draw();
        },
      });
    });
    pswp.on('change', draw);
    pswp.on('keydown', (e) => {
      const target = e.originalEvent.target;
      // Typing in the panel is not navigating.
      if (target.closest?.('input, textarea, select')) e.preventDefault();
      else if (e.originalEvent.key === 'i') {
        open = !open;
        draw();
      }
    });
    let destroyed = false;
    pswp.on('destroy', () => {
      destroyed = true;
      if (panel) render(null, panel);
      onClose();
    });
    pswp.init();
    return () => {
      if (!destroyed) pswp.destroy();
    };
  }, []);
  return null;
}
