//! What an XMP sidecar says about its photo: the rating, colour label,
//! title, caption, keywords, creator and copyright a photographer gave it in
//! Lightroom, Capture One or darktable. The importer applies them to the
//! uploaded photo, so that work is not lost. The XMP is read by the
//! pipeline's reader, the same that reads packets inside uploaded files.

use darkroom_pipeline::Description;

/// Sidecars are small; anything larger is not one we read.
pub const MAX_SIDECAR_BYTES: u64 = 4 << 20;

/// Reads a sidecar; malformed XML is an error naming the problem (the photo
/// is imported all the same).
pub fn parse(xml: &str) -> Result<Description, String> {
    darkroom_pipeline::xmp::parse(xml)
}

/// The `PATCH /assets/{id}` body that applies what the sidecar set
/// (nothing it leaves out is cleared); `None` when it sets nothing.
pub fn patch(fields: &Description) -> Option<serde_json::Value> {
    let mut body = serde_json::Map::new();
    if let Some(rating) = fields.rating {
        body.insert("rating".into(), rating.into());
    }
    for (name, value) in [
        ("title", &fields.title),
        ("caption", &fields.caption),
        ("creator", &fields.creator),
        ("copyright", &fields.copyright),
        ("color_label", &fields.label),
    ] {
        if let Some(value) = value {
            body.insert(name.into(), value.clone().into());
        }
    }
    let keywords = fields.all_keywords();
    if !keywords.is_empty() {
        body.insert("keywords".into(), keywords.into());
    }
    (!body.is_empty()).then(|| body.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lightroom_sidecar_becomes_one_patch() {
        let xml = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/" xmp:Rating="4" xmp:Label="Green">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Skógafoss at dawn</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>Ada</rdf:li></rdf:Seq></dc:creator>
   <dc:subject><rdf:Bag><rdf:li>iceland</rdf:li></rdf:Bag></dc:subject>
   <lr:hierarchicalSubject><rdf:Bag><rdf:li>Nature|Waterfall</rdf:li></rdf:Bag></lr:hierarchicalSubject>
  </rdf:Description></rdf:RDF></x:xmpmeta>"#;
        assert_eq!(
            patch(&parse(xml).unwrap()).unwrap(),
            serde_json::json!({"rating": 4, "title": "Skógafoss at dawn", "creator": "Ada",
                "color_label": "Green", "keywords": ["iceland", "Nature", "Waterfall"]})
        );
        let empty = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"/>"#;
        assert_eq!(patch(&parse(empty).unwrap()), None);
        assert!(parse("<a><b></a>").is_err());
    }
}
