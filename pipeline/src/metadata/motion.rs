//! Motion photos: a still whose file carries, after its image, the few
//! seconds of video the phone recorded around it (Google's "Motion Photo",
//! Samsung's "Motion photo", the older "MicroVideo"). The XMP says so and
//! says how long the video is; it is the file's last bytes.

use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;
use serde::{Deserialize, Serialize};

const CAMERA: &[u8] = b"http://ns.google.com/photos/1.0/camera/";
const CONTAINER: &[u8] = b"http://ns.google.com/photos/1.0/container/";
const ITEM: &[u8] = b"http://ns.google.com/photos/1.0/container/item/";

/// The video at the end of a motion photo's file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MotionVideo {
    /// Its length in bytes: the file's last `length` bytes.
    pub length: u64,
    /// Its media type as the file names it (`video/mp4` when unsaid).
    pub media_type: String,
}

impl MotionVideo {
    /// Where the video starts in a file of `file_size` bytes, when it fits.
    pub fn offset_in(&self, file_size: u64) -> Option<u64> {
        file_size
            .checked_sub(self.length)
            .filter(|&start| start > 0 && self.length > 0)
    }
}

/// The video an XMP packet declares: a container directory's `MotionPhoto`
/// item (the current format), else `GCamera:MicroVideoOffset` (the older
/// one, counted from the end of the file). `None` for any other photo, or
/// for a packet that is not XML.
pub(crate) fn declared(xml: &str) -> Option<MotionVideo> {
    let mut reader = NsReader::from_str(xml);
    let mut micro_video = (false, None::<u64>);
    loop {
        let (ns, event) = reader.read_resolved_event().ok()?;
        let element_ns = bound(&ns).map(<[u8]>::to_vec);
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let is_item =
                    element_ns.as_deref() == Some(CONTAINER) && e.local_name().as_ref() == b"Item";
                let (mut semantic, mut mime, mut length) = (None, None, None);
                for attr in e.attributes().flatten() {
                    let (attr_ns, local) = reader.resolver().resolve_attribute(attr.key);
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .ok()?
                        .trim()
                        .to_string();
                    match (bound(&attr_ns), local.as_ref()) {
                        (Some(ITEM), b"Semantic") if is_item => semantic = Some(value),
                        (Some(ITEM), b"Mime") if is_item => mime = Some(value),
                        (Some(ITEM), b"Length") if is_item => length = value.parse::<u64>().ok(),
                        (Some(CAMERA), b"MicroVideo") => micro_video.0 = value == "1",
                        (Some(CAMERA), b"MicroVideoOffset") => {
                            micro_video.1 = value.parse::<u64>().ok();
                        }
                        _ => {}
                    }
                }
                if semantic.as_deref() == Some("MotionPhoto")
                    && let Some(length) = length.filter(|&l| l > 0)
                {
                    return Some(MotionVideo {
                        length,
                        media_type: mime
                            .filter(|m| m.starts_with("video/"))
                            .unwrap_or_else(|| "video/mp4".into()),
                    });
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    match micro_video {
        (true, Some(length)) if length > 0 => Some(MotionVideo {
            length,
            media_type: "video/mp4".into(),
        }),
        _ => None,
    }
}

fn bound<'a>(ns: &ResolveResult<'a>) -> Option<&'a [u8]> {
    match ns {
        ResolveResult::Bound(Namespace(ns)) => Some(ns),
        _ => None,
    }
}

/// Whether `head` (the video's first bytes) starts an ISO media file: a
/// `ftyp` box, as MP4 and QuickTime videos do. What the XMP says is checked
/// against the bytes before a video is served.
pub fn looks_like_video(head: &[u8]) -> bool {
    head.len() >= 8 && &head[4..8] == b"ftyp"
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIXEL: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
      <rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"
          xmlns:Container="http://ns.google.com/photos/1.0/container/"
          xmlns:Item="http://ns.google.com/photos/1.0/container/item/"
          GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1"
          GCamera:MotionPhotoPresentationTimestampUs="968644">
        <Container:Directory><rdf:Seq>
          <rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary" Item:Length="0" Item:Padding="0"/></rdf:li>
          <rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" Item:Length="2488542" Item:Padding="0"/></rdf:li>
        </rdf:Seq></Container:Directory>
      </rdf:Description></rdf:RDF></x:xmpmeta>"#;

    #[test]
    fn a_container_directory_names_the_video_and_its_length() {
        let video = declared(PIXEL).unwrap();
        assert_eq!(video.length, 2_488_542);
        assert_eq!(video.media_type, "video/mp4");
        assert_eq!(video.offset_in(3_000_000), Some(511_458));
        assert_eq!(video.offset_in(2_488_542), None, "no room for the still");
    }

    #[test]
    fn the_older_micro_video_offset_counts_from_the_end() {
        let xml = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
          <rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"
            GCamera:MicroVideo="1" GCamera:MicroVideoVersion="1" GCamera:MicroVideoOffset="1234"/>
          </rdf:RDF></x:xmpmeta>"#;
        assert_eq!(declared(xml).map(|v| v.length), Some(1234));
    }

    #[test]
    fn other_photos_and_broken_packets_declare_nothing() {
        let plain = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
          <rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="3"/></rdf:RDF></x:xmpmeta>"#;
        assert_eq!(declared(plain), None);
        assert_eq!(declared(&PIXEL.replace("2488542", "0")), None);
        let broken = PIXEL.replace("<Container:Directory>", "<Container:Directory></oops>");
        assert_eq!(declared(&broken), None);
        assert!(looks_like_video(b"\0\0\0\x18ftypmp42"));
        assert!(!looks_like_video(b"\xFF\xD8\xFF\xE1"));
    }
}
