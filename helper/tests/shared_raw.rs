//! A DNG sent through a share link has its location zeroed in place; it
//! must still develop to the same picture.

use darkroom_pipeline::testing::{camera_from_srgb, located_dng};
use darkroom_pipeline::{Limits, RenditionSpec, ShrinkOnLoad, render, strip_location};

#[test]
fn a_dng_without_its_location_develops_as_before() {
    darkroom_helper::install_decoders();
    let scene = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 90])
    });
    let neutral = [0.5, 1.0, 0.667];
    let original = located_dng(&camera_from_srgb(&scene, neutral), neutral);
    let stripped = strip_location(&original).unwrap();
    assert_ne!(stripped, original);
    let specs: Vec<RenditionSpec> = vec!["p:64".parse().unwrap()];
    let develop = |bytes: &[u8]| {
        render(bytes, &specs, &Limits::default(), ShrinkOnLoad::Fast).unwrap()[0]
            .bytes
            .clone()
    };
    let before = image::load_from_memory(&develop(&original))
        .unwrap()
        .to_rgb8();
    let after = image::load_from_memory(&develop(&stripped))
        .unwrap()
        .to_rgb8();
    assert_eq!(before.dimensions(), (64, 48), "developed from the raw data");
    assert_eq!(before, after);
}
