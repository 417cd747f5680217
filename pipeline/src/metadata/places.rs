//! Offline reverse geocoding: the country, region and city nearest a GPS
//! position, from GeoNames' cities of more than 1 000 people (CC BY 4.0,
//! built into the binary by `scripts/make-places-data.py`; credited in the
//! README). No network at run time.
//!
//! The nearest city within [`MAX_CITY_KM`] names the place; a position
//! farther from any (at sea, in a desert) has none, rather than a city a
//! hundred kilometres away. Lookups read a grid of one-degree cells around
//! the position: a few hundred distances, microseconds.

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

/// The data, gzipped: countries, regions, then cities (see the script).
static BUNDLED: &[u8] = include_bytes!("../../data/places.tsv.gz");
static GAZETTEER: OnceLock<Gazetteer> = OnceLock::new();

/// How far the nearest city may be for a position to be called by it.
pub const MAX_CITY_KM: f64 = 50.0;

/// Where a photo was taken, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// ISO 3166-1 alpha-2 (`FR`).
    pub country_code: String,
    /// In English (`France`).
    pub country: String,
    /// The first-level division (`Auvergne-Rhône-Alpes`), when GeoNames
    /// names one.
    pub region: Option<String>,
    /// The nearest city or town (`Lyon`).
    pub city: String,
}

struct City {
    lat: f32,
    lon: f32,
    name: Box<str>,
    /// Index into `countries`.
    country: u16,
    /// Index into `regions`, when known.
    region: Option<u16>,
}

/// The bundled cities, by one-degree cell.
pub struct Gazetteer {
    cities: Vec<City>,
    /// (code, name) of each country.
    countries: Vec<(Box<str>, Box<str>)>,
    regions: Vec<Box<str>>,
    cells: HashMap<(i16, i16), Vec<u32>>,
}

/// The place nearest `lat`, `lon` (degrees), from the bundled data.
pub fn place_at(lat: f64, lon: f64) -> Option<Place> {
    GAZETTEER
        .get_or_init(|| {
            Gazetteer::parse(BUNDLED)
                .expect("the bundled places data is well formed (a test reads it)")
        })
        .nearest(lat, lon)
}

fn cell_of(lat: f64, lon: f64) -> (i16, i16) {
    (lat.floor() as i16, lon.floor() as i16)
}

/// Great-circle distance in kilometres.
fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * a.sqrt().clamp(0.0, 1.0).asin()
}

impl Gazetteer {
    /// Reads the gzipped TSV the script writes.
    pub fn parse(gzipped: &[u8]) -> Result<Self, String> {
        let mut text = String::new();
        flate2::read::GzDecoder::new(gzipped)
            .read_to_string(&mut text)
            .map_err(|e| format!("places data: {e}"))?;
        let mut countries: Vec<(Box<str>, Box<str>)> = Vec::new();
        let mut country_index: HashMap<String, u16> = HashMap::new();
        let mut regions: Vec<Box<str>> = Vec::new();
        let mut region_index: HashMap<String, u16> = HashMap::new();
        let mut cities = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let bad = || format!("places data line {}: {line:?}", n + 1);
            let fields: Vec<&str> = line.split('\t').collect();
            match fields.as_slice() {
                ["C", code, name] => {
                    country_index.insert(code.to_string(), countries.len() as u16);
                    countries.push(((*code).into(), (*name).into()));
                }
                ["R", code, name] => {
                    region_index.insert(code.to_string(), regions.len() as u16);
                    regions.push((*name).into());
                }
                [lat, lon, name, country, admin1] => {
                    let Some(&country_at) = country_index.get(*country) else {
                        // A GeoNames code without an ISO name (rare): skip.
                        continue;
                    };
                    cities.push(City {
                        lat: lat.parse().map_err(|_| bad())?,
                        lon: lon.parse().map_err(|_| bad())?,
                        name: (*name).into(),
                        country: country_at,
                        region: region_index.get(&format!("{country}.{admin1}")).copied(),
                    });
                }
                _ => return Err(bad()),
            }
        }
        let mut cells: HashMap<(i16, i16), Vec<u32>> = HashMap::new();
        for (i, city) in cities.iter().enumerate() {
            cells
                .entry(cell_of(f64::from(city.lat), f64::from(city.lon)))
                .or_default()
                .push(i as u32);
        }
        Ok(Gazetteer {
            cities,
            countries,
            regions,
            cells,
        })
    }

    /// How many cities it knows.
    pub fn len(&self) -> usize {
        self.cities.len()
    }

    /// True when it knows no city.
    pub fn is_empty(&self) -> bool {
        self.cities.is_empty()
    }

    /// The nearest city within [`MAX_CITY_KM`], as a place.
    pub fn nearest(&self, lat: f64, lon: f64) -> Option<Place> {
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return None;
        }
        let (row, column) = cell_of(lat, lon);
        // 50 km is under a degree of latitude; of longitude, near the poles,
        // a degree is shorter: look as many cells sideways as 50 km spans.
        let km_per_degree = (111.3 * lat.to_radians().cos()).max(1.0);
        let sideways = ((MAX_CITY_KM / km_per_degree).ceil() as i16).clamp(1, 180);
        let mut near: Vec<(f64, &City)> = Vec::new();
        for dr in -1..=1 {
            for dc in -sideways..=sideways {
                // Across the antimeridian, columns wrap.
                let c = (column + dc + 180).rem_euclid(360) - 180;
                let Some(list) = self.cells.get(&(row + dr, c)) else {
                    continue;
                };
                for &i in list {
                    let city = &self.cities[i as usize];
                    let d = distance_km(lat, lon, f64::from(city.lat), f64::from(city.lon));
                    if d <= MAX_CITY_KM {
                        near.push((d, city));
                    }
                }
            }
        }
        let &(_, nearest) = near.iter().min_by(|a, b| a.0.total_cmp(&b.0))?;
        let city = whole_city_of(nearest, &near);
        let (code, country) = &self.countries[usize::from(city.country)];
        Some(Place {
            country_code: code.to_string(),
            country: country.to_string(),
            region: city
                .region
                .map(|r| self.regions[usize::from(r)].to_string()),
            city: city.name.to_string(),
        })
    }
}

/// GeoNames lists a big city's districts as places of their own ("Paris
/// 16 Passy", "Lyon 03"): a photo taken there is in the city itself, when
/// the city is near too.
fn whole_city_of<'a>(nearest: &'a City, near: &[(f64, &'a City)]) -> &'a City {
    near.iter()
        .map(|&(_, city)| city)
        .filter(|city| city.country == nearest.country)
        .filter(|city| {
            nearest
                .name
                .strip_prefix(&*city.name)
                .is_some_and(|rest| rest.starts_with(' ') && rest.len() > 1)
        })
        .min_by_key(|city| city.name.len())
        .unwrap_or(nearest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_data_reads_and_names_known_places() {
        let g = Gazetteer::parse(BUNDLED).unwrap();
        assert!(g.len() > 150_000, "{} cities", g.len());
        let lyon = g.nearest(45.7640, 4.8357).unwrap();
        assert_eq!(lyon.country_code, "FR");
        assert_eq!(lyon.country, "France");
        assert_eq!(lyon.region.as_deref(), Some("Auvergne-Rhône-Alpes"));
        assert!(lyon.city.starts_with("Lyon"), "{lyon:?}");
        // The corpus's Utah photo, near Thompson Springs.
        let utah = g.nearest(38.9722, -109.7129).unwrap();
        assert_eq!(utah.country, "United States");
        assert_eq!(utah.region.as_deref(), Some("Utah"));
        // A district of Paris is Paris.
        assert_eq!(g.nearest(48.8582, 2.2945).unwrap().city, "Paris");
        // Far north, and the southern hemisphere.
        assert_eq!(g.nearest(64.1466, -21.9426).unwrap().country_code, "IS");
        assert_eq!(g.nearest(-41.2866, 174.7756).unwrap().country_code, "NZ");
    }

    fn gazetteer_of(text: &str) -> Gazetteer {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
        Gazetteer::parse(&gz.finish().unwrap()).unwrap()
    }

    #[test]
    fn the_nearest_city_is_found_across_cells_and_the_antimeridian() {
        let g = gazetteer_of(
            "C\tFJ\tFiji\nR\tFJ.02\tEastern\n\
             -16.90\t179.95\tEast\tFJ\t02\n-16.90\t-179.60\tWest\tFJ\t09\n",
        );
        let east = g.nearest(-16.9, -179.97).unwrap();
        assert_eq!(east.city, "East", "8 km across the antimeridian");
        assert_eq!(east.region.as_deref(), Some("Eastern"));
        let west = g.nearest(-16.9, -179.7).unwrap();
        assert_eq!((west.city.as_str(), west.region), ("West", None));
        assert_eq!(g.nearest(-16.9, 179.0), None, "100 km away");
    }

    #[test]
    fn far_from_any_city_or_off_the_globe_is_no_place() {
        let g = Gazetteer::parse(BUNDLED).unwrap();
        assert_eq!(g.nearest(0.0, -30.0), None, "mid-Atlantic");
        assert_eq!(g.nearest(-85.0, 0.0), None, "Antarctica");
        assert_eq!(g.nearest(91.0, 0.0), None);
        assert_eq!(g.nearest(f64::NAN, 0.0), None);
    }

    #[test]
    fn malformed_data_is_an_error_not_a_panic() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, b"C\tFR\tFrance\nnot a line\n").unwrap();
        assert!(Gazetteer::parse(&gz.finish().unwrap()).is_err());
        assert!(Gazetteer::parse(b"not gzip").is_err());
        assert!(gazetteer_of("").is_empty());
    }
}
