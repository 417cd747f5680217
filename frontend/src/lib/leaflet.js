// Leaflet as the global its marker-cluster plugin extends: imported before
// the plugin, so that `L` exists when the plugin's module runs.
import L from 'leaflet';

window.L = L;
export default L;
