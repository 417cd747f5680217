//! Criterion benches for each rendering stage, so a regression shows where it
//! happens: JPEG decode (full and DCT-scaled), RAW develop (half-size and
//! full), resize, orient, encode, and the whole W1 render.
//! `cargo bench -p darkroom-benches --bench stages`.
//!
//! The RAW develop needs a 24 MP DNG: `DARKROOM_BENCH_DNG=path`, made from a
//! real photo by `python3 ../shared/tools/make-dng.py DIR` (pip: pidng rawpy
//! numpy pillow); without it those benches are skipped, with a message.
//!
//! Inputs: a 24 MP baseline JPEG made here from a textured pattern (so its
//! entropy data is photo-sized, not a trivially compressible gradient), and
//! the corpus' 24 MP progressive camera photo when ../shared/corpus is there.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use darkroom_helper::develop_raw;
use darkroom_pipeline::stages::{decode_jpeg, encode_jpeg, orient, resize};
use darkroom_pipeline::{Limits, Orientation, RenditionSpec, ShrinkOnLoad, render};
use image::{DynamicImage, RgbImage};

/// The bench inputs: a generated 24 MP baseline JPEG (what the W1 set holds)
/// always, and the corpus' progressive 24 MP camera photo when present.
fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let img = RgbImage::from_fn(6000, 4000, |x, y| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let noise = (state & 0x1) as u32;
        image::Rgb([
            ((x / 7 + noise) % 256) as u8,
            ((y / 5 + noise * 2) % 256) as u8,
            (((x + y) / 11 + noise) % 256) as u8,
        ])
    });
    let baseline = encode_jpeg(&DynamicImage::ImageRgb8(img), 92).expect("encode the bench input");
    eprintln!("generated baseline input: {} bytes", baseline.len());
    let mut inputs = vec![("baseline", baseline)];
    let corpus =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/camera/craft-beer.jpg");
    match std::fs::read(&corpus) {
        Ok(bytes) => inputs.push(("progressive", bytes)),
        Err(_) => eprintln!("no shared corpus: benching the generated baseline JPEG only"),
    }
    inputs
}

fn stages(c: &mut Criterion) {
    let inputs = inputs();
    for (label, jpeg) in &inputs {
        let mut group = c.benchmark_group(format!("decode_24mp_{label}"));
        for (scale, eighths) in [("full", 8), ("half", 4), ("quarter", 2), ("eighth", 1)] {
            group.bench_function(scale, |b| {
                b.iter(|| decode_jpeg(black_box(jpeg), eighths).unwrap())
            });
        }
        group.finish();
    }
    let jpeg = &inputs[0].1;

    let half = decode_jpeg(jpeg, 4).unwrap();
    let quarter = decode_jpeg(jpeg, 2).unwrap();
    let preview = resize(&quarter, 1440, 960).unwrap();
    let mut group = c.benchmark_group("resize_lanczos3");
    group.bench_function("3000x2000_to_1440", |b| {
        b.iter(|| resize(black_box(&half), 1440, 960).unwrap())
    });
    group.bench_function("1500x1000_to_1440", |b| {
        b.iter(|| resize(black_box(&quarter), 1440, 960).unwrap())
    });
    group.bench_function("1440_to_256", |b| {
        b.iter(|| resize(black_box(&preview), 256, 171).unwrap())
    });
    group.finish();

    c.bench_function("orient_rotate90_1440", |b| {
        b.iter(|| orient(black_box(&preview), Orientation::Rotate90))
    });

    let thumb = resize(&preview, 256, 171).unwrap();
    let mut group = c.benchmark_group("encode_jpeg");
    group.bench_function("1440_q85", |b| {
        b.iter(|| encode_jpeg(black_box(&preview), 85).unwrap())
    });
    group.bench_function("256_q80", |b| {
        b.iter(|| encode_jpeg(black_box(&thumb), 80).unwrap())
    });
    group.finish();

    match std::env::var_os("DARKROOM_BENCH_DNG").map(std::fs::read) {
        Some(Ok(dng)) => {
            let mut group = c.benchmark_group("develop_raw_dng");
            group.bench_function("half_size_for_1440", |b| {
                b.iter(|| develop_raw(black_box(&dng), 1440).unwrap())
            });
            group.bench_function("full_size", |b| {
                b.iter(|| develop_raw(black_box(&dng), 100_000).unwrap())
            });
            group.finish();
        }
        Some(Err(e)) => eprintln!("DARKROOM_BENCH_DNG: {e}; RAW develop benches skipped"),
        None => eprintln!("DARKROOM_BENCH_DNG not set: RAW develop benches skipped"),
    }

    let specs = RenditionSpec::defaults();
    for (label, jpeg) in &inputs {
        let mut group = c.benchmark_group(format!("render_w1_24mp_{label}"));
        for shrink in [ShrinkOnLoad::Fast, ShrinkOnLoad::Exact] {
            group.bench_function(shrink.to_string(), |b| {
                b.iter(|| render(black_box(jpeg), &specs, &Limits::default(), shrink).unwrap())
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    // Small samples: this is a 2-core shared machine and a full decode of
    // 24 MP takes ~100 ms; medians over 10 samples are steady enough to see
    // a regression of 10 % or more.
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(3));
    targets = stages
}
criterion_main!(benches);
