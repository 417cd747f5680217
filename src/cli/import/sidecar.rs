//! What an XMP sidecar says about its photo: the rating, title, caption and
//! keywords a photographer gave it in Lightroom, Capture One or darktable.
//! The importer applies them to the uploaded photo, so that work is not lost.

use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;

const DC: &[u8] = b"http://purl.org/dc/elements/1.1/";
const XMP: &[u8] = b"http://ns.adobe.com/xap/1.0/";
/// Sidecars are small; anything larger is not one we read.
pub const MAX_SIDECAR_BYTES: u64 = 4 << 20;

/// The fields a sidecar set (absent: not set there).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SidecarFields {
    /// 0 to 5 stars (rejects, -1, are left alone).
    pub rating: Option<u8>,
    pub title: Option<String>,
    pub caption: Option<String>,
    pub keywords: Vec<String>,
}

impl SidecarFields {
    pub fn is_empty(&self) -> bool {
        *self == SidecarFields::default()
    }

    /// The `PATCH /assets/{id}` body that applies them.
    pub fn patch(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        if let Some(rating) = self.rating {
            body.insert("rating".into(), rating.into());
        }
        if let Some(title) = &self.title {
            body.insert("title".into(), title.clone().into());
        }
        if let Some(caption) = &self.caption {
            body.insert("caption".into(), caption.clone().into());
        }
        if !self.keywords.is_empty() {
            body.insert("keywords".into(), self.keywords.clone().into());
        }
        body.into()
    }
}

/// Which multi-valued field an `rdf:li` belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Caption,
    Keywords,
}

/// Reads the fields from an XMP packet; malformed XML is an error naming
/// the problem (the photo is imported all the same).
pub fn parse(xml: &str) -> Result<SidecarFields, String> {
    let mut reader = NsReader::from_str(xml);
    let mut fields = SidecarFields::default();
    let mut field: Option<Field> = None;
    let mut in_li = false;
    let mut in_rating = false;
    let mut text = String::new();
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| format!("not XML: {e}"))?;
        // Owned, so the reader can resolve attributes below.
        let ns: Option<Vec<u8>> = bound(&ns).map(<[u8]>::to_vec);
        let ns = ns.as_deref();
        match event {
            Event::Start(e) | Event::Empty(e) => {
                // Attribute form: <rdf:Description xmp:Rating="4" …>.
                for attr in e.attributes().flatten() {
                    let (attr_ns, local) = reader.resolver().resolve_attribute(attr.key);
                    if bound(&attr_ns) == Some(XMP) && local.as_ref() == b"Rating" {
                        let value = attr
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(|e| e.to_string())?;
                        fields.rating = rating(&value);
                    }
                }
                let local = e.local_name();
                match (ns, local.as_ref()) {
                    (Some(DC), b"title") => field = Some(Field::Title),
                    (Some(DC), b"description") => field = Some(Field::Caption),
                    (Some(DC), b"subject") => field = Some(Field::Keywords),
                    (Some(XMP), b"Rating") => {
                        in_rating = true;
                        text.clear();
                    }
                    (_, b"li") if field.is_some() => {
                        in_li = true;
                        text.clear();
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_li || in_rating => {
                text.push_str(&t.decode().map_err(|e| e.to_string())?);
            }
            Event::CData(t) if in_li || in_rating => {
                text.push_str(&String::from_utf8_lossy(&t));
            }
            Event::GeneralRef(r) if in_li || in_rating => {
                let resolved = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c,
                    None => match &*r {
                        b"amp" => '&',
                        b"lt" => '<',
                        b"gt" => '>',
                        b"quot" => '"',
                        b"apos" => '\'',
                        _ => continue,
                    },
                };
                text.push(resolved);
            }
            Event::End(e) => {
                let local = e.local_name();
                if in_rating && local.as_ref() == b"Rating" {
                    fields.rating = rating(&text);
                    in_rating = false;
                } else if in_li && local.as_ref() == b"li" {
                    in_li = false;
                    let value = text.trim().to_string();
                    if !value.is_empty() {
                        match field {
                            // The first (x-default) alternative wins.
                            Some(Field::Title) => {
                                fields.title.get_or_insert(value);
                            }
                            Some(Field::Caption) => {
                                fields.caption.get_or_insert(value);
                            }
                            Some(Field::Keywords) => fields.keywords.push(value),
                            None => {}
                        }
                    }
                } else if matches!(local.as_ref(), b"title" | b"description" | b"subject") {
                    field = None;
                }
            }
            Event::Eof => return Ok(fields),
            _ => {}
        }
    }
}

fn bound<'a>(ns: &ResolveResult<'a>) -> Option<&'a [u8]> {
    match ns {
        ResolveResult::Bound(Namespace(ns)) => Some(ns),
        _ => None,
    }
}

fn rating(text: &str) -> Option<u8> {
    match text.trim().parse::<i32>() {
        Ok(stars @ 0..=5) => Some(stars as u8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As Lightroom Classic writes it (trimmed).
    const LIGHTROOM: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
   xmp:Rating="4">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Skógafoss at dawn</rdf:li></rdf:Alt></dc:title>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">Spray &amp; light</rdf:li></rdf:Alt></dc:description>
   <dc:subject><rdf:Bag><rdf:li>iceland</rdf:li><rdf:li>waterfall</rdf:li></rdf:Bag></dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"#;

    #[test]
    fn lightroom_fields_are_read() {
        let fields = parse(LIGHTROOM).unwrap();
        assert_eq!(fields.rating, Some(4));
        assert_eq!(fields.title.as_deref(), Some("Skógafoss at dawn"));
        assert_eq!(fields.caption.as_deref(), Some("Spray & light"));
        assert_eq!(fields.keywords, ["iceland", "waterfall"]);
        assert_eq!(
            fields.patch(),
            serde_json::json!({"rating": 4, "title": "Skógafoss at dawn", "caption": "Spray & light", "keywords": ["iceland", "waterfall"]})
        );
    }

    #[test]
    fn element_ratings_and_other_prefixes_are_read_and_rejects_ignored() {
        let xml = r#"<a:xmpmeta xmlns:a="adobe:ns:meta/"><r:RDF xmlns:r="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
            <r:Description xmlns:q="http://ns.adobe.com/xap/1.0/"><q:Rating>2</q:Rating></r:Description></r:RDF></a:xmpmeta>"#;
        assert_eq!(parse(xml).unwrap().rating, Some(2));
        let rejected = xml.replace(">2<", ">-1<");
        assert_eq!(parse(&rejected).unwrap(), SidecarFields::default());
        assert!(parse("<unclosed").is_err() || parse("<unclosed").unwrap().is_empty());
    }
}
