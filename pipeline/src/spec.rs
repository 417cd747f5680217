//! Rendition specs: `NAME:LONG_EDGE[:FORMAT[:QUALITY]]`.

use std::fmt;
use std::str::FromStr;

/// Encodings renditions can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// JPEG (lossy, the default).
    Jpeg,
    /// PNG (lossless).
    Png,
}

impl OutputFormat {
    /// The media type served.
    pub fn media_type(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "image/jpeg",
            OutputFormat::Png => "image/png",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "jpg",
            OutputFormat::Png => "png",
        }
    }

    fn name(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "jpeg",
            OutputFormat::Png => "png",
        }
    }
}

/// How to render one rendition: a name, the long edge in pixels, an encoding
/// and a quality (1–100, for lossy encodings).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RenditionSpec {
    name: String,
    long_edge: u32,
    format: OutputFormat,
    quality: u8,
}

/// Why a rendition spec was refused.
#[derive(Debug, thiserror::Error)]
#[error(
    "invalid rendition spec {spec:?}: {reason} (expected NAME:LONG_EDGE[:FORMAT[:QUALITY]], e.g. thumb:256:jpeg:80)"
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
            long_edge,
            format,
            quality,
        }
    }

    /// The name clients ask for.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The long edge of the output in pixels (never upscaled past the source).
    pub fn long_edge(&self) -> u32 {
        self.long_edge
    }

    /// The output encoding.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// Encoder quality, 1–100.
    pub fn quality(&self) -> u8 {
        self.quality
    }

    /// The canonical text form, stored beside each rendition so a changed spec
    /// is noticed and re-rendered.
    pub fn key(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for RenditionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}:{}",
            self.name,
            self.long_edge,
            self.format.name(),
            self.quality
        )
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
        let long_edge: u32 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .filter(|e| (1..=16_384).contains(e))
            .ok_or_else(|| invalid("the long edge must be a number of pixels from 1 to 16384"))?;
        let format = match parts.next() {
            None | Some("jpeg") | Some("jpg") => OutputFormat::Jpeg,
            Some("png") => OutputFormat::Png,
            Some(_) => return Err(invalid("the format must be jpeg or png")),
        };
        let quality = match parts.next() {
            None => 85,
            Some(q) => q
                .parse()
                .ok()
                .filter(|q| (1..=100).contains(q))
                .ok_or_else(|| invalid("the quality must be from 1 to 100"))?,
        };
        if parts.next().is_some() {
            return Err(invalid("too many fields"));
        }
        Ok(RenditionSpec::new(name, long_edge, format, quality))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_canonically() {
        let spec: RenditionSpec = "thumb:256:jpeg:80".parse().unwrap();
        assert_eq!(
            (spec.name(), spec.long_edge(), spec.quality()),
            ("thumb", 256, 80)
        );
        assert_eq!(spec.key(), "thumb:256:jpeg:80");
        assert_eq!(
            "big:4000".parse::<RenditionSpec>().unwrap().key(),
            "big:4000:jpeg:85"
        );
        assert_eq!(RenditionSpec::defaults()[1].key(), "preview:1440:jpeg:85");
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
            "../x:256",
        ] {
            assert!(
                bad.parse::<RenditionSpec>().is_err(),
                "{bad} should be refused"
            );
        }
    }
}
