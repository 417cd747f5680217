//! White balance: a colour temperature and tint, turned into either channel
//! multipliers for a camera's raw data or a chromatic adaptation of rendered
//! linear sRGB.
//!
//! The light's white point lies on the Planckian locus at the temperature
//! (Krystek's rational approximation in CIE 1960 uv, good to 1e-4 from 1000
//! to 15000 K), moved off it along the locus' normal by tint/3000 in uv — the
//! scale Adobe's DNG SDK uses, positive tint being a greener light (so a
//! positive tint makes the picture more magenta, as in Lightroom).

use super::Matrix3;

/// Linear sRGB (D65) → CIE XYZ.
pub(crate) const SRGB_TO_XYZ: Matrix3 = [
    [0.412_456_4, 0.357_576_1, 0.180_437_5],
    [0.212_672_9, 0.715_152_2, 0.072_175],
    [0.019_333_9, 0.119_192, 0.950_304_1],
];

/// CIE XYZ → linear sRGB (D65).
pub(crate) const XYZ_TO_SRGB: Matrix3 = [
    [3.240_454_2, -1.537_138_5, -0.498_531_4],
    [-0.969_266, 1.876_010_8, 0.041_556],
    [0.055_643_4, -0.204_025_9, 1.057_225_2],
];

/// The Bradford cone response matrix.
const BRADFORD: Matrix3 = [
    [0.8951, 0.2664, -0.1614],
    [-0.7502, 1.7135, 0.0367],
    [0.0389, -0.0685, 1.0296],
];

/// The sRGB white (D65) in CIE 1960 uv, from the matrix itself so that
/// "no correction" is exactly the identity.
fn d65_uv() -> (f64, f64) {
    let [x, y, z] = apply(&widen(&SRGB_TO_XYZ), [1.0; 3]);
    let d = x + 15.0 * y + 3.0 * z;
    (4.0 * x / d, 6.0 * y / d)
}

/// The Planckian locus at `kelvin`, in CIE 1960 uv (Krystek 1985).
fn planckian_uv(kelvin: f64) -> (f64, f64) {
    let t = kelvin;
    let u = (0.860_117_757 + 1.541_182_54e-4 * t + 1.286_412_12e-7 * t * t)
        / (1.0 + 8.424_202_35e-4 * t + 7.081_451_63e-7 * t * t);
    let v = (0.317_398_726 + 4.228_062_45e-5 * t + 4.204_816_91e-8 * t * t)
        / (1.0 - 2.897_418_16e-5 * t + 1.614_560_53e-7 * t * t);
    (u, v)
}

/// The white point of a light of `kelvin` and `tint`, in CIE 1960 uv.
fn light_uv(kelvin: f32, tint: f32) -> (f64, f64) {
    let t = f64::from(kelvin);
    let (u, v) = planckian_uv(t);
    // The locus' direction here; its normal, turned to point up in v
    // (towards green).
    let (u2, v2) = planckian_uv(t + 1.0);
    let (du, dv) = (u2 - u, v2 - v);
    let length = (du * du + dv * dv).sqrt();
    let (nu, nv) = (-dv / length, du / length);
    let (nu, nv) = if nv < 0.0 { (-nu, -nv) } else { (nu, nv) };
    let offset = f64::from(tint) / 3000.0;
    (u + offset * nu, v + offset * nv)
}

/// CIE XYZ (Y = 1) of a chromaticity given in CIE 1960 uv.
fn uv_to_xyz((u, v): (f64, f64)) -> [f64; 3] {
    let d = 2.0 * u - 8.0 * v + 4.0;
    let (x, y) = (3.0 * u / d, 2.0 * v / d);
    [x / y, 1.0, (1.0 - x - y) / y]
}

/// XYZ (Y = 1) of the light of `kelvin` and `tint`.
pub(crate) fn light_xyz(kelvin: f32, tint: f32) -> [f64; 3] {
    uv_to_xyz(light_uv(kelvin, tint))
}

/// For a rendered picture (balanced for D65 by the camera): the light as
/// it still shows in that picture. 6504 K and no tint are D65 exactly, so
/// they change nothing; other settings move by the same uv step from there
/// as the locus does from 6504 K.
fn rendered_light_xyz(kelvin: f32, tint: f32) -> [f64; 3] {
    let (u, v) = light_uv(kelvin, tint);
    let (u0, v0) = light_uv(6504.0, 0.0);
    let (du, dv) = d65_uv();
    uv_to_xyz((u - u0 + du, v - v0 + dv))
}

fn mul(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut out = [[0.0; 3]; 3];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    out
}

fn apply(m: &[[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|i| m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2])
}

fn widen(m: &Matrix3) -> [[f64; 3]; 3] {
    m.map(|row| row.map(f64::from))
}

fn invert(m: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let [[a, b, c], [d, e, f], [g, h, i]] = *m;
    let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
    [
        [
            (e * i - f * h) / det,
            (c * h - b * i) / det,
            (b * f - c * e) / det,
        ],
        [
            (f * g - d * i) / det,
            (a * i - c * g) / det,
            (c * d - a * f) / det,
        ],
        [
            (d * h - e * g) / det,
            (b * g - a * h) / det,
            (a * e - b * d) / det,
        ],
    ]
}

/// The linear-sRGB matrix that renders the light `kelvin`/`tint` (as seen
/// in a picture already balanced for D65) as neutral: a Bradford adaptation
/// from that light's white to D65.
pub(crate) fn rendered_correction(kelvin: f32, tint: f32) -> Matrix3 {
    let source = rendered_light_xyz(kelvin, tint);
    let target = apply(&widen(&SRGB_TO_XYZ), [1.0; 3]);
    let bradford = widen(&BRADFORD);
    let (s, t) = (apply(&bradford, source), apply(&bradford, target));
    let scale = [
        [t[0] / s[0], 0.0, 0.0],
        [0.0, t[1] / s[1], 0.0],
        [0.0, 0.0, t[2] / s[2]],
    ];
    let adapt = mul(&invert(&bradford), &mul(&scale, &bradford));
    let m = mul(&widen(&XYZ_TO_SRGB), &mul(&adapt, &widen(&SRGB_TO_XYZ)));
    m.map(|row| row.map(|v| v as f32))
}

/// Camera channel multipliers that make the light `kelvin`/`tint` neutral in
/// raw data, given the camera's XYZ → camera matrix (D65): the light's
/// white in camera space, inverted, green = 1. `None` for a light the
/// camera would record with a non-positive channel (a broken matrix).
pub(crate) fn camera_multipliers(
    xyz_to_camera: &Matrix3,
    kelvin: f32,
    tint: f32,
) -> Option<[f32; 3]> {
    let neutral = apply(&widen(xyz_to_camera), light_xyz(kelvin, tint));
    if neutral.iter().any(|v| !v.is_finite() || *v <= 0.0) {
        return None;
    }
    Some([0, 1, 2].map(|i| (neutral[1] / neutral[i]) as f32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xy(xyz: [f64; 3]) -> (f64, f64) {
        let sum: f64 = xyz.iter().sum();
        (xyz[0] / sum, xyz[1] / sum)
    }

    #[test]
    fn the_locus_passes_through_known_white_points() {
        // Illuminant A is a 2856 K black body: x 0.4476, y 0.4074.
        let (x, y) = xy(light_xyz(2856.0, 0.0));
        assert!(
            (x - 0.4476).abs() < 0.0005 && (y - 0.4074).abs() < 0.0005,
            "{x} {y}"
        );
        // A positive tint is a greener light: higher y than on the locus.
        let (_, greener) = xy(light_xyz(5000.0, 50.0));
        let (_, plain) = xy(light_xyz(5000.0, 0.0));
        assert!(greener > plain + 0.005, "{greener} {plain}");
    }

    #[test]
    fn d65_changes_a_rendered_picture_not_at_all() {
        let m = rendered_correction(6504.0, 0.0);
        for (i, row) in m.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!((v - expected).abs() < 1e-5, "{m:?}");
            }
        }
    }

    #[test]
    fn a_rendered_grey_card_under_tungsten_comes_out_neutral() {
        // A grey card lit by a 3200 K, tint 10 light, as a D65-balanced
        // picture shows it: that light's white, in linear sRGB.
        let card = apply(&widen(&XYZ_TO_SRGB), rendered_light_xyz(3200.0, 10.0))
            .map(|v| (v * 0.18) as f32);
        assert!(card[0] > card[2] * 1.5, "the card looks orange: {card:?}");
        let m = rendered_correction(3200.0, 10.0);
        let out = [0, 1, 2].map(|i| m[i][0] * card[0] + m[i][1] * card[1] + m[i][2] * card[2]);
        let mean = out.iter().sum::<f32>() / 3.0;
        for v in out {
            assert!((v - mean).abs() < mean * 0.002, "{out:?}");
        }
    }
}
