//! Limits checked before memory is spent.

/// Upper bounds on what the pipeline will take on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest original accepted, in bytes.
    pub max_upload_bytes: u64,
    /// Largest image decoded, in pixels (width × height).
    pub max_pixels: u64,
    /// Largest single edge, in pixels.
    pub max_edge: u32,
}

impl Default for Limits {
    /// 1 GiB files (large RAWs and TIFF scans), 200 MP (panoramas), 65 535 px edges.
    fn default() -> Self {
        Limits {
            max_upload_bytes: 1 << 30,
            max_pixels: 200_000_000,
            max_edge: 65_535,
        }
    }
}

impl Limits {
    /// Checks declared dimensions against the limits.
    pub fn check_dimensions(&self, width: u32, height: u32) -> Result<(), crate::PipelineError> {
        let edge = width.max(height);
        if edge > self.max_edge {
            return Err(crate::PipelineError::LimitExceeded {
                what: "longest edge",
                limit: u64::from(self.max_edge),
                actual: u64::from(edge),
            });
        }
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.max_pixels {
            return Err(crate::PipelineError::LimitExceeded {
                what: "pixel count",
                limit: self.max_pixels,
                actual: pixels,
            });
        }
        Ok(())
    }

    /// The same limits in the form the `image` crate enforces while decoding,
    /// so a header that lies about its size still cannot allocate past them.
    pub(crate) fn to_image_limits(self) -> image::Limits {
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(self.max_edge);
        limits.max_image_height = Some(self.max_edge);
        // 8 bytes per pixel covers 16-bit RGBA; plus slack for decoder buffers.
        limits.max_alloc = Some(self.max_pixels.saturating_mul(8).saturating_add(64 << 20));
        limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_oversized_dimensions() {
        let limits = Limits {
            max_pixels: 100,
            max_edge: 20,
            ..Limits::default()
        };
        assert!(limits.check_dimensions(10, 10).is_ok());
        assert!(limits.check_dimensions(11, 10).is_err());
        assert!(limits.check_dimensions(21, 1).is_err());
    }
}
