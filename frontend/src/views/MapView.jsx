// The library on a map: every photo with a position, clustered, its
// thumbnail once zoomed in; a photo opens in the viewer. Tiles come from
// OpenStreetMap in the browser; without them (offline) the markers still
// show on a blank map.
import { useEffect, useRef, useState } from 'preact/hooks';
import L from '../lib/leaflet.js';
import 'leaflet.markercluster';
import 'leaflet/dist/leaflet.css';
import 'leaflet.markercluster/dist/MarkerCluster.css';
import 'leaflet.markercluster/dist/MarkerCluster.Default.css';
import { api, plainError } from '../lib/api.js';
import { Viewer } from '../components/Viewer.jsx';
import { Alert } from '../components/Alert.jsx';

export function MapView({ version, actions }) {
  const element = useRef(null);
  const [points, setPoints] = useState(null);
  const [error, setError] = useState(null);
  const [viewing, setViewing] = useState(null);

  useEffect(() => {
    api('map')
      .then(setPoints)
      .catch((e) => setError(plainError(e)));
  }, [version]);

  useEffect(() => {
    if (!points || points.points.length === 0 || !element.current) return undefined;
    const map = L.map(element.current, { worldCopyJump: true });
    L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png', {
      maxZoom: 19,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    }).addTo(map);
    const clusters = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 60 });
    const open = async (id) => {
      try {
        setViewing(await api(`assets/${id}`));
      } catch (e) {
        setError(plainError(e));
      }
    };
    for (const [id, lat, lon] of points.points) {
      const thumb = points.thumb_url.replace('{id}', id);
      const marker = L.marker([lat, lon], {
        title: 'Open this photo',
        icon: L.divIcon({
          className: 'map-photo',
          html: `<img src="${thumb}" alt="" loading="lazy">`,
          iconSize: [48, 48],
        }),
      });
      marker.on('click', () => open(id));
      marker.on('keypress', (e) => e.originalEvent.key === 'Enter' && open(id));
      clusters.addLayer(marker);
    }
    map.addLayer(clusters);
    map.fitBounds(clusters.getBounds(), { maxZoom: 12, padding: [24, 24] });
    return () => map.remove();
  }, [points]);

  const count = points?.points.length ?? 0;
  return (
    <div class="page map-page">
      <div class="page-head">
        <h1>Map</h1>
        {points && (
          <span class="muted">
            {count} photo{count === 1 ? '' : 's'} with a location
            {points.truncated ? ' (the newest; more are on the Places page)' : ''}
          </span>
        )}
        <a class="button" href="#/places">
          Places
        </a>
      </div>
      <Alert message={error} />
      {points && count === 0 && (
        <p class="empty">No photos with a location yet: those your camera or phone placed appear here.</p>
      )}
      {count > 0 && <div class="map" ref={element} role="region" aria-label="Map of your photos" />}
      {viewing && (
        <Viewer
          assets={[viewing]}
          index={0}
          onClose={() => setViewing(null)}
          onEdit={actions.edit}
          onShare={(asset) => actions.share({ asset })}
        />
      )}
    </div>
  );
}
