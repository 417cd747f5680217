//! The time-zone offset of a place on a date: for capture times that record
//! where a photo was taken but not the camera clock's offset.
//!
//! Zone boundaries: timezone-boundary-builder (OpenStreetMap data, ODbL-1.0)
//! in tzf-rs's bundled "lite" set; offsets, with each zone's daylight-saving
//! history: the IANA database through chrono-tz.

use std::sync::OnceLock;

use chrono::{FixedOffset, NaiveDateTime, Offset, TimeZone};

static FINDER: OnceLock<tzf_rs::DefaultFinder> = OnceLock::new();

/// The offset in force at (`latitude`, `longitude`) at the wall-clock time
/// `local`; `None` at sea, for unknown zones, and for local times that do
/// not exist there (skipped by a daylight-saving change). An ambiguous time
/// (repeated when clocks go back) takes the earlier offset.
pub(crate) fn offset_at(
    latitude: f64,
    longitude: f64,
    local: NaiveDateTime,
) -> Option<FixedOffset> {
    // Loaded once per process, on first use (a few milliseconds).
    let finder = FINDER.get_or_init(tzf_rs::DefaultFinder::new);
    let name = finder.get_tz_name(longitude, latitude);
    let zone: chrono_tz::Tz = name.parse().ok()?;
    Some(zone.from_local_datetime(&local).earliest()?.offset().fix())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").unwrap()
    }

    #[test]
    fn offsets_follow_the_place_and_its_daylight_saving() {
        let hours = |o: Option<FixedOffset>| o.map(|o| o.local_minus_utc() / 3600);
        // Western Colorado (America/Denver): MST in December, MDT in July.
        assert_eq!(
            hours(offset_at(39.0, -108.0, at("2025-12-01T11:30:00"))),
            Some(-7)
        );
        assert_eq!(
            hours(offset_at(39.0, -108.0, at("2025-07-01T11:30:00"))),
            Some(-6)
        );
        // Tokyo: no daylight saving.
        assert_eq!(
            hours(offset_at(35.68, 139.69, at("2024-08-01T09:00:00"))),
            Some(9)
        );
        // Paris in summer.
        assert_eq!(
            hours(offset_at(48.86, 2.35, at("2024-08-01T09:00:00"))),
            Some(2)
        );
    }

    #[test]
    fn nonexistent_local_times_have_no_offset() {
        // 02:30 on 2024-03-10 never happened in Denver (clocks jumped 2→3).
        assert_eq!(offset_at(39.74, -104.99, at("2024-03-10T02:30:00")), None);
    }
}
