//! Formats darkroom accepts, recognised from their magic bytes.

use std::fmt;

/// The format of an uploaded original, as sniffed from its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    /// JPEG (JFIF/EXIF).
    Jpeg,
    /// PNG.
    Png,
    /// WebP.
    Webp,
    /// TIFF (not a camera RAW).
    Tiff,
    /// HEIC/HEIF.
    Heic,
    /// AVIF.
    Avif,
    /// Adobe DNG (Leica and many phones write it).
    Dng,
    /// Canon CR2.
    Cr2,
    /// Canon CR3.
    Cr3,
    /// Nikon NEF/NRW.
    Nef,
    /// Sony ARW/SR2.
    Arw,
    /// Fujifilm RAF.
    Raf,
    /// Panasonic RW2.
    Rw2,
    /// Olympus/OM System ORF.
    Orf,
    /// Pentax/Ricoh PEF.
    Pef,
}

const ALL_FORMATS: [SourceFormat; 15] = [
    SourceFormat::Jpeg,
    SourceFormat::Png,
    SourceFormat::Webp,
    SourceFormat::Tiff,
    SourceFormat::Heic,
    SourceFormat::Avif,
    SourceFormat::Dng,
    SourceFormat::Cr2,
    SourceFormat::Cr3,
    SourceFormat::Nef,
    SourceFormat::Arw,
    SourceFormat::Raf,
    SourceFormat::Rw2,
    SourceFormat::Orf,
    SourceFormat::Pef,
];

impl SourceFormat {
    /// Short lowercase name, as stored and reported.
    pub fn name(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "jpeg",
            SourceFormat::Png => "png",
            SourceFormat::Webp => "webp",
            SourceFormat::Tiff => "tiff",
            SourceFormat::Heic => "heic",
            SourceFormat::Avif => "avif",
            SourceFormat::Dng => "dng",
            SourceFormat::Cr2 => "cr2",
            SourceFormat::Cr3 => "cr3",
            SourceFormat::Nef => "nef",
            SourceFormat::Arw => "arw",
            SourceFormat::Raf => "raf",
            SourceFormat::Rw2 => "rw2",
            SourceFormat::Orf => "orf",
            SourceFormat::Pef => "pef",
        }
    }

    /// The format with this [`name`](Self::name), as stored in the catalog.
    pub fn from_name(name: &str) -> Option<Self> {
        ALL_FORMATS.into_iter().find(|f| f.name() == name)
    }

    /// Every file extension [`from_extension`](Self::from_extension) knows
    /// (lowercase, no dot): what a client may send (Immich's ask for it).
    pub const EXTENSIONS: [&'static str; 22] = [
        "jpg", "jpeg", "jpe", "png", "webp", "tif", "tiff", "heic", "heif", "hif", "avif", "dng",
        "cr2", "cr3", "nef", "nrw", "arw", "sr2", "raf", "rw2", "orf", "pef",
    ];

    /// The format files with this extension (any case, no dot) usually
    /// hold: how an importer picks photos out of a folder before reading
    /// them. The server still decides by the bytes.
    pub fn from_extension(extension: &str) -> Option<Self> {
        let format = match extension.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" | "jpe" => SourceFormat::Jpeg,
            "png" => SourceFormat::Png,
            "webp" => SourceFormat::Webp,
            "tif" | "tiff" => SourceFormat::Tiff,
            "heic" | "heif" | "hif" => SourceFormat::Heic,
            "avif" => SourceFormat::Avif,
            "dng" => SourceFormat::Dng,
            "cr2" => SourceFormat::Cr2,
            "cr3" => SourceFormat::Cr3,
            "nef" | "nrw" => SourceFormat::Nef,
            "arw" | "sr2" => SourceFormat::Arw,
            "raf" => SourceFormat::Raf,
            "rw2" => SourceFormat::Rw2,
            "orf" => SourceFormat::Orf,
            "pef" => SourceFormat::Pef,
            _ => return None,
        };
        Some(format)
    }

    /// The media type originals of this format are served with.
    pub fn media_type(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "image/jpeg",
            SourceFormat::Png => "image/png",
            SourceFormat::Webp => "image/webp",
            SourceFormat::Tiff => "image/tiff",
            SourceFormat::Heic => "image/heic",
            SourceFormat::Avif => "image/avif",
            SourceFormat::Dng => "image/x-adobe-dng",
            SourceFormat::Cr2 => "image/x-canon-cr2",
            SourceFormat::Cr3 => "image/x-canon-cr3",
            SourceFormat::Nef => "image/x-nikon-nef",
            SourceFormat::Arw => "image/x-sony-arw",
            SourceFormat::Raf => "image/x-fuji-raf",
            SourceFormat::Rw2 => "image/x-panasonic-rw2",
            SourceFormat::Orf => "image/x-olympus-orf",
            SourceFormat::Pef => "image/x-pentax-pef",
        }
    }

    /// True for HEIC and AVIF (the HEIF container).
    pub fn is_heif(self) -> bool {
        matches!(self, SourceFormat::Heic | SourceFormat::Avif)
    }

    /// True for camera RAW formats (DNG and the makers' own).
    pub fn is_camera_raw(self) -> bool {
        matches!(
            self,
            SourceFormat::Dng
                | SourceFormat::Cr2
                | SourceFormat::Cr3
                | SourceFormat::Nef
                | SourceFormat::Arw
                | SourceFormat::Raf
                | SourceFormat::Rw2
                | SourceFormat::Orf
                | SourceFormat::Pef
        )
    }

    /// True for formats whose decoder must run in the helper process:
    /// camera RAW (rawler can panic, hang or balloon on hostile files) and
    /// HEIC and AVIF (libheif and its codecs: C, and LGPL in part). Only a
    /// process boundary with memory and CPU limits contains such failures.
    pub fn decodes_in_helper(self) -> bool {
        self.is_camera_raw() || self.is_heif()
    }

    pub(crate) fn image_format(self) -> Option<image::ImageFormat> {
        match self {
            SourceFormat::Jpeg => Some(image::ImageFormat::Jpeg),
            SourceFormat::Png => Some(image::ImageFormat::Png),
            SourceFormat::Webp => Some(image::ImageFormat::WebP),
            SourceFormat::Tiff => Some(image::ImageFormat::Tiff),
            _ => None,
        }
    }
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Names the format from the first bytes of a file, or `None` when it is not
/// one darkroom accepts. Extensions and client-sent types are never consulted.
pub fn sniff(head: &[u8]) -> Option<SourceFormat> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Some(SourceFormat::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some(SourceFormat::Png);
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some(SourceFormat::Webp);
    }
    if starts(b"FUJIFILMCCD-RAW") {
        return Some(SourceFormat::Raf);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return sniff_iso_bmff(&head[8..12]);
    }
    if starts(b"IIRO") || starts(b"IIRS") || starts(b"MMOR") {
        return Some(SourceFormat::Orf);
    }
    if starts(b"IIU\0") {
        return Some(SourceFormat::Rw2);
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return Some(sniff_tiff_family(head));
    }
    None
}

fn sniff_iso_bmff(brand: &[u8]) -> Option<SourceFormat> {
    match brand {
        b"crx " => Some(SourceFormat::Cr3),
        b"avif" | b"avis" => Some(SourceFormat::Avif),
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => {
            Some(SourceFormat::Heic)
        }
        _ => None,
    }
}

/// TIFF-structured files: plain TIFF, DNG and several camera RAWs. DNG is
/// recognised by its DNGVersion tag in IFD0; the others by their Make.
fn sniff_tiff_family(head: &[u8]) -> SourceFormat {
    if head.len() >= 10 && &head[8..10] == b"CR" {
        return SourceFormat::Cr2;
    }
    let ifd0 = crate::metadata::tiff_ifd0_tags(head);
    if ifd0.has_dng_version {
        return SourceFormat::Dng;
    }
    let make = ifd0.make.unwrap_or_default().to_ascii_uppercase();
    if make.starts_with("NIKON") {
        SourceFormat::Nef
    } else if make.starts_with("SONY") {
        SourceFormat::Arw
    } else if make.starts_with("PENTAX") || make.starts_with("RICOH") {
        SourceFormat::Pef
    } else {
        SourceFormat::Tiff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list names every extension the mapping knows, and every format.
    #[test]
    fn the_extension_list_is_the_mapping() {
        let mapped: Vec<SourceFormat> = SourceFormat::EXTENSIONS
            .iter()
            .map(|e| SourceFormat::from_extension(e).unwrap_or_else(|| panic!("{e}")))
            .collect();
        for format in ALL_FORMATS {
            assert!(
                mapped.contains(&format),
                "{format:?} has no extension listed"
            );
        }
    }

    #[test]
    fn every_format_has_an_extension() {
        for format in ALL_FORMATS {
            assert_eq!(SourceFormat::from_extension(format.name()), Some(format));
        }
        assert_eq!(
            SourceFormat::from_extension("JPG"),
            Some(SourceFormat::Jpeg)
        );
        assert_eq!(SourceFormat::from_extension("xmp"), None);
        assert_eq!(SourceFormat::from_extension("mov"), None);
    }

    #[test]
    fn sniffs_by_magic_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(SourceFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(SourceFormat::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(SourceFormat::Webp));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0"), Some(SourceFormat::Heic));
        assert_eq!(sniff(b"\0\0\0\x18ftypcrx \0\0"), Some(SourceFormat::Cr3));
        assert_eq!(sniff(b"FUJIFILMCCD-RAW 0201"), Some(SourceFormat::Raf));
        assert_eq!(sniff(b"II*\0\x08\0\0\0CR\x02\0"), Some(SourceFormat::Cr2));
        assert_eq!(sniff(b"II*\0\x08\0\0\0\0\0"), Some(SourceFormat::Tiff));
    }

    #[test]
    fn names_round_trip() {
        for f in ALL_FORMATS {
            assert_eq!(SourceFormat::from_name(f.name()), Some(f));
        }
        assert_eq!(SourceFormat::from_name("gif"), None);
    }

    #[test]
    fn rejects_what_is_not_a_photo() {
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"PK\x03\x04zip"), None);
        assert_eq!(sniff(b"<svg xmlns="), None);
        assert_eq!(sniff(b"%PDF-1.7"), None);
        assert_eq!(sniff(b"GIF89a"), None);
    }
}
