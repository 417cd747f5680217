//! Where a photo was taken, as the catalog keeps it: its GPS position, the
//! place the bundled gazetteer names for it, and the place names search
//! reads (what the file's XMP or IPTC says, then the gazetteer's). Used at
//! upload and by `darkroom admin fill-places` for photos stored before.

use darkroom_pipeline::{LocationNames, PhotoMetadata};
use darkroom_storage::catalog::{AssetPlace, GeoPoint};

/// What the catalog records of a photo's location.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Located {
    pub position: Option<GeoPoint>,
    pub place: Option<AssetPlace>,
    /// For search: most specific first, each name once.
    pub place_names: Option<String>,
}

/// The location the metadata records, and the place it is in.
pub fn located(metadata: &PhotoMetadata) -> Located {
    let position = metadata.gps.as_ref().map(|gps| GeoPoint {
        latitude: gps.latitude,
        longitude: gps.longitude,
    });
    let place = position.and_then(|p| {
        darkroom_pipeline::place_at(p.latitude, p.longitude).map(|place| AssetPlace {
            country_code: place.country_code,
            country: place.country,
            region: place.region,
            city: place.city,
        })
    });
    let place_names = search_names(&metadata.description.location, place.as_ref());
    Located {
        position,
        place,
        place_names,
    }
}

/// The names search reads: the file's own, then the gazetteer's, each once
/// (ignoring case).
fn search_names(written: &LocationNames, place: Option<&AssetPlace>) -> Option<String> {
    let mut names: Vec<&str> = Vec::new();
    for name in written
        .names()
        .chain(place.into_iter().flat_map(|p| p.names()))
    {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            names.push(name);
        }
    }
    (!names.is_empty()).then(|| names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_names_its_place_for_search_after_the_files_own_names() {
        let mut metadata = PhotoMetadata {
            gps: Some(darkroom_pipeline::Gps {
                latitude: 45.764,
                longitude: 4.8357,
                altitude_m: None,
            }),
            ..PhotoMetadata::default()
        };
        metadata.description.location.city = Some("Lyon".into());
        metadata.description.location.sublocation = Some("Vieux Lyon".into());
        let located = located(&metadata);
        let place = located.place.expect("Lyon is in the gazetteer");
        assert_eq!(place.country_code, "FR");
        assert_eq!(
            located.place_names.as_deref(),
            Some("Vieux Lyon, Lyon, Auvergne-Rhône-Alpes, France")
        );
        assert_eq!(located.position.unwrap().latitude, 45.764);
    }

    #[test]
    fn no_position_no_place() {
        let located = located(&PhotoMetadata::default());
        assert_eq!(located, Located::default());
    }
}
