//! EXIF orientation: how the stored pixels must be turned to display upright.

use image::{DynamicImage, GrayImage, Rgb32FImage, RgbImage};

use crate::buffers;

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

    /// The EXIF tag value (1–8).
    pub fn to_exif(self) -> u16 {
        match self {
            Orientation::Normal => 1,
            Orientation::FlipHorizontal => 2,
            Orientation::Rotate180 => 3,
            Orientation::FlipVertical => 4,
            Orientation::Transpose => 5,
            Orientation::Rotate90 => 6,
            Orientation::Transverse => 7,
            Orientation::Rotate270 => 8,
        }
    }

    /// All eight, in EXIF order.
    const ALL: [Orientation; 8] = [
        Orientation::Normal,
        Orientation::FlipHorizontal,
        Orientation::Rotate180,
        Orientation::FlipVertical,
        Orientation::Transpose,
        Orientation::Rotate90,
        Orientation::Transverse,
        Orientation::Rotate270,
    ];

    /// This turn followed by `next`, as one turn (the eight form a group):
    /// the pixels move once instead of twice.
    pub(crate) fn then(self, next: Orientation) -> Orientation {
        // Two different turns differ somewhere on a 2 × 3 picture.
        let (w, h) = (2, 3);
        let (mid_w, mid_h) = self.upright_size(w as u32, h as u32);
        let both = |x, y| {
            let (mx, my) = self.destination(x, y, w, h);
            next.destination(mx, my, mid_w as usize, mid_h as usize)
        };
        Self::ALL
            .into_iter()
            .find(|o| (0..h).all(|y| (0..w).all(|x| o.destination(x, y, w, h) == both(x, y))))
            .expect("invariant: the eight orientations are closed under composition")
    }

    /// The size a `width × height` stored picture displays at.
    pub fn upright_size(self, width: u32, height: u32) -> (u32, u32) {
        if self.swaps_dimensions() {
            (height, width)
        } else {
            (width, height)
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

    /// Where the stored pixel (`x`, `y`) of a `w × h` image lands when
    /// displayed upright.
    fn destination(self, x: usize, y: usize, w: usize, h: usize) -> (usize, usize) {
        match self {
            Orientation::Normal => (x, y),
            Orientation::FlipHorizontal => (w - 1 - x, y),
            Orientation::Rotate180 => (w - 1 - x, h - 1 - y),
            Orientation::FlipVertical => (x, h - 1 - y),
            Orientation::Transpose => (y, x),
            Orientation::Rotate90 => (h - 1 - y, x),
            Orientation::Transverse => (h - 1 - y, w - 1 - x),
            Orientation::Rotate270 => (y, w - 1 - x),
        }
    }

    /// The stored pixels turned upright, in a new (per-thread reused) buffer.
    /// Done after downscaling, where it is cheap. 8-bit RGB and greyscale
    /// only (what the decoders produce).
    pub(crate) fn upright(self, src: &DynamicImage) -> DynamicImage {
        let (w, h) = (src.width(), src.height());
        let (out_w, out_h) = self.upright_size(w, h);
        let channels = if matches!(src, DynamicImage::ImageLuma8(_)) {
            1
        } else {
            3
        };
        let mut out = buffers::take(src.as_bytes().len());
        match channels {
            1 => self.turn::<u8, 1>(src.as_bytes(), w as usize, h as usize, &mut out),
            _ => self.turn::<u8, 3>(src.as_bytes(), w as usize, h as usize, &mut out),
        }
        match src {
            DynamicImage::ImageLuma8(_) => {
                GrayImage::from_raw(out_w, out_h, out).map(DynamicImage::ImageLuma8)
            }
            _ => RgbImage::from_raw(out_w, out_h, out).map(DynamicImage::ImageRgb8),
        }
        .expect("invariant: the buffer holds out_w × out_h pixels")
    }

    /// Linear-light f32 pixels (edits' working copies) turned upright.
    pub(crate) fn upright_f32(self, src: &Rgb32FImage) -> Rgb32FImage {
        let (w, h) = src.dimensions();
        let (out_w, out_h) = self.upright_size(w, h);
        let mut out = vec![0.0; src.as_raw().len()];
        self.turn::<f32, 3>(src.as_raw(), w as usize, h as usize, &mut out);
        Rgb32FImage::from_raw(out_w, out_h, out)
            .expect("invariant: the buffer holds out_w × out_h pixels")
    }

    /// Moves `C`-sample pixels to their upright places in `out`. Along a
    /// stored row the destination moves by a fixed step, so the inner loop
    /// is a strided copy; rows are walked in bands of 64 so that a quarter
    /// turn writes within a few cache-resident destination rows rather than
    /// across the image.
    fn turn<T: Copy, const C: usize>(self, pixels: &[T], w: usize, h: usize, out: &mut [T]) {
        let out_w = if self.swaps_dimensions() { h } else { w };
        let offset = |(x, y): (usize, usize)| (y * out_w + x) * C;
        const BAND: usize = 64;
        for band in (0..w).step_by(BAND) {
            let band_end = (band + BAND).min(w);
            for y in 0..h {
                let start = offset(self.destination(band, y, w, h)) as isize;
                let step = if band_end - band > 1 {
                    offset(self.destination(band + 1, y, w, h)) as isize - start
                } else {
                    0
                };
                let row = &pixels[(y * w + band) * C..(y * w + band_end) * C];
                for (i, pixel) in row.chunks_exact(C).enumerate() {
                    let to = (start + i as isize * step) as usize;
                    out[to..to + C].copy_from_slice(pixel);
                }
            }
        }
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
        let img = Orientation::Rotate90.upright(&red_blue()).to_rgb8();
        assert_eq!(img.dimensions(), (1, 2));
        // Clockwise: the left (red) pixel ends on top.
        assert_eq!(img.get_pixel(0, 0), &Rgb([255, 0, 0]));
        assert_eq!(img.get_pixel(0, 1), &Rgb([0, 0, 255]));
    }

    #[test]
    fn rotate270_turns_counter_clockwise() {
        let img = Orientation::Rotate270.upright(&red_blue()).to_rgb8();
        assert_eq!(img.get_pixel(0, 0), &Rgb([0, 0, 255]));
    }

    #[test]
    fn flips_and_out_of_range_values() {
        let img = Orientation::FlipHorizontal.upright(&red_blue());
        assert_eq!(img.to_rgb8().get_pixel(0, 0), &Rgb([0, 0, 255]));
        assert_eq!(Orientation::from_exif(0), Orientation::Normal);
        assert_eq!(Orientation::from_exif(9), Orientation::Normal);
        assert!(Orientation::from_exif(6).swaps_dimensions());
        assert!(!Orientation::from_exif(3).swaps_dimensions());
    }

    #[test]
    fn one_composed_turn_moves_pixels_as_two_turns_do() {
        let picture = Rgb32FImage::from_fn(5, 3, |x, y| image::Rgb([x as f32, y as f32, 0.0]));
        for first in Orientation::ALL {
            for second in Orientation::ALL {
                let twice = second.upright_f32(&first.upright_f32(&picture));
                let once = first.then(second).upright_f32(&picture);
                assert_eq!(once, twice, "{first:?} then {second:?}");
            }
        }
        assert_eq!(
            Orientation::Rotate90.then(Orientation::Rotate90),
            Orientation::Rotate180
        );
        assert_eq!(
            Orientation::Rotate90.then(Orientation::Rotate270),
            Orientation::Normal
        );
        assert_eq!(Orientation::Rotate90.upright_size(6, 4), (4, 6));
    }

    #[test]
    fn all_eight_agree_with_the_image_crate_on_rgb_and_grey() {
        use image::metadata::Orientation as O;
        // 150×70: more than two tiles across, a partial tile at each edge.
        let rgb = RgbImage::from_fn(150, 70, |x, y| Rgb([x as u8, y as u8, (x * y) as u8]));
        let grey = DynamicImage::ImageLuma8(DynamicImage::ImageRgb8(rgb.clone()).to_luma8());
        let rgb = DynamicImage::ImageRgb8(rgb);
        for (ours, theirs) in [
            (Orientation::Normal, O::NoTransforms),
            (Orientation::FlipHorizontal, O::FlipHorizontal),
            (Orientation::Rotate180, O::Rotate180),
            (Orientation::FlipVertical, O::FlipVertical),
            (Orientation::Transpose, O::Rotate90FlipH),
            (Orientation::Rotate90, O::Rotate90),
            (Orientation::Transverse, O::Rotate270FlipH),
            (Orientation::Rotate270, O::Rotate270),
        ] {
            for src in [&rgb, &grey] {
                let mut expected = src.clone();
                expected.apply_orientation(theirs);
                assert_eq!(ours.upright(src), expected, "{ours:?}");
            }
        }
    }
}
