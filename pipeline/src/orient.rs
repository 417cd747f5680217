//! EXIF orientation: how the stored pixels must be turned to display upright.

use image::DynamicImage;

/// The eight EXIF orientations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Orientation {
    /// 1: as stored.
    Normal,
    /// 2: mirrored left-right.
    FlipHorizontal,
    /// 3: upside down.
    Rotate180,
    /// 4: mirrored top-bottom.
    FlipVertical,
    /// 5: mirrored along the top-left/bottom-right diagonal.
    Transpose,
    /// 6: turn 90° clockwise to display.
    Rotate90,
    /// 7: mirrored along the other diagonal.
    Transverse,
    /// 8: turn 90° counter-clockwise to display.
    Rotate270,
}

impl Orientation {
    /// From the EXIF tag value; anything outside 1–8 (0, 9, 65535…) is `Normal`.
    pub fn from_exif(value: u16) -> Self {
        match value {
            2 => Orientation::FlipHorizontal,
            3 => Orientation::Rotate180,
            4 => Orientation::FlipVertical,
            5 => Orientation::Transpose,
            6 => Orientation::Rotate90,
            7 => Orientation::Transverse,
            8 => Orientation::Rotate270,
            _ => Orientation::Normal,
        }
    }

    /// True when displaying swaps width and height.
    pub fn swaps_dimensions(self) -> bool {
        matches!(
            self,
            Orientation::Transpose
                | Orientation::Rotate90
                | Orientation::Transverse
                | Orientation::Rotate270
        )
    }

    /// Turns stored pixels upright. Done after downscaling, where it is cheap.
    pub(crate) fn apply(self, image: &mut DynamicImage) {
        use image::metadata::Orientation as O;
        image.apply_orientation(match self {
            Orientation::Normal => O::NoTransforms,
            Orientation::FlipHorizontal => O::FlipHorizontal,
            Orientation::Rotate180 => O::Rotate180,
            Orientation::FlipVertical => O::FlipVertical,
            Orientation::Transpose => O::Rotate90FlipH,
            Orientation::Rotate90 => O::Rotate90,
            Orientation::Transverse => O::Rotate270FlipH,
            Orientation::Rotate270 => O::Rotate270,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    /// A 2×1 image: red on the left, blue on the right.
    fn red_blue() -> DynamicImage {
        let mut img = RgbImage::new(2, 1);
        img.put_pixel(0, 0, Rgb([255, 0, 0]));
        img.put_pixel(1, 0, Rgb([0, 0, 255]));
        DynamicImage::ImageRgb8(img)
    }

    #[test]
    fn rotate90_turns_clockwise() {
        let mut img = red_blue();
        Orientation::Rotate90.apply(&mut img);
        let img = img.to_rgb8();
        assert_eq!(img.dimensions(), (1, 2));
        // Clockwise: the left (red) pixel ends on top.
        assert_eq!(img.get_pixel(0, 0), &Rgb([255, 0, 0]));
        assert_eq!(img.get_pixel(0, 1), &Rgb([0, 0, 255]));
    }

    #[test]
    fn rotate270_turns_counter_clockwise() {
        let mut img = red_blue();
        Orientation::Rotate270.apply(&mut img);
        let img = img.to_rgb8();
        assert_eq!(img.get_pixel(0, 0), &Rgb([0, 0, 255]));
    }

    #[test]
    fn flips_and_out_of_range_values() {
        let mut img = red_blue();
        Orientation::FlipHorizontal.apply(&mut img);
        assert_eq!(img.to_rgb8().get_pixel(0, 0), &Rgb([0, 0, 255]));
        assert_eq!(Orientation::from_exif(0), Orientation::Normal);
        assert_eq!(Orientation::from_exif(9), Orientation::Normal);
        assert!(Orientation::from_exif(6).swaps_dimensions());
        assert!(!Orientation::from_exif(3).swaps_dimensions());
    }
}
