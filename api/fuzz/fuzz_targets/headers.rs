//! What anyone can write in a request header, parsed: `Range` (originals),
//! tus `Upload-Metadata` and `Upload-Checksum`, and `X-Forwarded-For`.
//! An answer or a refusal, never a panic; a granted range lies inside the
//! body. The first byte picks the parser, the rest is the header.
#![no_main]

use darkroom_api::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match which % 4 {
        0 => {
            let len = u64::from(which) * 997 + rest.len() as u64;
            fuzzing::range(&text, len);
        }
        1 => fuzzing::upload_metadata(&text),
        2 => {
            let (header, body) = text.split_once('\n').unwrap_or((&text, ""));
            fuzzing::upload_checksum(header, body.as_bytes());
        }
        _ => {
            let (trusted, header) = text.split_once('|').unwrap_or(("10.0.0.0/8, ::1", &text));
            fuzzing::forwarded_for(trusted, header);
        }
    }
});
