//! Editing camera RAW files: the white balance is applied to the raw data.
//! These run the RAW develop in this process, as the helper executable does
//! (the pipeline alone has no RAW decoder).

use darkroom_pipeline::edit::{EditRecipe, ExportFormat, WorkingCopy, export, render_edited};
use darkroom_pipeline::testing::{bayer_dng, grey_card_under, srgb_level};
use darkroom_pipeline::{Limits, RenditionSpec, ShrinkOnLoad};
use image::{Rgb, Rgb32FImage};

fn recipe(json: &str) -> EditRecipe {
    EditRecipe::from_json(json.as_bytes()).unwrap()
}

fn specs(list: &[&str]) -> Vec<RenditionSpec> {
    list.iter().map(|s| s.parse().unwrap()).collect()
}

fn edited(original: &[u8], spec: &str, json: &str) -> image::RgbImage {
    let out = render_edited(
        original,
        &specs(&[spec]),
        &recipe(json),
        &Limits::default(),
        ShrinkOnLoad::Fast,
    )
    .unwrap();
    image::load_from_memory(&out[0].bytes).unwrap().to_rgb8()
}

#[test]
fn white_balance_on_a_raw_grey_card_makes_it_neutral() {
    darkroom_helper::install_decoders();
    // A grey card lit by a 3200 K lamp, as a camera with linear-sRGB
    // primaries records it.
    let card = grey_card_under(3200.0, 0.18);
    assert!(card[0] > card[2] * 2.0, "orange under tungsten: {card:?}");
    let camera = Rgb32FImage::from_pixel(64, 48, Rgb(card));
    // The camera guessed daylight: as-shot neutral is white.
    let raw = bayer_dng(&camera, [1.0, 1.0, 1.0], 1);
    let as_shot = edited(&raw, "p:32", r#"{"exposure": 0.001}"#);
    let balanced = edited(&raw, "p:32", r#"{"white_balance": {"temperature": 3200}}"#);
    let p = as_shot.get_pixel(16, 12).0;
    assert!(p[0] > p[2] + 40, "as shot, the card is orange: {p:?}");
    let p = balanced.get_pixel(16, 12).0;
    assert!(
        p[0].abs_diff(p[1]) <= 2 && p[1].abs_diff(p[2]) <= 2,
        "balanced for the lamp, the card is grey: {p:?}"
    );
    // Balanced with green kept as it is: the card's green level.
    let level = srgb_level(card[1]);
    assert!(p[1].abs_diff(level) <= 3, "{p:?} vs {level}");
    // Developed at full size (for an export), the same.
    let full = export(
        &raw,
        &recipe(r#"{"white_balance": {"temperature": 3200}}"#),
        ExportFormat::Jpeg { quality: 95 },
        &Limits::default(),
    )
    .unwrap();
    let full = image::load_from_memory(&full.bytes).unwrap().to_rgb8();
    let p = full.get_pixel(32, 24).0;
    assert!(
        p[0].abs_diff(p[1]) <= 3 && p[1].abs_diff(p[2]) <= 3,
        "full develop: {p:?}"
    );
}

#[test]
fn a_raw_working_copy_keeps_camera_data_so_white_balance_can_change() {
    darkroom_helper::install_decoders();
    let card = grey_card_under(3200.0, 0.18);
    let raw = bayer_dng(&Rgb32FImage::from_pixel(600, 400, Rgb(card)), [1.0; 3], 1);
    // Half the sensor is plenty for a 200 px preview: the copy holds the
    // raw data, not yet balanced.
    let copy = WorkingCopy::decode(
        &raw,
        &EditRecipe::default(),
        Some(&specs(&["p:200"])),
        &Limits::default(),
        ShrinkOnLoad::Fast,
    )
    .unwrap();
    assert!(copy.holds_camera_data());
    let tungsten = recipe(r#"{"white_balance": {"temperature": 3200}}"#);
    let daylight = recipe(r#"{"white_balance": {"temperature": 6500}}"#);
    assert!(copy.covers(&tungsten, &specs(&["p:200"])));
    let centre = |r: &EditRecipe| {
        let out = copy.render(r, &specs(&["p:200"]), None).unwrap();
        image::load_from_memory(&out[0].bytes)
            .unwrap()
            .to_rgb8()
            .get_pixel(100, 66)
            .0
    };
    let p = centre(&tungsten);
    assert!(
        p[0].abs_diff(p[1]) <= 2 && p[1].abs_diff(p[2]) <= 2,
        "{p:?}"
    );
    let p = centre(&daylight);
    assert!(p[0] > p[2] + 40, "{p:?}");
    // Developed at full size instead, the copy is tied to its balance.
    let full = WorkingCopy::decode(
        &raw,
        &tungsten,
        None,
        &Limits::default(),
        ShrinkOnLoad::Fast,
    )
    .unwrap();
    assert!(full.serves(&tungsten) && !full.serves(&daylight));
}
