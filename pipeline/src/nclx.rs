//! Pictures described by CICP code points (`nclx`: colour primaries and
//! transfer characteristics, ITU-T H.273) rather than an ICC profile, as
//! HEIF and AVIF files from phones and HDR cameras are, brought to 8-bit
//! sRGB: Display P3 and BT.2020 primaries converted, and PQ (SMPTE ST 2084)
//! and HLG (ARIB STD-B67) high dynamic range tone-mapped for an SDR screen.
//!
//! The tone mapping puts HDR reference white (203 cd/m², ITU-R BT.2408) at
//! 80 % of SDR white, keeps everything below 60 % as it is, and rolls the
//! highlights off logarithmically (on the brightest channel, so hues do not
//! shift) up to the brightest the file can hold: nothing clips to a flat
//! white, and nothing comes out dull, as a straight 10-to-8-bit cut does.

/// The code points that matter here (others are treated as sRGB's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cicp {
    /// `colour_primaries`: 1 BT.709/sRGB, 9 BT.2020, 12 Display P3 (and 11 DCI-P3).
    pub primaries: u16,
    /// `transfer_characteristics`: 16 PQ, 18 HLG; the rest as sRGB's curve.
    pub transfer: u16,
}

impl Cicp {
    /// True when the pixels need more than an 8-bit copy to look right in
    /// sRGB: other primaries, or an HDR transfer.
    pub fn needs_conversion(self) -> bool {
        !matches!(self.primaries, 1 | 2) || matches!(self.transfer, 16 | 18)
    }
}

/// Steps of the linear-to-sRGB table: fine enough that no 8-bit output
/// value is skipped or doubled in the shadows.
const ENCODE_STEPS: usize = 1 << 16;

/// HDR reference white, cd/m² (BT.2408): shown at [`SDR_WHITE`] of the
/// SDR range.
const REFERENCE_WHITE: f32 = 203.0;
/// Where reference white lands in SDR (linear), leaving room for highlights.
const SDR_WHITE: f32 = 0.8;
/// The brightest HLG renders (its nominal display peak).
const HLG_PEAK: f32 = 1000.0;

/// Converts interleaved RGB samples of `bits` depth (in `u16`s, one per
/// channel) described by `cicp` into 8-bit sRGB.
pub fn to_srgb8(samples: &[u16], bits: u8, cicp: Cicp) -> Vec<u8> {
    let mut out = Vec::with_capacity(samples.len());
    Converter::new(bits, cicp).convert(samples, &mut out);
    out
}

/// A conversion's tables, made once for a picture and used row by row.
pub struct Converter {
    matrix: [[f32; 3]; 3],
    /// Linear light (1.0 = SDR white, or HDR reference white) per code value.
    linear: Vec<f32>,
    /// 8-bit sRGB per step of linear light in 0..=1.
    encode: Vec<u8>,
    /// The highlight roll-off, for HDR transfers.
    curve: Option<RollOff>,
}

impl Converter {
    /// The tables for samples of `bits` depth described by `cicp`.
    pub fn new(bits: u8, cicp: Cicp) -> Self {
        let max = ((1u32 << bits.clamp(1, 16)) - 1) as f32;
        let (peak, linearise): (f32, fn(f32) -> f32) = match cicp.transfer {
            16 => (10_000.0 / REFERENCE_WHITE, |v| {
                pq_to_nits(v) / REFERENCE_WHITE
            }),
            18 => (HLG_PEAK / REFERENCE_WHITE, |v| {
                hlg_to_nits(v) / REFERENCE_WHITE
            }),
            _ => (1.0, srgb_to_linear),
        };
        let hdr = matches!(cicp.transfer, 16 | 18);
        Converter {
            matrix: to_srgb_primaries(cicp.primaries),
            // With HDR, reference white lands at SDR_WHITE.
            linear: (0..=max as u32)
                .map(|v| linearise(v as f32 / max) * if hdr { SDR_WHITE } else { 1.0 })
                .collect(),
            encode: (0..=ENCODE_STEPS)
                .map(|i| (linear_to_srgb(i as f32 / ENCODE_STEPS as f32) * 255.0 + 0.5) as u8)
                .collect(),
            curve: hdr.then(|| RollOff::new(peak * SDR_WHITE)),
        }
    }

    /// Appends the 8-bit sRGB of `samples` (interleaved RGB) to `out`.
    pub fn convert(&self, samples: &[u16], out: &mut Vec<u8>) {
        let last = self.linear.len() - 1;
        for rgb in samples.chunks_exact(3) {
            let lin = [0, 1, 2].map(|i| self.linear[usize::from(rgb[i]).min(last)]);
            let mut srgb = multiply(&self.matrix, lin);
            if let Some(curve) = &self.curve {
                srgb = tone_map(srgb, curve);
            }
            out.extend(
                srgb.map(|c| self.encode[(c.clamp(0.0, 1.0) * ENCODE_STEPS as f32 + 0.5) as usize]),
            );
        }
    }
}

/// Below this (linear SDR) the tone curve is the identity.
const KNEE: f32 = 0.6;

/// The highlight roll-off from [`KNEE`] to 1.0, for inputs up to `peak`:
/// `k + (1 − k)·ln(1 + a·t)/ln(1 + a)` of `t = (x − k)/(peak − k)`, with `a`
/// chosen so the slope at the knee is 1 (no visible bend).
struct RollOff {
    peak: f32,
    a: f32,
}

impl RollOff {
    fn new(peak: f32) -> Self {
        let ratio = (peak - KNEE) / (1.0 - KNEE);
        // a / ln(1 + a) = ratio, by fixed-point iteration (converges fast).
        let mut a = ratio.max(1.0);
        for _ in 0..40 {
            a = ratio * (1.0 + a).ln();
        }
        RollOff { peak, a }
    }

    fn apply(&self, x: f32) -> f32 {
        if x <= KNEE || self.peak <= 1.0 {
            return x;
        }
        let t = ((x - KNEE) / (self.peak - KNEE)).min(1.0);
        KNEE + (1.0 - KNEE) * (1.0 + self.a * t).ln() / (1.0 + self.a).ln()
    }
}

/// Tone-maps by the brightest channel, so the channels' ratios (the hue)
/// are kept.
fn tone_map(rgb: [f32; 3], curve: &RollOff) -> [f32; 3] {
    let brightest = rgb[0].max(rgb[1]).max(rgb[2]);
    if brightest <= 0.0 {
        return [0.0; 3];
    }
    let mapped = curve.apply(brightest);
    rgb.map(|c| c.max(0.0) * mapped / brightest)
}

fn multiply(m: &[[f32; 3]; 3], v: [f32; 3]) -> [f32; 3] {
    [0, 1, 2].map(|row| m[row][0] * v[0] + m[row][1] * v[1] + m[row][2] * v[2])
}

/// Linear RGB in `primaries` to linear sRGB (both D65).
fn to_srgb_primaries(primaries: u16) -> [[f32; 3]; 3] {
    match primaries {
        // Display P3 (SMPTE EG 432) and DCI-P3's primaries, with D65.
        11 | 12 => [
            [1.224_940_2, -0.224_940_4, 0.0],
            [-0.042_056_955, 1.042_057, 0.0],
            [-0.019_637_555, -0.078_636_05, 1.098_273_6],
        ],
        // BT.2020.
        9 => [
            [1.660_491, -0.587_641_1, -0.072_849_86],
            [-0.124_550_5, 1.132_899_9, -0.008_349_42],
            [-0.018_150_76, -0.100_578_9, 1.118_729_7],
        ],
        _ => [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    }
}

/// SMPTE ST 2084 EOTF: a PQ signal in 0..1 to cd/m².
fn pq_to_nits(signal: f32) -> f32 {
    const M1: f32 = 2610.0 / 16384.0;
    const M2: f32 = 2523.0 / 4096.0 * 128.0;
    const C1: f32 = 3424.0 / 4096.0;
    const C2: f32 = 2413.0 / 4096.0 * 32.0;
    const C3: f32 = 2392.0 / 4096.0 * 32.0;
    let p = signal.clamp(0.0, 1.0).powf(1.0 / M2);
    10_000.0 * ((p - C1).max(0.0) / (C2 - C3 * p)).powf(1.0 / M1)
}

/// ARIB STD-B67 (HLG) inverse OETF and the BT.2100 system gamma for a
/// 1 000 cd/m² display (applied per channel: close enough for previews).
fn hlg_to_nits(signal: f32) -> f32 {
    const A: f32 = 0.178_832_77;
    const B: f32 = 0.284_668_92;
    const C: f32 = 0.559_910_7;
    let e = signal.clamp(0.0, 1.0);
    let scene = if e <= 0.5 {
        e * e / 3.0
    } else {
        (((e - C) / A).exp() + B) / 12.0
    };
    HLG_PEAK * scene.powf(1.2)
}

fn srgb_to_linear(v: f32) -> f32 {
    if v <= 0.040_45 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn linear_to_srgb(v: f32) -> f32 {
    if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRGB: Cicp = Cicp {
        primaries: 1,
        transfer: 13,
    };
    const P3: Cicp = Cicp {
        primaries: 12,
        transfer: 13,
    };
    const PQ_P3: Cicp = Cicp {
        primaries: 12,
        transfer: 16,
    };

    fn one(rgb: [u16; 3], bits: u8, cicp: Cicp) -> [u8; 3] {
        let out = to_srgb8(&rgb, bits, cicp);
        [out[0], out[1], out[2]]
    }

    #[test]
    fn srgb_comes_through_unchanged() {
        assert!(!SRGB.needs_conversion());
        for v in [0u16, 1, 64, 128, 200, 255] {
            assert_eq!(one([v, v, v], 8, SRGB), [v as u8; 3]);
        }
        assert_eq!(one([1023, 512, 0], 10, SRGB), [255, 128, 0]);
    }

    /// P3's pure red is outside sRGB: it clips to sRGB red, and its grey
    /// stays grey (same white).
    #[test]
    fn display_p3_is_converted_to_srgb() {
        assert!(P3.needs_conversion());
        assert_eq!(one([255, 0, 0], 8, P3), [255, 0, 0]);
        let grey = one([128, 128, 128], 8, P3);
        assert!(grey.iter().all(|&c| c.abs_diff(128) <= 1), "{grey:?}");
        // A P3 orange is a redder sRGB orange than its numbers say.
        let orange = one([230, 140, 40], 8, P3);
        assert!(orange[0] > 240 && orange[1] < 140, "{orange:?}");
    }

    /// PQ: black stays black, reference white is bright but not clipped,
    /// highlights far above it stay below white and keep their order.
    #[test]
    fn pq_is_tone_mapped() {
        assert!(PQ_P3.needs_conversion());
        // PQ code values (10 bit) of 0, 203, 1000 and 10 000 cd/m².
        let black = one([0, 0, 0], 10, PQ_P3);
        let reference = one([592, 592, 592], 10, PQ_P3);
        let bright = one([769, 769, 769], 10, PQ_P3);
        let peak = one([1023, 1023, 1023], 10, PQ_P3);
        assert_eq!(black, [0, 0, 0]);
        assert!((200..=235).contains(&reference[0]), "{reference:?}");
        assert!(
            bright[0] > reference[0] && bright[0] < peak[0],
            "{bright:?}"
        );
        assert_eq!(peak, [255, 255, 255]);
        // A straight 10-to-8-bit cut would show reference white at 147.
        assert!(reference[0] > 147 + 40);
    }

    #[test]
    fn hlg_is_tone_mapped() {
        let hlg = Cicp {
            primaries: 9,
            transfer: 18,
        };
        let mid = one([512, 512, 512], 10, hlg);
        let top = one([1023, 1023, 1023], 10, hlg);
        assert!(mid[0] > 60 && mid[0] < top[0], "{mid:?} {top:?}");
        assert_eq!(top, [255, 255, 255]);
    }
}
