// Where the photos were taken: countries, and their cities with a cover and
// a count; a city opens the library filtered to it. Names come from the
// server's bundled GeoNames data.
import { useLoad } from '../lib/useLoad.js';
import { Alert } from '../components/Alert.jsx';
import { placeHash } from '../lib/router.js';

const photos = (n) => `${n} photo${n === 1 ? '' : 's'}`;

export function Places({ version }) {
  const [places, error] = useLoad('places', [version]);
  const countries = places?.countries;
  return (
    <div class="page">
      <div class="page-head">
        <h1>Places</h1>
        <a class="button" href="#/map">
          Show on the map
        </a>
      </div>
      <Alert message={error} />
      {countries && countries.length === 0 && (
        <p class="empty">No places yet: photos whose camera or phone recorded where they were taken appear here.</p>
      )}
      {countries?.map((country) => (
        <section class="place-country" key={country.country_code} aria-labelledby={`country-${country.country_code}`}>
          <h2 id={`country-${country.country_code}`}>
            <a href={placeHash(country.country_code)}>{country.country}</a>{' '}
            <span class="muted">· {photos(country.count)}</span>
          </h2>
          <ul class="album-grid">
            {country.cities.map((city) => (
              <li key={`${city.region}/${city.city}`}>
                <a href={placeHash(country.country_code, city.city)} class="album-card">
                  <img src={city.cover_url} alt="" loading="lazy" />
                  <span class="album-name">{city.city}</span>
                  <span class="album-count">
                    {city.region ? `${city.region} · ` : ''}
                    {photos(city.count)}
                  </span>
                </a>
              </li>
            ))}
          </ul>
        </section>
      ))}
      <p class="hint credit">
        Place names from <a href="https://www.geonames.org">GeoNames</a> (CC BY 4.0), found on this server.
      </p>
    </div>
  );
}
