//! Walking the folder: photos (by extension), each with its XMP sidecar.
//!
//! The walk streams: one directory's entries at a time are read, sorted and
//! sent down a bounded channel, so memory does not grow with the number of
//! files (only with the largest single directory's). A sidecar is paired with
//! the photo beside it: `IMG_1.xmp` or `IMG_1.CR2.xmp` for `IMG_1.CR2`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::UNIX_EPOCH;

use darkroom_pipeline::SourceFormat;
use futures::SinkExt;
use futures::channel::mpsc;

/// A photo found in the folder.
#[derive(Clone, Debug)]
pub struct Found {
    pub path: PathBuf,
    /// The path below the imported folder, with `/` separators.
    pub relative: String,
    pub size: u64,
    /// Last modification, seconds since the epoch.
    pub modified: u64,
    /// Its XMP sidecar, when one sits beside it.
    pub sidecar: Option<PathBuf>,
    /// A `.MOV` beside a photo of the same name: an iPhone Live Photo's
    /// video, which the server keeps with its still.
    pub live_video: bool,
}

/// What the walk could not use.
#[derive(Debug)]
pub enum Skipped {
    /// Not a photo by its extension (videos, documents…).
    NotAPhoto,
    /// Could not be read (a directory or a file): the reason.
    Unreadable(PathBuf, String),
}

/// Walks `root` on a thread of its own, sending photos (and what it skipped)
/// until done or `stop` turns true.
pub fn spawn(root: PathBuf, stop: Arc<AtomicBool>) -> mpsc::Receiver<Result<Found, Skipped>> {
    let (mut tx, rx) = mpsc::channel(1024);
    std::thread::spawn(move || {
        let mut pending = vec![root.clone()];
        while let Some(dir) = pending.pop() {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let (items, subdirs) = read_directory(&root, &dir);
            // Depth first, in name order: subdirectories are pushed reversed.
            pending.extend(subdirs.into_iter().rev());
            for item in items {
                if futures::executor::block_on(tx.send(item)).is_err() {
                    return; // the import stopped listening
                }
            }
        }
    });
    rx
}

/// One directory: its photos (with sidecars) and what it skipped, sorted by
/// name, and its subdirectories.
fn read_directory(root: &Path, dir: &Path) -> (Vec<Result<Found, Skipped>>, Vec<PathBuf>) {
    let mut items = Vec::new();
    let mut subdirs = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            items.push(Err(Skipped::Unreadable(dir.to_path_buf(), e.to_string())));
            return (items, subdirs);
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                items.push(Err(Skipped::Unreadable(dir.to_path_buf(), e.to_string())));
                continue;
            }
        };
        let path = entry.path();
        // Symbolic links are followed for files, not for directories (a link
        // loop must not make the walk endless).
        match entry.file_type() {
            Ok(t) if t.is_dir() => subdirs.push(path),
            Ok(t) if t.is_symlink() && path.is_dir() => {}
            Ok(_) => files.push(path),
            Err(e) => items.push(Err(Skipped::Unreadable(path, e.to_string()))),
        }
    }
    files.sort();
    subdirs.sort();
    let sidecars: Vec<&PathBuf> = files.iter().filter(|p| is_sidecar(p)).collect();
    // The photos' stems, once per folder, to know a Live Photo's video.
    let photo_stems: HashSet<String> = files
        .iter()
        .filter(|p| is_photo(p))
        .filter_map(|p| lower_stem(p))
        .collect();
    for path in &files {
        if is_sidecar(path) {
            continue;
        }
        let live_video = is_live_video(path, &photo_stems);
        if !is_photo(path) && !live_video {
            items.push(Err(Skipped::NotAPhoto));
            continue;
        }
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) => {
                items.push(Err(Skipped::Unreadable(path.clone(), e.to_string())));
                continue;
            }
        };
        let relative = path
            .strip_prefix(root)
            .unwrap_or(path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        items.push(Ok(Found {
            relative,
            size: meta.len(),
            modified: meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs()),
            sidecar: sidecar_of(path, &sidecars),
            live_video,
            path: path.clone(),
        }));
    }
    (items, subdirs)
}

fn is_sidecar(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xmp"))
}

/// Whether `path` names a photo by its extension.
fn is_photo(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| SourceFormat::from_extension(e).is_some())
}

/// The file name without its extension, in lower case.
fn lower_stem(path: &Path) -> Option<String> {
    path.file_stem().map(|s| s.to_string_lossy().to_lowercase())
}

/// Whether `path` is a `.MOV` with a photo of the same stem beside it (any
/// case; `photo_stems` are the folder's): how an iPhone's Live Photo leaves a
/// phone. Other videos are not photos.
fn is_live_video(path: &Path, photo_stems: &HashSet<String>) -> bool {
    let is_mov = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("mov"));
    is_mov && lower_stem(path).is_some_and(|stem| photo_stems.contains(&stem))
}

/// `IMG_1.CR2.xmp` (darktable and others), else `IMG_1.xmp` (Lightroom).
fn sidecar_of(photo: &Path, sidecars: &[&PathBuf]) -> Option<PathBuf> {
    let name = photo.file_name()?.to_string_lossy().to_lowercase();
    let stem = photo.file_stem()?.to_string_lossy().to_lowercase();
    let named = |wanted: &str| {
        sidecars
            .iter()
            .find(|s| {
                s.file_name()
                    .is_some_and(|n| n.to_string_lossy().to_lowercase() == wanted)
            })
            .map(|s| (*s).clone())
    };
    named(&format!("{name}.xmp")).or_else(|| named(&format!("{stem}.xmp")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_found_with_their_sidecars_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("2024/iceland")).unwrap();
        for name in [
            "b.jpg",
            "a.CR2",
            "a.xmp",
            "notes.txt",
            "2024/iceland/x.dng",
            "2024/iceland/x.dng.xmp",
            "2024/iceland/clip.mov",
        ] {
            std::fs::write(root.join(name), name).unwrap();
        }
        let stop = Arc::new(AtomicBool::new(false));
        let items: Vec<_> =
            futures::executor::block_on_stream(spawn(root.to_path_buf(), stop)).collect();
        let found: Vec<(String, Option<String>)> = items
            .iter()
            .filter_map(|i| i.as_ref().ok())
            .map(|f| {
                let sidecar = f
                    .sidecar
                    .as_ref()
                    .map(|s| s.file_name().unwrap().to_string_lossy().into_owned());
                (f.relative.clone(), sidecar)
            })
            .collect();
        assert_eq!(
            found,
            [
                ("a.CR2".to_string(), Some("a.xmp".to_string())),
                ("b.jpg".to_string(), None),
                (
                    "2024/iceland/x.dng".to_string(),
                    Some("x.dng.xmp".to_string())
                ),
            ]
        );
        let skipped = items
            .iter()
            .filter(|i| matches!(i, Err(Skipped::NotAPhoto)))
            .count();
        assert_eq!(skipped, 2, "the .txt and the .mov");
    }
}
