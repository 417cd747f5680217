//! XMP: the RDF/XML packet editors and cameras write inside a file or beside
//! it (a sidecar). One reader for both, with a real XML parser: properties
//! may be attributes of `rdf:Description`, simple elements, language
//! alternatives, bags and sequences, or fields of structures, under any
//! prefix the file binds to the namespace.
//!
//! And one writer: the sidecar darkroom gives out, which Lightroom and
//! darktable read back.

use chrono::{DateTime, NaiveDateTime};
use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;

use crate::metadata::description::{Description, LocationNames};
use crate::metadata::format_capture_time;

const DC: &[u8] = b"http://purl.org/dc/elements/1.1/";
const XMP: &[u8] = b"http://ns.adobe.com/xap/1.0/";
const LIGHTROOM: &[u8] = b"http://ns.adobe.com/lightroom/1.0/";
const PHOTOSHOP: &[u8] = b"http://ns.adobe.com/photoshop/1.0/";
const EXIF: &[u8] = b"http://ns.adobe.com/exif/1.0/";
const IPTC_CORE: &[u8] = b"http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/";
const IPTC_EXT: &[u8] = b"http://iptc.org/std/Iptc4xmpExt/2008-02-29/";
const RDF: &[u8] = b"http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const META: &[u8] = b"adobe:ns:meta/";
const XML: &[u8] = b"http://www.w3.org/XML/1998/namespace";

/// The embedded packet in a file's leading bytes, if any (found by its
/// wrapper, wherever the container keeps it: JPEG APP1, TIFF tag 700, PNG
/// iTXt, WebP's XMP chunk, HEIF's mime item).
pub(crate) fn packet(head: &[u8]) -> Option<&str> {
    let (start, close) = [
        (&b"<x:xmpmeta"[..], &b"</x:xmpmeta>"[..]),
        (b"<x:xapmeta", b"</x:xapmeta>"),
    ]
    .into_iter()
    .find_map(|(open, close)| Some((memchr::memmem::find(head, open)?, close)))?;
    let end = start + memchr::memmem::find(&head[start..], close)? + close.len();
    std::str::from_utf8(&head[start..end]).ok()
}

/// The fields of the file's embedded XMP; a packet that is not well-formed
/// gives what was read before the fault (metadata never refuses a photo).
pub(crate) fn embedded(head: &[u8]) -> Description {
    let Some(xml) = packet(head) else {
        return Description::default();
    };
    let mut fields = Fields::default();
    let _ = walk(xml, |ns, local, value| fields.take(ns, local, value));
    fields.finish()
}

/// Reads an XMP packet or sidecar; malformed XML is an error naming the
/// problem.
pub fn parse(xml: &str) -> Result<Description, String> {
    let mut fields = Fields::default();
    walk(xml, |ns, local, value| fields.take(ns, local, value))?;
    Ok(fields.finish())
}

/// Calls `property(namespace, local name, value)` for every simple value in
/// the packet, in document order: attributes that are properties, and the
/// text of the innermost property element around it (an `rdf:li` belongs to
/// the property holding the array).
fn walk(xml: &str, mut property: impl FnMut(&[u8], &[u8], String)) -> Result<(), String> {
    let mut reader = NsReader::from_str(xml);
    // Per open element: its name when it is a property (not RDF syntax or
    // the wrapper), and the text gathered directly inside it.
    let mut open: Vec<(Option<PropertyName>, String)> = Vec::new();
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| format!("not XML: {e}"))?;
        // Owned, so the reader can resolve attributes below.
        let ns: Option<Vec<u8>> = bound(&ns).map(<[u8]>::to_vec);
        let is_start = matches!(event, Event::Start(_));
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = ns
                    .filter(|ns| ![RDF, META].contains(&ns.as_slice()))
                    .map(|ns| (ns, e.local_name().as_ref().to_vec()));
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| format!("not XML: {e}"))?;
                    let (attr_ns, local) = reader.resolver().resolve_attribute(attr.key);
                    let Some(attr_ns) = bound(&attr_ns) else {
                        continue;
                    };
                    if [RDF, META, XML].contains(&attr_ns) {
                        continue;
                    }
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| format!("not XML: {e}"))?;
                    if !value.trim().is_empty() {
                        property(attr_ns, local.as_ref(), value.trim().to_string());
                    }
                }
                if is_start {
                    open.push((name, String::new()));
                }
            }
            Event::Text(t) => {
                if let Some((_, text)) = open.last_mut() {
                    text.push_str(&t.decode().map_err(|e| format!("not XML: {e}"))?);
                }
            }
            Event::CData(t) => {
                if let Some((_, text)) = open.last_mut() {
                    text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => Some(c),
                    None => match &*r {
                        b"amp" => Some('&'),
                        b"lt" => Some('<'),
                        b"gt" => Some('>'),
                        b"quot" => Some('"'),
                        b"apos" => Some('\''),
                        _ => None,
                    },
                };
                if let (Some(c), Some((_, text))) = (resolved, open.last_mut()) {
                    text.push(c);
                }
            }
            Event::End(_) => {
                let Some((name, text)) = open.pop() else {
                    continue;
                };
                let value = text.trim();
                if value.is_empty() {
                    continue;
                }
                // The element itself, or (an rdf:li, a structure's
                // rdf:Description) the innermost property around it.
                let owner = name.or_else(|| open.iter().rev().find_map(|(name, _)| name.clone()));
                if let Some((ns, local)) = owner {
                    property(&ns, &local, value.to_string());
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// A property's namespace and local name.
type PropertyName = (Vec<u8>, Vec<u8>);

fn bound<'a>(ns: &ResolveResult<'a>) -> Option<&'a [u8]> {
    match ns {
        ResolveResult::Bound(Namespace(ns)) => Some(ns),
        _ => None,
    }
}

/// The fields as they are read; the capture time is chosen at the end.
#[derive(Default)]
struct Fields {
    description: Description,
    creators: Vec<String>,
    /// exif:DateTimeOriginal, photoshop:DateCreated, xmp:CreateDate,
    /// exif:GPSTimeStamp: the first readable one, in this order, wins.
    dates: [Option<String>; 4],
    /// Names from IPTC Extension's LocationCreated/LocationShown, used
    /// where the core fields say nothing.
    extension_location: LocationNames,
}

impl Fields {
    fn take(&mut self, ns: &[u8], local: &[u8], value: String) {
        let d = &mut self.description;
        let first = |slot: &mut Option<String>, value: String| {
            slot.get_or_insert(value);
        };
        match (ns, local) {
            // Language alternatives: the first (x-default by convention) wins.
            (DC, b"title") => first(&mut d.title, value),
            (DC, b"description") => first(&mut d.caption, value),
            (DC, b"rights") => first(&mut d.copyright, value),
            (DC, b"subject") => d.keywords.push(value),
            (DC, b"creator") => self.creators.push(value),
            (LIGHTROOM, b"hierarchicalSubject") => d.keyword_paths.push(value),
            (XMP, b"Rating") => d.rating = rating(&value),
            (XMP, b"Label") => first(&mut d.label, value),
            (EXIF, b"DateTimeOriginal") => self.dates[0] = Some(value),
            (PHOTOSHOP, b"DateCreated") => self.dates[1] = Some(value),
            (XMP, b"CreateDate") => self.dates[2] = Some(value),
            (EXIF, b"GPSTimeStamp" | b"GPSDateTime") => self.dates[3] = Some(value),
            (PHOTOSHOP, b"City") => first(&mut d.location.city, value),
            (PHOTOSHOP, b"State") => first(&mut d.location.region, value),
            (PHOTOSHOP, b"Country") => first(&mut d.location.country, value),
            (IPTC_CORE, b"Location") => first(&mut d.location.sublocation, value),
            (IPTC_CORE, b"CountryCode") => first(&mut d.location.country_code, value),
            (IPTC_EXT, field) => {
                let names = &mut self.extension_location;
                match field {
                    b"Sublocation" => first(&mut names.sublocation, value),
                    b"City" => first(&mut names.city, value),
                    b"ProvinceState" => first(&mut names.region, value),
                    b"CountryName" => first(&mut names.country, value),
                    b"CountryCode" => first(&mut names.country_code, value),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn finish(self) -> Description {
        let mut d = self.description;
        if !self.creators.is_empty() {
            d.creator = Some(self.creators.join("; "));
        }
        d.taken_at = self.dates.iter().flatten().find_map(|t| parse_date(t));
        d.location = std::mem::take(&mut d.location).or(self.extension_location);
        d
    }
}

fn rating(text: &str) -> Option<u8> {
    match text.trim().parse::<i32>() {
        Ok(stars @ 0..=5) => Some(stars as u8),
        _ => None,
    }
}

/// An XMP date-time (ISO 8601: minutes or seconds, optional fraction,
/// optional offset or Z). A date alone (XMP allows "2022" or "2022-01-10")
/// is not a capture time.
fn parse_date(text: &str) -> Option<String> {
    let text = text.trim();
    for format in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M%:z"] {
        let normalised = text.replace('Z', "+00:00");
        if let Ok(t) = DateTime::parse_from_str(&normalised, format) {
            return Some(format_capture_time(t.naive_local(), Some(*t.offset())));
        }
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .into_iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| format_capture_time(naive, None))
}

/// The XMP packet darkroom writes: as a sidecar, and inside exports that
/// ask for it. Rating (0 included: "unrated" is a statement), colour label,
/// title, caption, creator(s), copyright, keywords and their hierarchy, in
/// the namespaces Lightroom and darktable read.
pub fn write_packet(d: &Description) -> String {
    let mut attributes = String::new();
    if let Some(rating) = d.rating {
        attributes.push_str(&format!("\n    xmp:Rating=\"{}\"", rating.min(5)));
    }
    if let Some(label) = &d.label {
        attributes.push_str(&format!("\n    xmp:Label=\"{}\"", escape(label)));
    }
    let mut elements = String::new();
    let alt = |out: &mut String, name: &str, value: &Option<String>| {
        if let Some(value) = value {
            out.push_str(&format!(
                "   <{name}>\n    <rdf:Alt>\n     <rdf:li xml:lang=\"x-default\">{}</rdf:li>\n    </rdf:Alt>\n   </{name}>\n",
                escape(value)
            ));
        }
    };
    let list = |out: &mut String, name: &str, kind: &str, values: &[&str]| {
        if values.is_empty() {
            return;
        }
        out.push_str(&format!("   <{name}>\n    <rdf:{kind}>\n"));
        for value in values {
            out.push_str(&format!("     <rdf:li>{}</rdf:li>\n", escape(value)));
        }
        out.push_str(&format!("    </rdf:{kind}>\n   </{name}>\n"));
    };
    alt(&mut elements, "dc:title", &d.title);
    alt(&mut elements, "dc:description", &d.caption);
    let creators: Vec<&str> = d
        .creator
        .iter()
        .flat_map(|c| c.split("; "))
        .filter(|c| !c.trim().is_empty())
        .collect();
    list(&mut elements, "dc:creator", "Seq", &creators);
    alt(&mut elements, "dc:rights", &d.copyright);
    let keywords: Vec<&str> = d.keywords.iter().map(String::as_str).collect();
    list(&mut elements, "dc:subject", "Bag", &keywords);
    let paths: Vec<&str> = d.keyword_paths.iter().map(String::as_str).collect();
    list(&mut elements, "lr:hierarchicalSubject", "Bag", &paths);
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"darkroom\">
 <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">
  <rdf:Description rdf:about=\"\"
    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"
    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"
    xmlns:lr=\"http://ns.adobe.com/lightroom/1.0/\"{attributes}>
{elements}  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end=\"w\"?>
"
    )
}

/// The signature before an XMP packet in a JPEG APP1 segment.
const JPEG_XMP_SIGNATURE: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
/// The largest packet one APP1 segment holds (extended XMP, split over
/// several, is not written).
pub const MAX_JPEG_PACKET: usize = 65_533 - JPEG_XMP_SIGNATURE.len();

/// `jpeg` with `packet` in an APP1 segment after its leading APPn segments
/// (JFIF, EXIF, ICC), where readers look for it. A packet too large for one
/// segment is an error naming its size.
pub(crate) fn into_jpeg(jpeg: &[u8], packet: &str) -> Result<Vec<u8>, crate::PipelineError> {
    if packet.len() > MAX_JPEG_PACKET {
        return Err(crate::PipelineError::Encode(format!(
            "the photo's description is {} bytes of XMP; one JPEG segment holds {MAX_JPEG_PACKET}",
            packet.len()
        )));
    }
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return Err(crate::PipelineError::Encode("not a JPEG".into()));
    }
    let mut at = 2;
    while let [0xFF, marker @ 0xE0..=0xEF, hi, lo, ..] = jpeg[at..] {
        let _ = marker;
        at += 2 + usize::from(u16::from_be_bytes([hi, lo]));
    }
    let at = at.min(jpeg.len());
    let length = (2 + JPEG_XMP_SIGNATURE.len() + packet.len()) as u16;
    let mut out = Vec::with_capacity(jpeg.len() + packet.len() + 64);
    out.extend_from_slice(&jpeg[..at]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(JPEG_XMP_SIGNATURE);
    out.extend_from_slice(packet.as_bytes());
    out.extend_from_slice(&jpeg[at..]);
    Ok(out)
}

/// Text as XML character data or attribute value; characters XML 1.0 does
/// not allow (most C0 controls) are dropped rather than written broken.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As Lightroom Classic writes it (trimmed).
    const LIGHTROOM_SIDECAR: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
   xmp:Rating="4" xmp:Label="Red" photoshop:City="Skógar" photoshop:Country="Iceland"
   photoshop:DateCreated="2021-05-06T07:08:09+02:00">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Skógafoss at dawn</rdf:li><rdf:li xml:lang="is">Skógafoss</rdf:li></rdf:Alt></dc:title>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">Spray &amp; light</rdf:li></rdf:Alt></dc:description>
   <dc:creator><rdf:Seq><rdf:li>Ada Lovelace</rdf:li><rdf:li>Ben</rdf:li></rdf:Seq></dc:creator>
   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">© 2021 Ada</rdf:li></rdf:Alt></dc:rights>
   <dc:subject><rdf:Bag><rdf:li>iceland</rdf:li><rdf:li>waterfall</rdf:li></rdf:Bag></dc:subject>
   <lr:hierarchicalSubject><rdf:Bag><rdf:li>Places|Iceland|Skógafoss</rdf:li></rdf:Bag></lr:hierarchicalSubject>
   <Iptc4xmpCore:Location>Waterfall trail</Iptc4xmpCore:Location>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"#;

    #[test]
    fn lightroom_fields_are_read() {
        let d = parse(LIGHTROOM_SIDECAR).unwrap();
        assert_eq!(d.rating, Some(4));
        assert_eq!(d.label.as_deref(), Some("Red"));
        assert_eq!(d.title.as_deref(), Some("Skógafoss at dawn"));
        assert_eq!(d.caption.as_deref(), Some("Spray & light"));
        assert_eq!(d.creator.as_deref(), Some("Ada Lovelace; Ben"));
        assert_eq!(d.copyright.as_deref(), Some("© 2021 Ada"));
        assert_eq!(d.keywords, ["iceland", "waterfall"]);
        assert_eq!(d.keyword_paths, ["Places|Iceland|Skógafoss"]);
        assert_eq!(d.taken_at.as_deref(), Some("2021-05-06T07:08:09+02:00"));
        assert_eq!(d.location.city.as_deref(), Some("Skógar"));
        assert_eq!(d.location.country.as_deref(), Some("Iceland"));
        assert_eq!(d.location.sublocation.as_deref(), Some("Waterfall trail"));
    }

    #[test]
    fn other_prefixes_elements_and_structures_are_read() {
        let xml = r#"<a:xmpmeta xmlns:a="adobe:ns:meta/"><r:RDF xmlns:r="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
            <r:Description xmlns:q="http://ns.adobe.com/xap/1.0/" xmlns:e="http://ns.adobe.com/exif/1.0/"
                xmlns:ext="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">
              <q:Rating>2</q:Rating>
              <e:DateTimeOriginal>2020-02-03T04:05Z</e:DateTimeOriginal>
              <ext:LocationCreated><r:Bag><r:li r:parseType="Resource">
                <ext:City>Reykjavík</ext:City><ext:CountryCode>IS</ext:CountryCode>
              </r:li></r:Bag></ext:LocationCreated>
              <ext:LocationShown><r:Bag><r:li ext:City="Vík" ext:CountryName="Iceland"/></r:Bag></ext:LocationShown>
            </r:Description></r:RDF></a:xmpmeta>"#;
        let d = parse(xml).unwrap();
        assert_eq!(d.rating, Some(2));
        assert_eq!(d.taken_at.as_deref(), Some("2020-02-03T04:05:00+00:00"));
        assert_eq!(
            d.location.city.as_deref(),
            Some("Reykjavík"),
            "the first city named"
        );
        assert_eq!(d.location.country_code.as_deref(), Some("IS"));
        assert_eq!(d.location.country.as_deref(), Some("Iceland"));
    }

    #[test]
    fn capture_times_in_order_of_preference() {
        let both = "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>
            <rdf:Description xmlns:xmp='http://ns.adobe.com/xap/1.0/' xmlns:photoshop='http://ns.adobe.com/photoshop/1.0/'
              xmp:CreateDate='2022-01-10T15:15:44.31' photoshop:DateCreated='2021-05-06T07:08:09+02:00'/></rdf:RDF></x:xmpmeta>";
        assert_eq!(
            parse(both).unwrap().taken_at.as_deref(),
            Some("2021-05-06T07:08:09+02:00")
        );
        let naive = both.replace(" photoshop:DateCreated='2021-05-06T07:08:09+02:00'", "");
        assert_eq!(
            parse(&naive).unwrap().taken_at.as_deref(),
            Some("2022-01-10T15:15:44.310")
        );
        let date_only = both
            .replace("2021-05-06T07:08:09+02:00", "2022-01-10")
            .replace("2022-01-10T15:15:44.31", "2022");
        assert_eq!(parse(&date_only).unwrap().taken_at, None);
    }

    #[test]
    fn what_is_not_a_rating_is_ignored_and_broken_xml_is_an_error() {
        let rejected = LIGHTROOM_SIDECAR.replace("xmp:Rating=\"4\"", "xmp:Rating=\"-1\"");
        assert_eq!(parse(&rejected).unwrap().rating, None);
        let huge = LIGHTROOM_SIDECAR.replace("xmp:Rating=\"4\"", "xmp:Rating=\"99999999999\"");
        assert_eq!(parse(&huge).unwrap().rating, None);
        assert!(parse("<a><b></a>").is_err());
    }

    #[test]
    fn the_embedded_packet_is_found_in_file_bytes_and_a_broken_one_costs_nothing_else() {
        let mut file = b"\xff\xd8\xff\xe1junk http://ns.adobe.com/xap/1.0/\0".to_vec();
        file.extend_from_slice(LIGHTROOM_SIDECAR.as_bytes());
        file.extend_from_slice(b"\xff\xd9");
        assert_eq!(embedded(&file).title.as_deref(), Some("Skógafoss at dawn"));
        assert!(embedded(b"<x:xmpmeta unterminated").is_empty());
        let broken = LIGHTROOM_SIDECAR.replace("</dc:creator>", "</dc:oops>");
        assert_eq!(
            embedded(broken.as_bytes()).title.as_deref(),
            Some("Skógafoss at dawn"),
            "fields before the fault are kept"
        );
    }

    #[test]
    fn the_written_packet_reads_back_the_same() {
        let mut d = parse(LIGHTROOM_SIDECAR).unwrap();
        d.caption = Some("Quotes \" <tags> & a bell \u{7}".into());
        let written = write_packet(&d);
        let back = parse(&written).unwrap();
        assert_eq!(back.rating, Some(4));
        assert_eq!(back.label, d.label);
        assert_eq!(back.title, d.title);
        assert_eq!(back.caption.as_deref(), Some("Quotes \" <tags> & a bell"));
        assert_eq!(back.creator, d.creator);
        assert_eq!(back.copyright, d.copyright);
        assert_eq!(back.keywords, d.keywords);
        assert_eq!(back.keyword_paths, d.keyword_paths);
        assert!(packet(written.as_bytes()).is_some());
        let unrated = write_packet(&Description {
            rating: Some(0),
            ..Description::default()
        });
        assert_eq!(parse(&unrated).unwrap().rating, Some(0));
    }

    #[test]
    fn a_packet_goes_into_a_jpeg_after_its_app_segments() {
        let jpeg = b"\xff\xd8\xff\xe0\x00\x04ab\xff\xe2\x00\x03c\xff\xdbrest";
        let packet = write_packet(&Description {
            title: Some("T".into()),
            ..Description::default()
        });
        let out = into_jpeg(jpeg, &packet).unwrap();
        assert_eq!(&out[..13], &jpeg[..13], "JFIF and ICC first");
        assert_eq!(&out[13..15], b"\xff\xe1");
        assert!(out.ends_with(b"\xff\xdbrest"));
        assert_eq!(embedded(&out).title.as_deref(), Some("T"));
        let huge = "x".repeat(MAX_JPEG_PACKET + 1);
        assert!(into_jpeg(jpeg, &huge).is_err());
    }
}
