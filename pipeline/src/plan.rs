//! A render decided before a pixel is read: where the pixels come from,
//! then the ordered steps. [`plan`] is pure; [`RenderPlan::run`] carries the
//! plan out in this process, handing the one step it cannot do here (a
//! decoder this binary does not contain) to a [`HelperRenderer`], which the
//! workers implement by starting `darkroom-helper`.
//!
//! The choice, in order:
//! 1. An unedited camera RAW whose embedded JPEG (the camera's own
//!    rendering) is large enough for every rendition: that JPEG, decoded in
//!    process in milliseconds (libjpeg and a bounds-checked TIFF walk, nothing
//!    that needs the helper's fences). If it turns out damaged, 2.
//! 2. A RAW, a HEIC or an AVIF:
//!    developed or decoded, and edited, in the helper process. An edit (a
//!    white balance especially) is always made from the raw data, never
//!    from the camera's JPEG.
//! 3. Anything else this build reads: decoded and edited in process.

use std::fmt;

use crate::decode::raw_preview::{EmbeddedPreview, largest_preview};
use crate::edit::{EditRecipe, render_edited};
use crate::render::{Placement, render_embedded_preview};
use crate::spec::RenditionSpec;
use crate::timings::{Stage, timed};
use crate::{Limits, PipelineError, Rendered, ShrinkOnLoad, SourceFormat, guard, sniff};

/// Where a plan's pixels are decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoder {
    /// In the `darkroom-helper` process, which holds the decoders this
    /// binary leaves out (see [`crate::external`]).
    Helper,
    /// In this process.
    InProcess,
}

impl Decoder {
    /// Where `format` is decoded, for a render or an edit.
    pub fn for_format(format: SourceFormat) -> Self {
        if format.decodes_in_helper() {
            Decoder::Helper
        } else {
            Decoder::InProcess
        }
    }
}

/// One step of a render, in the order [`RenderPlan::steps`] lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Decode the JPEG preview a camera RAW embeds, shrunk on load.
    DecodeEmbeddedPreview,
    /// Decode (a RAW: develop) the original, shrunk on load as far as the
    /// outputs allow; an edit decodes into linear light.
    Decode(Decoder),
    /// The recipe's geometry, white balance and tone, at the largest
    /// output's size.
    Edit,
    /// Each rendition, largest first: resize (from the previous, larger one).
    Resize,
    /// Convert from the source's ICC profile to sRGB, once, at the largest size.
    ConvertToSrgb,
    /// Cut a `cover` rendition's box from the middle.
    Crop,
    /// The recipe's output sharpening, at the rendition's size.
    Sharpen,
    /// Reduce 16-bit or float pixels to the 8 bits the encoders take.
    ToEightBits,
    /// Turn upright by the EXIF orientation (unedited renders; an edit
    /// turns the picture in its geometry).
    Orient,
    /// Encode with the metadata the spec keeps.
    Encode,
}

/// What a render will do; see the module documentation. Shown (`{}` and
/// `{:?}` alike) as its steps.
pub struct RenderPlan<'a> {
    format: SourceFormat,
    /// The camera's JPEG, tried before the decoder when it is large enough.
    preview: Option<EmbeddedPreview<'a>>,
    decoder: Decoder,
    /// `None` when the recipe changes nothing: the renditions are then the
    /// unedited photo's, byte for byte.
    edit: Option<&'a EditRecipe>,
}

/// Renders what a plan sends to the helper process.
pub trait HelperRenderer {
    /// Renders `specs` of `original` (sniffed as `format`) as `edit` edits
    /// it (`None`: unedited), decoded with `limits` and `shrink`.
    fn render_in_helper(
        &self,
        format: SourceFormat,
        original: &[u8],
        specs: &[RenditionSpec],
        edit: Option<&EditRecipe>,
        limits: &Limits,
        shrink: ShrinkOnLoad,
    ) -> Result<Vec<Rendered>, PipelineError>;
}

/// Decides how `original` is rendered to `specs` as `recipe` edits it.
/// Refuses what is no image darkroom knows.
pub fn plan<'a>(
    original: &'a [u8],
    recipe: &'a EditRecipe,
    specs: &[RenditionSpec],
) -> Result<RenderPlan<'a>, PipelineError> {
    let format = sniff(original)
        .ok_or_else(|| PipelineError::UnsupportedType("unrecognised file".to_string()))?;
    let edit = Some(recipe).filter(|r| !r.is_identity());
    let preview = if format.is_camera_raw() && edit.is_none() {
        // A hostile TIFF structure must not take the caller down.
        guard(format, || Ok(largest_preview(original)))
            .ok()
            .flatten()
            .filter(|preview| covers_every_spec(preview, specs))
    } else {
        None
    };
    Ok(RenderPlan {
        format,
        preview,
        decoder: Decoder::for_format(format),
        edit,
    })
}

/// True when `preview` gives every spec its size without upscaling.
fn covers_every_spec(preview: &EmbeddedPreview<'_>, specs: &[RenditionSpec]) -> bool {
    specs.iter().all(|spec| {
        Placement::scale(spec, preview.width, preview.height, preview.orientation) <= 1.0
    })
}

impl RenderPlan<'_> {
    /// The original's format.
    pub fn format(&self) -> SourceFormat {
        self.format
    }

    /// True when a RAW's embedded JPEG is tried first.
    pub fn tries_embedded_preview(&self) -> bool {
        self.preview.is_some()
    }

    /// The steps, in order, of the first way the plan tries (a damaged
    /// embedded preview falls back to [`Step::Decode`]). Conditional steps
    /// are listed once; each applies when the picture needs it.
    pub fn steps(&self) -> Vec<Step> {
        let mut steps = Vec::with_capacity(10);
        if self.preview.is_some() {
            steps.push(Step::DecodeEmbeddedPreview);
        } else {
            steps.push(Step::Decode(self.decoder));
        }
        if self.edit.is_some() {
            steps.push(Step::Edit);
        }
        steps.extend([Step::Resize, Step::ConvertToSrgb, Step::Crop]);
        if self.edit.is_some_and(|e| e.sharpening.is_some()) {
            steps.push(Step::Sharpen);
        }
        steps.push(Step::ToEightBits);
        if self.edit.is_none() {
            steps.push(Step::Orient);
        }
        steps.push(Step::Encode);
        steps
    }

    /// Carries the plan out: every spec of `original` (the bytes planned
    /// for), decoded with `limits` and `shrink`. Without a `helper`, what
    /// needs one fails with [`PipelineError::NoDecoder`].
    pub fn run(
        &self,
        original: &[u8],
        specs: &[RenditionSpec],
        limits: &Limits,
        shrink: ShrinkOnLoad,
        helper: Option<&dyn HelperRenderer>,
    ) -> Result<Vec<Rendered>, PipelineError> {
        if let Some(preview) = &self.preview {
            let rendered = guard(self.format, || {
                render_embedded_preview(preview, original, specs, limits, shrink)
            });
            // Only a clean one: the develop does better than a damaged JPEG.
            if let Ok(rendered) = rendered
                && rendered.iter().all(|r| r.decode_warning.is_none())
            {
                return Ok(rendered);
            }
        }
        match self.decoder {
            Decoder::Helper => {
                let helper = helper.ok_or(PipelineError::NoDecoder(self.format))?;
                timed(Stage::Develop, || {
                    helper.render_in_helper(self.format, original, specs, self.edit, limits, shrink)
                })
            }
            Decoder::InProcess => match self.edit {
                Some(recipe) => render_edited(original, specs, recipe, limits, shrink),
                None => crate::render(original, specs, limits, shrink),
            },
        }
    }
}

impl fmt::Display for RenderPlan<'_> {
    /// The plan as one line for logs: `DNG: DecodeEmbeddedPreview → Resize → …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}:", self.format)?;
        for (i, step) in self.steps().iter().enumerate() {
            let arrow = if i == 0 { " " } else { " → " };
            write!(f, "{arrow}{step:?}")?;
        }
        if self.preview.is_some() {
            write!(f, " (else {:?})", Step::Decode(self.decoder))?;
        }
        Ok(())
    }
}

impl fmt::Debug for RenderPlan<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::decode::raw_preview::tests::dng_with_preview;
    use crate::fixtures::jpeg;

    fn specs(list: &[&str]) -> Vec<RenditionSpec> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    /// A helper that answers every render with one empty rendition and counts
    /// how often it was asked.
    #[derive(Default)]
    struct CountingHelper(AtomicUsize);

    impl HelperRenderer for CountingHelper {
        fn render_in_helper(
            &self,
            _: SourceFormat,
            _: &[u8],
            specs: &[RenditionSpec],
            _: Option<&EditRecipe>,
            _: &Limits,
            _: ShrinkOnLoad,
        ) -> Result<Vec<Rendered>, PipelineError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(specs
                .iter()
                .map(|spec| Rendered {
                    spec: spec.clone(),
                    bytes: Vec::new(),
                    width: 1,
                    height: 1,
                    source_width: 1,
                    source_height: 1,
                    decode_warning: None,
                })
                .collect())
        }
    }

    #[test]
    fn rendered_files_decode_in_process_and_edits_add_their_steps() {
        let original = jpeg(300, 200);
        let unedited = EditRecipe::default();
        let plan = plan(&original, &unedited, &RenditionSpec::defaults()).unwrap();
        assert_eq!(plan.format(), SourceFormat::Jpeg);
        assert!(!plan.tries_embedded_preview());
        assert_eq!(
            plan.steps(),
            [
                Step::Decode(Decoder::InProcess),
                Step::Resize,
                Step::ConvertToSrgb,
                Step::Crop,
                Step::ToEightBits,
                Step::Orient,
                Step::Encode
            ]
        );

        let edited =
            EditRecipe::from_json(br#"{"exposure": 1, "sharpening": {"amount": 50}}"#).unwrap();
        let plan = super::plan(&original, &edited, &RenditionSpec::defaults()).unwrap();
        assert_eq!(
            plan.steps(),
            [
                Step::Decode(Decoder::InProcess),
                Step::Edit,
                Step::Resize,
                Step::ConvertToSrgb,
                Step::Crop,
                Step::Sharpen,
                Step::ToEightBits,
                Step::Encode
            ]
        );
        // Carried out in process: no helper asked.
        let helper = CountingHelper::default();
        let out = plan
            .run(
                &original,
                &RenditionSpec::defaults(),
                &Limits::default(),
                ShrinkOnLoad::Fast,
                Some(&helper),
            )
            .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(helper.0.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn an_unedited_raw_uses_its_preview_only_when_it_is_large_enough_and_clean() {
        let raw = dng_with_preview((1200, 800), &jpeg(600, 400), 1);
        let unedited = EditRecipe::default();
        let thumb = specs(&["thumb:256"]);
        let helper = CountingHelper::default();
        let run = |plan: &RenderPlan, specs: &[RenditionSpec]| {
            plan.run(
                &raw,
                specs,
                &Limits::default(),
                ShrinkOnLoad::Fast,
                Some(&helper),
            )
            .unwrap()
        };

        let small = plan(&raw, &unedited, &thumb).unwrap();
        assert!(small.tries_embedded_preview());
        assert_eq!(small.steps()[0], Step::DecodeEmbeddedPreview);
        assert_eq!(
            small.to_string(),
            "Dng: DecodeEmbeddedPreview → Resize → ConvertToSrgb → Crop → ToEightBits → \
             Orient → Encode (else Decode(Helper))"
        );
        let out = run(&small, &thumb);
        assert_eq!((out[0].width, out[0].height), (256, 171));
        assert_eq!(helper.0.load(Ordering::SeqCst), 0, "rendered from the JPEG");

        // Too small for the outputs: developed.
        let large = specs(&["preview:1440"]);
        let developed = plan(&raw, &unedited, &large).unwrap();
        assert!(!developed.tries_embedded_preview());
        assert_eq!(developed.steps()[0], Step::Decode(Decoder::Helper));
        run(&developed, &large);
        assert_eq!(helper.0.load(Ordering::SeqCst), 1);

        // Edited: always from the raw data.
        let edited = EditRecipe::from_json(br#"{"exposure": 1}"#).unwrap();
        let edit = plan(&raw, &edited, &thumb).unwrap();
        assert!(!edit.tries_embedded_preview());
        run(&edit, &thumb);
        assert_eq!(helper.0.load(Ordering::SeqCst), 2);

        // A damaged preview: developed instead.
        let mut broken = jpeg(600, 400);
        let len = broken.len();
        broken[len / 2..].fill(0);
        let raw = dng_with_preview((1200, 800), &broken, 1);
        let damaged = plan(&raw, &unedited, &thumb).unwrap();
        damaged
            .run(
                &raw,
                &thumb,
                &Limits::default(),
                ShrinkOnLoad::Fast,
                Some(&helper),
            )
            .unwrap();
        assert_eq!(helper.0.load(Ordering::SeqCst), 3);
        // Without a helper, the RAW says what it lacks.
        let err = damaged
            .run(&raw, &thumb, &Limits::default(), ShrinkOnLoad::Fast, None)
            .unwrap_err();
        assert!(matches!(err, PipelineError::NoDecoder(SourceFormat::Dng)));
    }

    #[test]
    fn what_is_no_image_is_refused_before_anything_runs() {
        let unedited = EditRecipe::default();
        let err = plan(b"just some text", &unedited, &RenditionSpec::defaults()).unwrap_err();
        assert!(matches!(err, PipelineError::UnsupportedType(_)));
    }

    /// HEIF is decoded in the helper; run without one, it says what it lacks.
    #[test]
    fn heif_goes_to_the_helper_and_without_one_is_reported() {
        let unedited = EditRecipe::default();
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0";
        let planned = plan(heic, &unedited, &RenditionSpec::defaults()).unwrap();
        assert!(
            format!("{planned:?}").contains("Decode(Helper)"),
            "{planned:?}"
        );
        let err = planned
            .run(
                heic,
                &RenditionSpec::defaults(),
                &Limits::default(),
                ShrinkOnLoad::Fast,
                None,
            )
            .unwrap_err();
        assert!(matches!(err, PipelineError::NoDecoder(SourceFormat::Heic)));
    }
}
