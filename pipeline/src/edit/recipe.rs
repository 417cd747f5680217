//! The edit recipe: what a photographer changed, as data. The original is
//! never touched; a recipe is applied whenever pixels are made from it.
//!
//! Serialised as JSON (schema version 1, documented in `docs/edit-recipe.md`);
//! every field is optional and a missing field means "unchanged", so `{}` is
//! the identity recipe. Unknown fields are refused, so that a client sending a
//! misspelt control hears about it instead of seeing nothing happen.

use serde::{Deserialize, Serialize};

use crate::Orientation;

/// The schema version this build writes and reads.
pub const RECIPE_VERSION: u32 = 1;

/// A non-destructive edit. See the module documentation and
/// [`crate::edit`] for the order the operations run in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EditRecipe {
    /// Schema version; must be [`RECIPE_VERSION`].
    pub version: u32,
    /// Quarter turns clockwise: 0, 90, 180 or 270 degrees, applied after the
    /// EXIF orientation.
    pub rotate: u16,
    /// Mirror left-right (after the rotation).
    pub flip_horizontal: bool,
    /// Mirror top-bottom (after the rotation).
    pub flip_vertical: bool,
    /// Degrees counter-clockwise, −45 to 45; the result is cropped to the
    /// largest rectangle of the same aspect ratio with no empty corners.
    pub straighten: f32,
    /// What to keep of the rotated, straightened frame.
    pub crop: Option<Crop>,
    /// The colour of the light to render as neutral.
    pub white_balance: Option<WhiteBalance>,
    /// Exposure in stops (EV), −5 to 5: +1 doubles linear light.
    pub exposure: f32,
    /// −100 to 100: moves the white point (positive: brighter whites).
    pub whites: f32,
    /// −100 to 100: moves the black point (negative: deeper blacks).
    pub blacks: f32,
    /// −100 to 100: brightens (positive) or darkens the bright tones only.
    pub highlights: f32,
    /// −100 to 100: brightens (positive) or darkens the dark tones only.
    pub shadows: f32,
    /// −100 to 100: an S-curve around middle grey.
    pub contrast: f32,
    /// −100 to 100: −100 removes all colour, 100 doubles it.
    pub saturation: f32,
    /// −100 to 100: like saturation, but mostly on muted colours.
    pub vibrance: f32,
    /// A black-and-white conversion with its channel mix.
    pub monochrome: Option<Monochrome>,
    /// Darkening (negative) or lightening of the corners.
    pub vignette: Option<Vignette>,
    /// Unsharp mask, applied to each output at its own size.
    pub sharpening: Option<Sharpening>,
}

/// A normalised rectangle of the frame: 0..1 from the left and top edges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crop {
    /// Left edge, 0 to 1.
    pub x: f32,
    /// Top edge, 0 to 1.
    pub y: f32,
    /// Width, above 0, with `x + width` at most 1.
    pub width: f32,
    /// Height, above 0, with `y + height` at most 1.
    pub height: f32,
    /// A fixed aspect ratio (`"3:2"`, `"1:1"`, `"16:9"`…): the rectangle is
    /// narrowed about its centre until its pixels have exactly this ratio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect: Option<String>,
}

/// The light to neutralise, as a correlated colour temperature and a tint
/// along the isotherm (positive towards magenta), in Lightroom's units.
///
/// For a camera RAW it is absolute: the camera's data is scaled so that this
/// light comes out neutral, before demosaicing. For a rendered file (JPEG,
/// PNG…), already balanced by the camera, it is relative to 6504 K with no
/// tint (which changes nothing): 3200 K says "this light still looks as warm
/// as tungsten" and cools the picture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhiteBalance {
    /// Kelvin, 2000 to 15000.
    pub temperature: f32,
    /// −150 to 150.
    #[serde(default)]
    pub tint: f32,
}

/// A black-and-white conversion: grey = (red × R + green × G + blue × B) /
/// 100 in linear light. The default mix is luminance (21, 72, 7); (100, 0,
/// 0) acts as a red filter (dark skies), (0, 0, 100) as a blue one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Monochrome {
    /// Percent of the red channel, −200 to 300.
    pub red: f32,
    /// Percent of the green channel, −200 to 300.
    pub green: f32,
    /// Percent of the blue channel, −200 to 300.
    pub blue: f32,
}

impl Default for Monochrome {
    fn default() -> Self {
        Monochrome {
            red: 21.26,
            green: 71.52,
            blue: 7.22,
        }
    }
}

/// Darkening or lightening towards the corners of the (cropped) frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vignette {
    /// −100 to 100: −100 takes the corners 1.5 stops down, 100 up.
    pub amount: f32,
    /// 0 to 100: how far from the centre (in percent of the way to a
    /// corner) the falloff begins.
    #[serde(default = "Vignette::default_midpoint")]
    pub midpoint: f32,
}

impl Vignette {
    fn default_midpoint() -> f32 {
        50.0
    }
}

/// Unsharp mask: the difference from a Gaussian blur of `radius` pixels is
/// added back `amount` percent, at each output's own size (a thumbnail and a
/// full-size export are both sharpened for what they are).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sharpening {
    /// 0 to 300 percent.
    pub amount: f32,
    /// Gaussian sigma in output pixels, 0.3 to 3.
    #[serde(default = "Sharpening::default_radius")]
    pub radius: f32,
}

impl Sharpening {
    fn default_radius() -> f32 {
        1.0
    }
}

impl Default for EditRecipe {
    fn default() -> Self {
        EditRecipe {
            version: RECIPE_VERSION,
            rotate: 0,
            flip_horizontal: false,
            flip_vertical: false,
            straighten: 0.0,
            crop: None,
            white_balance: None,
            exposure: 0.0,
            whites: 0.0,
            blacks: 0.0,
            highlights: 0.0,
            shadows: 0.0,
            contrast: 0.0,
            saturation: 0.0,
            vibrance: 0.0,
            monochrome: None,
            vignette: None,
            sharpening: None,
        }
    }
}

/// Why a recipe was refused: the field (a JSON path such as `crop.width`)
/// and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidRecipe {
    /// The offending field.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl InvalidRecipe {
    fn new(field: &str, reason: impl Into<String>) -> Self {
        InvalidRecipe {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

/// Checks that `value` is a finite number within `low..=high`.
fn within(field: &str, value: f32, low: f32, high: f32) -> Result<(), InvalidRecipe> {
    if !value.is_finite() || value < low || value > high {
        return Err(InvalidRecipe::new(
            field,
            format!("must be between {low} and {high}, not {value}"),
        ));
    }
    Ok(())
}

impl EditRecipe {
    /// Parses and validates a recipe from JSON. A JSON error names the field
    /// serde stopped at where it can.
    pub fn from_json(json: &[u8]) -> Result<Self, InvalidRecipe> {
        let recipe: EditRecipe = serde_json::from_slice(json).map_err(|e| {
            let message = e.to_string();
            // serde says "unknown field `foo`, expected one of …".
            let field = message
                .split('`')
                .nth(1)
                .filter(|_| message.starts_with("unknown field"))
                .unwrap_or("recipe");
            InvalidRecipe::new(field, message.clone())
        })?;
        recipe.validate()?;
        Ok(recipe)
    }

    /// Checks every field's range.
    pub fn validate(&self) -> Result<(), InvalidRecipe> {
        if self.version != RECIPE_VERSION {
            return Err(InvalidRecipe::new(
                "version",
                format!(
                    "this server reads version {RECIPE_VERSION}, not {}",
                    self.version
                ),
            ));
        }
        if !matches!(self.rotate, 0 | 90 | 180 | 270) {
            return Err(InvalidRecipe::new(
                "rotate",
                format!("must be 0, 90, 180 or 270, not {}", self.rotate),
            ));
        }
        within("straighten", self.straighten, -45.0, 45.0)?;
        if let Some(crop) = &self.crop {
            within("crop.x", crop.x, 0.0, 1.0)?;
            within("crop.y", crop.y, 0.0, 1.0)?;
            within("crop.width", crop.width, 0.0, 1.0)?;
            within("crop.height", crop.height, 0.0, 1.0)?;
            // A little slack for clients' float arithmetic.
            if crop.width <= 0.0 || crop.x + crop.width > 1.0 + 1e-4 {
                return Err(InvalidRecipe::new(
                    "crop.width",
                    "must be above 0 and keep x + width within 1",
                ));
            }
            if crop.height <= 0.0 || crop.y + crop.height > 1.0 + 1e-4 {
                return Err(InvalidRecipe::new(
                    "crop.height",
                    "must be above 0 and keep y + height within 1",
                ));
            }
            if let Some(aspect) = &crop.aspect {
                parse_aspect(aspect).ok_or_else(|| {
                    InvalidRecipe::new(
                        "crop.aspect",
                        format!("must be two positive numbers such as \"3:2\", not {aspect:?}"),
                    )
                })?;
            }
        }
        if let Some(wb) = &self.white_balance {
            within("white_balance.temperature", wb.temperature, 2000.0, 15000.0)?;
            within("white_balance.tint", wb.tint, -150.0, 150.0)?;
        }
        within("exposure", self.exposure, -5.0, 5.0)?;
        for (field, value) in [
            ("whites", self.whites),
            ("blacks", self.blacks),
            ("highlights", self.highlights),
            ("shadows", self.shadows),
            ("contrast", self.contrast),
            ("saturation", self.saturation),
            ("vibrance", self.vibrance),
        ] {
            within(field, value, -100.0, 100.0)?;
        }
        if let Some(mix) = &self.monochrome {
            within("monochrome.red", mix.red, -200.0, 300.0)?;
            within("monochrome.green", mix.green, -200.0, 300.0)?;
            within("monochrome.blue", mix.blue, -200.0, 300.0)?;
        }
        if let Some(v) = &self.vignette {
            within("vignette.amount", v.amount, -100.0, 100.0)?;
            within("vignette.midpoint", v.midpoint, 0.0, 100.0)?;
        }
        if let Some(s) = &self.sharpening {
            within("sharpening.amount", s.amount, 0.0, 300.0)?;
            within("sharpening.radius", s.radius, 0.3, 3.0)?;
        }
        Ok(())
    }

    /// The same edit with every control that changes nothing removed (a
    /// 0 % vignette, a full-frame crop, a 6504 K white balance on a rendered
    /// file is kept: it means something for a RAW), and −0 written as 0:
    /// two recipes that look the same give the same [`fingerprint`].
    ///
    /// [`fingerprint`]: EditRecipe::fingerprint
    pub fn normalised(&self) -> EditRecipe {
        let zero = |v: f32| if v == 0.0 { 0.0 } else { v };
        let mut r = self.clone();
        r.straighten = zero(r.straighten);
        for v in [
            &mut r.exposure,
            &mut r.whites,
            &mut r.blacks,
            &mut r.highlights,
            &mut r.shadows,
            &mut r.contrast,
            &mut r.saturation,
            &mut r.vibrance,
        ] {
            *v = zero(*v);
        }
        if r.crop.as_ref().is_some_and(|c| {
            c.x == 0.0 && c.y == 0.0 && c.width >= 1.0 && c.height >= 1.0 && c.aspect.is_none()
        }) {
            r.crop = None;
        }
        if let Some(wb) = &mut r.white_balance {
            wb.tint = zero(wb.tint);
        }
        if r.vignette.as_ref().is_some_and(|v| v.amount == 0.0) {
            r.vignette = None;
        }
        if r.sharpening.as_ref().is_some_and(|s| s.amount == 0.0) {
            r.sharpening = None;
        }
        r
    }

    /// True when applying the recipe changes nothing at all: renditions are
    /// then made exactly as for an unedited photo.
    pub fn is_identity(&self) -> bool {
        self.normalised() == EditRecipe::default()
    }

    /// The recipe as canonical JSON (normalised, fields in a fixed order).
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(&self.normalised()).expect("invariant: recipes serialise")
    }

    /// A short, stable name for what this recipe does: the first 32 hex
    /// digits of the BLAKE3 hash of its canonical JSON, or the empty string
    /// for the identity (an unedited photo's renditions are its own).
    pub fn fingerprint(&self) -> String {
        if self.is_identity() {
            return String::new();
        }
        let hash = blake3::hash(self.canonical_json().as_bytes());
        hash.to_hex()[..32].to_string()
    }
}

impl EditRecipe {
    /// The quarter turns and flips as one turn of the display (applied
    /// after the EXIF orientation: see [`Orientation::then`]).
    pub(crate) fn turn(&self) -> Orientation {
        let mut turn = match self.rotate {
            90 => Orientation::Rotate90,
            180 => Orientation::Rotate180,
            270 => Orientation::Rotate270,
            _ => Orientation::Normal,
        };
        if self.flip_horizontal {
            turn = turn.then(Orientation::FlipHorizontal);
        }
        if self.flip_vertical {
            turn = turn.then(Orientation::FlipVertical);
        }
        turn
    }
}

/// `"3:2"` → 1.5; `None` for anything but two positive finite numbers.
pub(crate) fn parse_aspect(text: &str) -> Option<f64> {
    let (w, h) = text.split_once(':')?;
    let (w, h): (f64, f64) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    (w.is_finite() && h.is_finite() && w > 0.0 && h > 0.0).then(|| w / h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_object_is_the_identity_and_has_no_fingerprint() {
        let recipe = EditRecipe::from_json(b"{}").unwrap();
        assert!(recipe.is_identity());
        assert_eq!(recipe.fingerprint(), "");
        let zeros = EditRecipe::from_json(
            br#"{"exposure": -0.0, "vignette": {"amount": 0}, "crop": {"x":0,"y":0,"width":1,"height":1}}"#,
        )
        .unwrap();
        assert!(zeros.is_identity());
    }

    #[test]
    fn fingerprints_follow_what_the_recipe_does() {
        let a = EditRecipe::from_json(br#"{"exposure": 1, "contrast": 20}"#).unwrap();
        let b =
            EditRecipe::from_json(br#"{"contrast": 20.0, "exposure": 1.0, "blacks": 0}"#).unwrap();
        let c = EditRecipe::from_json(br#"{"exposure": 1, "contrast": 21}"#).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
        assert_eq!(a.fingerprint().len(), 32);
    }

    #[test]
    fn invalid_recipes_name_their_field() {
        let field = |json: &str| EditRecipe::from_json(json.as_bytes()).unwrap_err().field;
        assert_eq!(field(r#"{"exposure": 9}"#), "exposure");
        assert_eq!(field(r#"{"rotate": 45}"#), "rotate");
        assert_eq!(field(r#"{"version": 2}"#), "version");
        assert_eq!(field(r#"{"expsoure": 1}"#), "expsoure");
        assert_eq!(
            field(r#"{"crop": {"x": 0.5, "y": 0, "width": 0.6, "height": 1}}"#),
            "crop.width"
        );
        assert_eq!(
            field(r#"{"crop": {"x": 0, "y": 0, "width": 1, "height": 1, "aspect": "wide"}}"#),
            "crop.aspect"
        );
        assert_eq!(
            field(r#"{"white_balance": {"temperature": 900}}"#),
            "white_balance.temperature"
        );
        assert_eq!(
            field(r#"{"sharpening": {"amount": 50, "radius": 9}}"#),
            "sharpening.radius"
        );
        assert_eq!(field(r#"{"exposure": "bright"}"#), "recipe");
        assert_eq!(parse_aspect("3:2"), Some(1.5));
        assert_eq!(parse_aspect("0:2"), None);
    }
}
