// The full-screen viewer: PhotoSwipe (keyboard, swipe, pinch and zoom) over
// the photos of the grid it was opened from. The preview rendition is shown
// first; zooming in loads the original (or, for files a browser cannot
// show, such as RAW, the full-size rendering). An info panel, drawn inside
// PhotoSwipe's own element so its focus handling keeps working, shows and
// edits the photo's details. Keys: arrows, Esc, Z (PhotoSwipe's), I
// (details), S (slideshow), R (rotate your photo a quarter turn), F
// (favourite), E (edit) and ? (the list of them).
import PhotoSwipe from 'photoswipe';
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { api } from '../lib/api.js';
import { aspect, fullSizeUrl, isGuestView, rendition } from '../lib/renditions.js';
import { InfoPanel } from './InfoPanel.jsx';

/** How long a slideshow shows each photo. */
const SLIDE_MS = 4000;

/** The viewer's keys, for its help overlay (PhotoSwipe's own first). */
export const VIEWER_KEYS = [
  ['← →', 'Previous and next photo'],
  ['Esc', 'Close the viewer'],
  ['Z', 'Zoom to full size and back'],
  ['I', 'Show or hide the details'],
  ['S', 'Start or stop the slideshow'],
  ['F', 'Favourite (your photos)'],
  ['R', 'Rotate a quarter turn clockwise (your photos)'],
  ['E', 'Edit (your photos)'],
  ['M', 'Play or stop the motion of a motion photo'],
  ['?', 'This list'],
];

/** Saves the photo's current edit turned a quarter more (a new version). */
async function rotate(asset) {
  const current = await api(`assets/${asset.id}/edit`);
  const recipe = { ...current.recipe, rotate: ((current.recipe.rotate ?? 0) + 90) % 360 };
  await api(`assets/${asset.id}/edit`, { method: 'PUT', body: recipe });
}

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
    let overlay = null;
    let open = window.innerWidth >= PANEL_BESIDE;
    let help = false;
    let notice = '';
    let slideshow = 0;
    // The motion photo whose video is playing over its still, if any.
    let playing = null;
    const toggleMotion = () => {
      const asset = assets[pswp.currIndex];
      playing = !playing && asset.motion_video_url ? asset : null;
      draw();
    };
    const ownPhoto = () => !shared && !isGuestView(assets[pswp.currIndex]);
    const say = (text) => {
      notice = text;
      draw();
    };
    const toggleSlideshow = () => {
      if (slideshow) {
        clearInterval(slideshow);
        slideshow = 0;
        say('Slideshow stopped.');
      } else {
        slideshow = setInterval(() => pswp.next(), SLIDE_MS);
        say('Slideshow: a photo every 4 seconds (S stops it).');
      }
    };
    const rotateCurrent = async () => {
      const asset = assets[pswp.currIndex];
      if (!ownPhoto()) return;
      try {
        say('Rotating…');
        await rotate(asset);
        asset.edit_version = (asset.edit_version ?? 0) + 1;
        onChanged?.(asset);
        say('Rotated: the turned preview shows once it is rendered.');
      } catch (e) {
        say(`Not rotated: ${e.message}`);
      }
    };
    const favouriteCurrent = async () => {
      const asset = assets[pswp.currIndex];
      if (!ownPhoto()) return;
      try {
        Object.assign(asset, await api(`assets/${asset.id}`, { method: 'PATCH', body: { favorite: !asset.favorite } }));
        onChanged?.(asset);
        say(asset.favorite ? 'Marked as a favourite.' : 'No longer a favourite.');
      } catch (e) {
        say(`Not changed: ${e.message}`);
      }
    };
    let drawnOpen = open;
    const draw = () => {
      if (!panel) return;
      panel.hidden = !open;
      if (playing && playing !== assets[pswp.currIndex]) playing = null;
      if (overlay) {
        overlay.hidden = !help && !notice && !playing;
        render(
          <ViewerOverlay
            help={help}
            notice={notice}
            motion={playing?.motion_video_url}
            onClose={() => {
              help = false;
              draw();
            }}
            onMotionEnd={() => {
              playing = null;
              draw();
            }}
          />,
          overlay,
        );
      }
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
        name: 'slideshow-button',
        order: 16,
        isButton: true,
        title: 'Slideshow (S)',
        ariaLabel: 'Start or stop the slideshow',
        html: '<span aria-hidden="true" class="pswp-text-icon">▶</span>',
        onClick: toggleSlideshow,
      });
      pswp.ui.registerElement({
        name: 'motion-button',
        order: 14,
        isButton: true,
        title: 'Play the motion (M)',
        ariaLabel: 'Play or stop the motion',
        html: '<span aria-hidden="true" class="pswp-text-icon">◉</span>',
        onInit: (element) => {
          const show = () => (element.hidden = !assets[pswp.currIndex]?.motion_video_url);
          pswp.on('change', show);
          show();
        },
        onClick: toggleMotion,
      });
      pswp.ui.registerElement({
        name: 'rotate-button',
        order: 17,
        isButton: true,
        title: 'Rotate (R)',
        ariaLabel: 'Rotate a quarter turn clockwise',
        html: '<span aria-hidden="true" class="pswp-text-icon">↻</span>',
        onInit: (element) => {
          const show = () => (element.hidden = !ownPhoto());
          pswp.on('change', show);
          show();
        },
        onClick: rotateCurrent,
      });
      pswp.ui.registerElement({
        name: 'help-button',
        order: 18,
        isButton: true,
        title: 'Keyboard shortcuts (?)',
        ariaLabel: 'Keyboard shortcuts',
        html: '<span aria-hidden="true" class="pswp-text-icon">?</span>',
        onClick: () => {
          help = !help;
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
      pswp.ui.registerElement({
        name: 'viewer-overlay',
        appendTo: 'root',
        onInit: (element) => {
          overlay = element;
          draw();
        },
      });
    });
    // A notice is about the photo it was given on (a slideshow's lasts).
    pswp.on('change', () => {
      if (!slideshow) notice = '';
    });
    pswp.on('change', draw);
    pswp.on('keydown', (e) => {
      const { key, target, ctrlKey, metaKey, altKey } = e.originalEvent;
      // Typing in the panel is not navigating.
      if (target.closest?.('input, textarea, select')) {
        e.preventDefault();
        return;
      }
      if (ctrlKey || metaKey || altKey) return;
      const actions = {
        i: () => {
          open = !open;
          draw();
        },
        s: toggleSlideshow,
        m: toggleMotion,
        r: rotateCurrent,
        f: favouriteCurrent,
        e: () => {
          if (onEdit && ownPhoto()) {
            const asset = assets[pswp.currIndex];
            pswp.close();
            onEdit(asset);
          }
        },
        '?': () => {
          help = !help;
          draw();
        },
      };
      const action = actions[key.toLowerCase()];
      if (action) {
        e.preventDefault();
        action();
      }
    });
    let destroyed = false;
    pswp.on('destroy', () => {
      destroyed = true;
      clearInterval(slideshow);
      if (panel) render(null, panel);
      if (overlay) render(null, overlay);
      onClose();
    });
    pswp.init();
    return () => {
      if (!destroyed) pswp.destroy();
    };
  }, []);
  return null;
}

/** The help overlay (the keys), a motion photo's video, and a line saying
 * what just happened. */
function ViewerOverlay({ help, notice, motion, onClose, onMotionEnd }) {
  return (
    <>
      {motion && (
        // The phone's own video, as it recorded it (MP4, mostly H.264 or
        // HEVC): the browser plays what its codecs can; muted, so it may
        // start by itself.
        <video
          class="viewer-motion"
          src={motion}
          autoplay
          muted
          playsInline
          controls
          aria-label="The motion of this photo"
          onEnded={onMotionEnd}
        />
      )}
      {help && (
        <section class="viewer-help" role="dialog" aria-label="Keyboard shortcuts">
          <h2>Keyboard shortcuts</h2>
          <dl>
            {VIEWER_KEYS.map(([keys, what]) => (
              <div key={keys}>
                <dt>
                  <kbd>{keys}</kbd>
                </dt>
                <dd>{what}</dd>
              </div>
            ))}
          </dl>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </section>
      )}
      {notice && (
        <p class="viewer-notice" role="status">
          {notice}
        </p>
      )}
    </>
  );
}
