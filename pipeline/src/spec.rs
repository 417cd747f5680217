//! Rendition specs: `NAME:SIZE[:FORMAT[:QUALITY[:KEEP]]]`, where SIZE is a
//! long edge (`1440`), a box to fit inside (`800x600`) or a box to fill and
//! crop (`400x400-cover`), FORMAT is `jpeg`, `webp` or `png`, and KEEP says
//! which of the original's metadata the rendition carries: `none` (the
//! default), `copyright` or `exif` (see [`KeepMetadata`]; never location).

use std::fmt;
use std::str::FromStr;

/// Encodings renditions can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// JPEG (lossy, the default).
    Jpeg,
    /// PNG (lossless).
    Png,
    /// WebP (lossy, libwebp's default method 4, like sharp's default effort).
    Webp,
}

impl OutputFormat {
    /// The media type served.
    pub fn media_type(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "image/jpeg",
            OutputFormat::Png => "image/png",
            OutputFormat::Webp => "image/webp",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "jpg",
            OutputFormat::Png => "png",
            OutputFormat::Webp => "webp",
        }
    }

    fn name(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "jpeg",
            OutputFormat::Png => "png",
            OutputFormat::Webp => "webp",
        }
    }
}

/// Which of the original's metadata a rendition carries. Renditions are
/// stripped by default (smaller, and nothing private leaks); a photographer
/// publishing them may want their copyright, or the camera and exposure,
/// kept. Location is never kept: the kept fields are picked from a list that
/// holds none of the GPS or place tags (see `kept_exif.rs`). The orientation
/// tag is never copied either, since renditions are stored upright.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum KeepMetadata {
    /// Nothing (the default).
    #[default]
    None,
    /// Artist and copyright.
    Copyright,
    /// Artist and copyright, camera and lens, exposure, capture time with
    /// its offset, description and software.
    Exif,
}

impl KeepMetadata {
    fn name(self) -> &'static str {
        match self {
            KeepMetadata::None => "none",
            KeepMetadata::Copyright => "copyright",
            KeepMetadata::Exif => "exif",
        }
    }
}

/// How a picture meets its box.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fit {
    /// The whole picture, as large as fits inside the box.
    Inside,
    /// The box filled exactly, the picture scaled to cover it and the
    /// overflow cropped evenly from both sides (square thumbnails).
    Cover,
}

/// How to render one rendition: a name, a box in displayed pixels and how
/// to fit it, an encoding and a quality (1–100, for lossy encodings).
/// Renditions are never upscaled past the source.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RenditionSpec {
    name: String,
    width: u32,
    height: u32,
    fit: Fit,
    format: OutputFormat,
    quality: u8,
    keep: KeepMetadata,
}

/// Why a rendition spec was refused.
#[derive(Debug, thiserror::Error)]
#[error(
    "invalid rendition spec {spec:?}: {reason} (expected NAME:SIZE[:FORMAT[:QUALITY[:KEEP]]] with SIZE a long edge, WxH or WxH-cover, FORMAT jpeg, webp or png, KEEP none, copyright or exif; e.g. thumb:256:jpeg:80 or square:400x400-cover:webp:75)"
)]
pub struct InvalidSpec {
    spec: String,
    reason: &'static str,
}

impl RenditionSpec {
    /// The service's default renditions: `thumb:256:jpeg:80`, `preview:1440:jpeg:85`.
    pub fn defaults() -> Vec<RenditionSpec> {
        vec![
            RenditionSpec::new("thumb", 256, OutputFormat::Jpeg, 80),
            RenditionSpec::new("preview", 1440, OutputFormat::Jpeg, 85),
        ]
    }

    fn new(name: &str, long_edge: u32, format: OutputFormat, quality: u8) -> Self {
        RenditionSpec {
            name: name.to_string(),
            width: long_edge,
            height: long_edge,
            fit: Fit::Inside,
            format,
            quality,
            keep: KeepMetadata::None,
        }
    }

    /// The name clients ask for.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The box, in displayed pixels: width and height.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// How the picture meets the box.
    pub fn fit(&self) -> Fit {
        self.fit
    }

    /// The output encoding.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// Encoder quality, 1–100.
    pub fn quality(&self) -> u8 {
        self.quality
    }

    /// Which of the original's metadata to carry over.
    pub fn keep(&self) -> KeepMetadata {
        self.keep
    }

    /// The canonical text form, stored beside each rendition so a changed spec
    /// is noticed and re-rendered.
    pub fn key(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for RenditionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.name)?;
        match (self.fit, self.width == self.height) {
            (Fit::Inside, true) => write!(f, "{}", self.width)?,
            (Fit::Inside, false) => write!(f, "{}x{}", self.width, self.height)?,
            (Fit::Cover, _) => write!(f, "{}x{}-cover", self.width, self.height)?,
        }
        write!(f, ":{}:{}", self.format.name(), self.quality)?;
        // Left out when stripped, so that the keys of renditions stored
        // before KEEP existed still match and are not rendered again.
        if self.keep != KeepMetadata::None {
            write!(f, ":{}", self.keep.name())?;
        }
        Ok(())
    }
}

impl FromStr for RenditionSpec {
    type Err = InvalidSpec;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let invalid = |reason| InvalidSpec {
            spec: spec.to_string(),
            reason,
        };
        let mut parts = spec.split(':');
        let name = parts.next().unwrap_or_default();
        if name.is_empty()
            || name.len() > 32
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid("the name must be 1–32 letters, digits, '-' or '_'"));
        }
        let size = parts.next().unwrap_or_default();
        let (size, fit) = match size.strip_suffix("-cover") {
            Some(box_size) => (box_size, Fit::Cover),
            None => (size, Fit::Inside),
        };
        let pixels = |s: &str| s.parse::<u32>().ok().filter(|e| (1..=16_384).contains(e));
        let (width, height) = match size.split_once('x') {
            Some((w, h)) => (pixels(w), pixels(h)),
            None if fit == Fit::Inside => (pixels(size), pixels(size)),
            None => (None, None),
        };
        let (Some(width), Some(height)) = (width, height) else {
            return Err(invalid(
                "the size must be a long edge or WxH (WxH-cover to crop), from 1 to 16384 pixels",
            ));
        };
        let format = match parts.next() {
            None | Some("jpeg") | Some("jpg") => OutputFormat::Jpeg,
            Some("png") => OutputFormat::Png,
            Some("webp") => OutputFormat::Webp,
            Some(_) => return Err(invalid("the format must be jpeg, webp or png")),
        };
        let quality = match parts.next() {
            None => 85,
            Some(q) => q
                .parse()
                .ok()
                .filter(|q| (1..=100).contains(q))
                .ok_or_else(|| invalid("the quality must be from 1 to 100"))?,
        };
        let keep = match parts.next() {
            None | Some("none") => KeepMetadata::None,
            Some("copyright") => KeepMetadata::Copyright,
            Some("exif") => KeepMetadata::Exif,
            Some(_) => return Err(invalid("KEEP must be none, copyright or exif")),
        };
        if parts.next().is_some() {
            return Err(invalid("too many fields"));
        }
        Ok(RenditionSpec {
            name: name.to_string(),
            width,
            height,
            fit,
            format,
            quality,
            keep,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_canonically() {
        let spec: RenditionSpec = "thumb:256:jpeg:80".parse().unwrap();
        assert_eq!(
            (spec.name(), spec.size(), spec.fit(), spec.quality()),
            ("thumb", (256, 256), Fit::Inside, 80)
        );
        assert_eq!(spec.key(), "thumb:256:jpeg:80");
        assert_eq!(
            "big:4000".parse::<RenditionSpec>().unwrap().key(),
            "big:4000:jpeg:85"
        );
        assert_eq!(RenditionSpec::defaults()[1].key(), "preview:1440:jpeg:85");
        let boxed: RenditionSpec = "banner:1200x400:png".parse().unwrap();
        assert_eq!((boxed.size(), boxed.fit()), ((1200, 400), Fit::Inside));
        assert_eq!(boxed.key(), "banner:1200x400:png:85");
        let square: RenditionSpec = "square:400x400-cover:jpeg:80".parse().unwrap();
        assert_eq!((square.size(), square.fit()), ((400, 400), Fit::Cover));
        assert_eq!(square.key(), "square:400x400-cover:jpeg:80");
        assert_eq!(square.key().parse::<RenditionSpec>().unwrap(), square);
        let shared: RenditionSpec = "web:2048:webp:75:exif".parse().unwrap();
        assert_eq!(
            (shared.format(), shared.keep()),
            (OutputFormat::Webp, KeepMetadata::Exif)
        );
        assert_eq!(shared.key(), "web:2048:webp:75:exif");
        assert_eq!(
            "t:256:jpeg:80:none".parse::<RenditionSpec>().unwrap().key(),
            "t:256:jpeg:80"
        );
    }

    #[test]
    fn rejects_bad_specs() {
        for bad in [
            "",
            ":256",
            "x:0",
            "x:abc",
            "x:256:gif",
            "x:256:jpeg:0",
            "x:256:jpeg:101",
            "x:1:jpeg:80:9",
            "x:1:jpeg:80:gps",
            "x:1:jpeg:80:exif:x",
            "../x:256",
            "x:400-cover",
            "x:0x10",
            "x:10x",
            "x:10x10-fill",
        ] {
            assert!(
                bad.parse::<RenditionSpec>().is_err(),
                "{bad} should be refused"
            );
        }
    }
}
