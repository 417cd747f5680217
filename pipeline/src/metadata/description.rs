//! What people wrote about a photo: the caption fields photo desks, Lightroom,
//! Capture One and darktable keep in XMP, and older tools in IPTC-IIM.
//! Both readers give a [`Description`]; XMP wins where both say something
//! (the Metadata Working Group's rule for files edited after IIM was
//! written), IIM fills the gaps.

use serde::{Deserialize, Serialize};

/// The fields read from XMP or IPTC; every one optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Description {
    /// A short title (dc:title, IPTC's object name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// dc:description, IPTC's caption/abstract.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Flat keywords as written (dc:subject, IPTC keywords).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Lightroom's keyword hierarchy, one path per entry (`Places|Iceland`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keyword_paths: Vec<String>,
    /// The photographer (several are joined with "; ").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creator: Option<String>,
    /// The copyright notice (dc:rights).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copyright: Option<String>,
    /// The colour label an editor set (`Red`, `Green`, … as written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// 0–5 stars (a reject, −1, is not a rating). Not serialised: the
    /// metadata keeps one rating, EXIF's or this.
    #[serde(skip)]
    pub rating: Option<u8>,
    /// The capture time these fields record, in darkroom's form. Not
    /// serialised: the metadata keeps one capture time.
    #[serde(skip)]
    pub taken_at: Option<String>,
    /// Where the photo was taken, by name: as private as the GPS position
    /// (the key's name is what share links' filter recognises).
    #[serde(skip_serializing_if = "LocationNames::is_empty")]
    pub location: LocationNames,
}

/// Place names a photographer or an agency wrote down.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LocationNames {
    /// A spot inside the city (IPTC's sublocation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sublocation: Option<String>,
    /// The city, town or village.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State or province.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The country's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// ISO 3166 code as written (two or three letters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
}

impl LocationNames {
    /// True when no name is known.
    pub fn is_empty(&self) -> bool {
        *self == LocationNames::default()
    }

    /// The names, most specific first, for search and display.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        [
            &self.sublocation,
            &self.city,
            &self.region,
            &self.country,
            &self.country_code,
        ]
        .into_iter()
        .filter_map(|name| name.as_deref())
    }

    /// These names, with `other`'s where these are missing.
    pub(crate) fn or(self, other: LocationNames) -> LocationNames {
        LocationNames {
            sublocation: self.sublocation.or(other.sublocation),
            city: self.city.or(other.city),
            region: self.region.or(other.region),
            country: self.country.or(other.country),
            country_code: self.country_code.or(other.country_code),
        }
    }
}

impl Description {
    /// True when the file said nothing.
    pub fn is_empty(&self) -> bool {
        *self == Description::default()
    }

    /// These fields, with `other`'s where these are missing. Keywords are
    /// a whole list: the first non-empty one is taken, not a union (a file
    /// whose XMP dropped a keyword should not get it back from stale IIM).
    pub fn or(self, other: Description) -> Description {
        Description {
            title: self.title.or(other.title),
            caption: self.caption.or(other.caption),
            keywords: if self.keywords.is_empty() {
                other.keywords
            } else {
                self.keywords
            },
            keyword_paths: if self.keyword_paths.is_empty() {
                other.keyword_paths
            } else {
                self.keyword_paths
            },
            creator: self.creator.or(other.creator),
            copyright: self.copyright.or(other.copyright),
            label: self.label.or(other.label),
            rating: self.rating.or(other.rating),
            taken_at: self.taken_at.or(other.taken_at),
            location: self.location.or(other.location),
        }
    }

    /// The flat keywords and every level of the hierarchical ones, in order,
    /// without repeats (compared ignoring case): what a library's keyword
    /// filter should find the photo by.
    pub fn all_keywords(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let levels = self
            .keyword_paths
            .iter()
            .flat_map(|path| path.split('|'))
            .map(str::trim);
        for keyword in self.keywords.iter().map(|k| k.trim()).chain(levels) {
            if !keyword.is_empty() && !out.iter().any(|k| k.eq_ignore_ascii_case(keyword)) {
                out.push(keyword.to_string());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_description_wins_field_by_field() {
        let xmp = Description {
            title: Some("From XMP".into()),
            keywords: vec!["xmp".into()],
            ..Description::default()
        };
        let iim = Description {
            title: Some("From IIM".into()),
            caption: Some("Only in IIM".into()),
            keywords: vec!["iim".into(), "stale".into()],
            location: LocationNames {
                city: Some("Reykjavík".into()),
                ..LocationNames::default()
            },
            ..Description::default()
        };
        let merged = xmp.or(iim);
        assert_eq!(merged.title.as_deref(), Some("From XMP"));
        assert_eq!(merged.caption.as_deref(), Some("Only in IIM"));
        assert_eq!(merged.keywords, ["xmp"]);
        assert_eq!(merged.location.city.as_deref(), Some("Reykjavík"));
    }

    #[test]
    fn hierarchical_keywords_add_every_level_once() {
        let d = Description {
            keywords: vec!["Iceland".into(), "waterfall".into()],
            keyword_paths: vec!["Places|Iceland|Skógafoss".into(), "Nature|Waterfall".into()],
            ..Description::default()
        };
        assert_eq!(
            d.all_keywords(),
            ["Iceland", "waterfall", "Places", "Skógafoss", "Nature"]
        );
    }

    #[test]
    fn empty_fields_are_not_serialised_and_old_metadata_still_reads() {
        assert_eq!(
            serde_json::to_value(Description::default()).unwrap(),
            serde_json::json!({})
        );
        let d: Description = serde_json::from_str(r#"{"make": "Leica"}"#).unwrap();
        assert!(d.is_empty());
    }
}
