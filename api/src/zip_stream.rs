//! A ZIP archive written as it is sent: each file's header, its bytes as
//! they stream from the store (never held whole), a data descriptor with the
//! CRC-32 and size found on the way, and at the end the central directory.
//!
//! Files are stored, not deflated (photos do not compress). Zip64 records
//! appear only where a size, an offset or the number of files needs them
//! (past 4 GiB, past 65 535 files), so small archives stay readable by the
//! oldest tools. Names are UTF-8 (flag bit 11).

use chrono::{DateTime, Datelike, Timelike};

/// Sizes and offsets from here up are written in Zip64 records.
const ZIP64_AT: u64 = 0xFFFF_FFFF;
/// Entries past this count need a Zip64 end record.
const MAX_PLAIN_ENTRIES: usize = 0xFFFF;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const END: u32 = 0x0605_4b50;
/// Sizes follow in a data descriptor; names are UTF-8.
const FLAGS: u16 = (1 << 3) | (1 << 11);

/// One file written, as the central directory lists it.
struct Written {
    name: String,
    offset: u64,
    crc: u32,
    size: u64,
    /// Its local header carried a Zip64 field (so its descriptor is wide).
    zip64: bool,
    dos_time: u16,
    dos_date: u16,
}

/// The archive's bookkeeping: what was written and where.
pub(crate) struct ZipWriter {
    offset: u64,
    written: Vec<Written>,
    open: Option<Written>,
    /// Zip64 records for every file (tests: small archives in the large form).
    always_zip64: bool,
}

impl ZipWriter {
    pub(crate) fn new() -> Self {
        ZipWriter {
            offset: 0,
            written: Vec::new(),
            open: None,
            always_zip64: false,
        }
    }

    #[cfg(test)]
    fn always_zip64() -> Self {
        ZipWriter {
            always_zip64: true,
            ..ZipWriter::new()
        }
    }

    /// Bytes written so far.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// The local header of the next file. `at_most`: an upper bound of its
    /// size (whether it needs Zip64); `modified`: its time, local to where it
    /// was taken, as ZIP keeps it.
    pub(crate) fn begin(
        &mut self,
        name: &str,
        at_most: u64,
        modified: Option<DateTime<chrono::FixedOffset>>,
    ) -> Vec<u8> {
        assert!(self.open.is_none(), "a file is already open");
        let zip64 = self.always_zip64 || at_most >= ZIP64_AT;
        let (dos_time, dos_date) = dos_time(modified);
        let extra: Vec<u8> = if zip64 {
            let mut e = Vec::with_capacity(20);
            e.extend_from_slice(&1u16.to_le_bytes());
            e.extend_from_slice(&16u16.to_le_bytes());
            e.extend_from_slice(&0u64.to_le_bytes()); // sizes follow in the descriptor
            e.extend_from_slice(&0u64.to_le_bytes());
            e
        } else {
            Vec::new()
        };
        let mut out = Vec::with_capacity(30 + name.len() + extra.len());
        out.extend_from_slice(&LOCAL_HEADER.to_le_bytes());
        out.extend_from_slice(&version_needed(zip64).to_le_bytes());
        out.extend_from_slice(&FLAGS.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // stored
        out.extend_from_slice(&dos_time.to_le_bytes());
        out.extend_from_slice(&dos_date.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // CRC: in the descriptor
        let unknown: u32 = if zip64 { 0xFFFF_FFFF } else { 0 };
        out.extend_from_slice(&unknown.to_le_bytes());
        out.extend_from_slice(&unknown.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&(extra.len() as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&extra);
        self.open = Some(Written {
            name: name.to_string(),
            offset: self.offset,
            crc: 0,
            size: 0,
            zip64,
            dos_time,
            dos_date,
        });
        self.offset += out.len() as u64;
        out
    }

    /// Counts file bytes passed through (the caller sends them as they are).
    pub(crate) fn wrote(&mut self, len: usize) {
        self.offset += len as u64;
    }

    /// The open file's data descriptor, once all its bytes went out.
    pub(crate) fn end(&mut self, crc: u32, size: u64) -> Vec<u8> {
        let mut file = self.open.take().expect("a file is open");
        assert!(
            file.zip64 || size < ZIP64_AT,
            "a file larger than its bound"
        );
        file.crc = crc;
        file.size = size;
        let mut out = Vec::with_capacity(24);
        out.extend_from_slice(&DATA_DESCRIPTOR.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        if file.zip64 {
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
        } else {
            out.extend_from_slice(&(size as u32).to_le_bytes());
            out.extend_from_slice(&(size as u32).to_le_bytes());
        }
        self.offset += out.len() as u64;
        self.written.push(file);
        out
    }

    /// The central directory and end records: the archive's last bytes.
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        assert!(self.open.is_none(), "a file is still open");
        let directory_at = self.offset;
        let written = std::mem::take(&mut self.written);
        let mut out = Vec::new();
        for file in &written {
            let wide_size = self.always_zip64 || file.size >= ZIP64_AT;
            let wide_offset = self.always_zip64 || file.offset >= ZIP64_AT;
            let mut extra = Vec::new();
            if wide_size || wide_offset {
                let mut fields = Vec::new();
                if wide_size {
                    fields.extend_from_slice(&file.size.to_le_bytes());
                    fields.extend_from_slice(&file.size.to_le_bytes());
                }
                if wide_offset {
                    fields.extend_from_slice(&file.offset.to_le_bytes());
                }
                extra.extend_from_slice(&1u16.to_le_bytes());
                extra.extend_from_slice(&(fields.len() as u16).to_le_bytes());
                extra.extend_from_slice(&fields);
            }
            let zip64 = !extra.is_empty() || file.zip64;
            let size32 = if wide_size {
                0xFFFF_FFFF
            } else {
                file.size as u32
            };
            let offset32 = if wide_offset {
                0xFFFF_FFFF
            } else {
                file.offset as u32
            };
            out.extend_from_slice(&CENTRAL_HEADER.to_le_bytes());
            // Made by: Unix (3), spec 4.5; so the permissions below are read.
            out.extend_from_slice(&(0x0300 | version_needed(zip64)).to_le_bytes());
            out.extend_from_slice(&version_needed(zip64).to_le_bytes());
            out.extend_from_slice(&FLAGS.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(&file.dos_time.to_le_bytes());
            out.extend_from_slice(&file.dos_date.to_le_bytes());
            out.extend_from_slice(&file.crc.to_le_bytes());
            out.extend_from_slice(&size32.to_le_bytes());
            out.extend_from_slice(&size32.to_le_bytes());
            out.extend_from_slice(&(file.name.len() as u16).to_le_bytes());
            out.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // comment
            out.extend_from_slice(&0u16.to_le_bytes()); // disk
            out.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
            out.extend_from_slice(&(0o100644u32 << 16).to_le_bytes()); // rw-r--r--
            out.extend_from_slice(&offset32.to_le_bytes());
            out.extend_from_slice(file.name.as_bytes());
            out.extend_from_slice(&extra);
        }
        let directory_len = out.len() as u64;
        let count = written.len();
        let needs_zip64_end = self.always_zip64
            || count > MAX_PLAIN_ENTRIES
            || directory_at >= ZIP64_AT
            || directory_len >= ZIP64_AT;
        if needs_zip64_end {
            let end64_at = directory_at + directory_len;
            out.extend_from_slice(&ZIP64_END.to_le_bytes());
            out.extend_from_slice(&44u64.to_le_bytes()); // the record's size after this field
            out.extend_from_slice(&(0x0300 | 45u16).to_le_bytes());
            out.extend_from_slice(&45u16.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&(count as u64).to_le_bytes());
            out.extend_from_slice(&(count as u64).to_le_bytes());
            out.extend_from_slice(&directory_len.to_le_bytes());
            out.extend_from_slice(&directory_at.to_le_bytes());
            out.extend_from_slice(&ZIP64_LOCATOR.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&end64_at.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
        }
        let clamp16 = |n: usize| if needs_zip64_end { 0xFFFF } else { n as u16 };
        let clamp32 = |n: u64| {
            if needs_zip64_end {
                0xFFFF_FFFF
            } else {
                n as u32
            }
        };
        out.extend_from_slice(&END.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&clamp16(count).to_le_bytes());
        out.extend_from_slice(&clamp16(count).to_le_bytes());
        out.extend_from_slice(&clamp32(directory_len).to_le_bytes());
        out.extend_from_slice(&clamp32(directory_at).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        self.offset += out.len() as u64;
        out
    }
}

/// 4.5 where Zip64 records are used, else 2.0.
fn version_needed(zip64: bool) -> u16 {
    if zip64 { 45 } else { 20 }
}

/// MS-DOS time and date (two-second steps, 1980–2107); 1980-01-01 when
/// unknown or out of range.
fn dos_time(t: Option<DateTime<chrono::FixedOffset>>) -> (u16, u16) {
    let Some(t) = t.filter(|t| (1980..=2107).contains(&t.year())) else {
        return (0, (1 << 5) | 1);
    };
    let time = ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2);
    let date = (((t.year() - 1980) as u16) << 9) | ((t.month() as u16) << 5) | t.day() as u16;
    (time, date)
}

/// File names made unique within one archive, ignoring case (as the file
/// systems archives are unpacked to may): the second `IMG_1.JPG` becomes
/// `IMG_1 (2).JPG`.
#[derive(Default)]
pub(crate) struct UniqueNames(std::collections::HashSet<String>);

impl UniqueNames {
    pub(crate) fn claim(&mut self, name: &str) -> String {
        // No folders, no parent references: one flat level of files.
        let clean: String = name
            .chars()
            .map(|c| {
                if matches!(c, '/' | '\\') || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let clean = match clean.trim_start_matches('.') {
            "" => "photo".to_string(),
            rest => rest.to_string(),
        };
        let (stem, ext) = match clean.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => (stem.to_string(), format!(".{ext}")),
            _ => (clean.clone(), String::new()),
        };
        let mut candidate = clean;
        let mut n = 2;
        while !self.0.insert(candidate.to_lowercase()) {
            candidate = format!("{stem} ({n}){ext}");
            n += 1;
        }
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// An archive of `files` as the HTTP body would carry it.
    fn archive(mut zip: ZipWriter, files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, bytes) in files {
            out.extend(zip.begin(name, bytes.len() as u64, None));
            // In two pieces, as chunks arrive.
            let (a, b) = bytes.split_at(bytes.len() / 2);
            for piece in [a, b] {
                out.extend_from_slice(piece);
                zip.wrote(piece.len());
            }
            let crc = crc32fast::hash(bytes);
            out.extend(zip.end(crc, bytes.len() as u64));
            assert_eq!(zip.offset(), out.len() as u64);
        }
        out.extend(zip.finish());
        out
    }

    fn read_back(bytes: Vec<u8>) -> Vec<(String, Vec<u8>)> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
        (0..zip.len())
            .map(|i| {
                let mut file = zip.by_index(i).unwrap();
                let mut data = Vec::new();
                file.read_to_end(&mut data).unwrap();
                (file.name().unwrap().to_string(), data)
            })
            .collect()
    }

    #[test]
    fn another_reader_reads_every_file_back_plain_and_zip64() {
        let files: &[(&str, &[u8])] = &[
            ("IMG_0001.JPG", b"\xff\xd8 some jpeg bytes \xff\xd9"),
            ("Skógafoss.dng", &[7u8; 5000]),
            ("empty.txt", b""),
        ];
        for zip in [ZipWriter::new(), ZipWriter::always_zip64()] {
            let back = read_back(archive(zip, files));
            assert_eq!(back.len(), files.len());
            for ((name, data), (want_name, want)) in back.iter().zip(files) {
                assert_eq!(name, want_name);
                assert_eq!(data.as_slice(), *want);
            }
        }
    }

    #[test]
    fn python_and_unzip_agree_when_they_are_there() {
        let files: &[(&str, &[u8])] = &[("a.jpg", b"abc"), ("b (2).jpg", &[1u8; 70_000])];
        for (kind, zip) in [
            ("plain", ZipWriter::new()),
            ("zip64", ZipWriter::always_zip64()),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.zip");
            std::fs::write(&path, archive(zip, files)).unwrap();
            match std::process::Command::new("python3")
                .args(["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.namelist()))"])
                .arg(&path)
                .output()
            {
                Ok(out) => assert_eq!(
                    String::from_utf8_lossy(&out.stdout).trim(),
                    "2",
                    "{kind}: {}",
                    String::from_utf8_lossy(&out.stderr)
                ),
                Err(_) => eprintln!("no python3: its zipfile check did not run"),
            }
        }
    }

    #[test]
    fn names_are_unique_flat_and_case_blind() {
        let mut names = UniqueNames::default();
        assert_eq!(names.claim("IMG_1.JPG"), "IMG_1.JPG");
        assert_eq!(names.claim("img_1.jpg"), "img_1 (2).jpg");
        assert_eq!(names.claim("IMG_1.JPG"), "IMG_1 (3).JPG");
        assert_eq!(names.claim("../etc/passwd"), "_etc_passwd");
        assert_eq!(names.claim(""), "photo");
        assert_eq!(names.claim(".hidden"), "hidden");
        assert_eq!(names.claim("noext"), "noext");
        assert_eq!(names.claim("noext"), "noext (2)");
    }

    #[test]
    fn dos_times_keep_the_local_clock() {
        let t = DateTime::parse_from_rfc3339("2021-05-06T07:08:09+02:00").unwrap();
        let (time, date) = dos_time(Some(t));
        assert_eq!(time >> 11, 7);
        assert_eq!((time >> 5) & 63, 8);
        assert_eq!(date >> 9, 41);
        assert_eq!((date >> 5) & 15, 5);
        assert_eq!(date & 31, 6);
        let early = DateTime::parse_from_rfc3339("1970-01-01T00:00:00Z").unwrap();
        assert_eq!(dos_time(Some(early)), (0, 33));
    }

    /// An archive of a file past 4 GiB and one after it, read back by
    /// another implementation without writing 4 GiB anywhere: the big
    /// file's zeros are virtual (a reader over pieces), and their CRC is
    /// combined from a small block's.
    #[test]
    fn files_past_4_gib_and_offsets_past_it_are_zip64() {
        const BIG: u64 = (4 << 30) + 12_345;
        let mut pieces: Vec<Piece> = Vec::new();
        let mut zip = ZipWriter::new();
        pieces.push(Piece::Bytes(zip.begin("big.tif", BIG, None)));
        pieces.push(Piece::Zeros(BIG));
        let block = vec![0u8; 1 << 20];
        let mut crc = crc32fast::Hasher::new();
        let mut block_crc = crc32fast::Hasher::new();
        block_crc.update(&block);
        for _ in 0..(BIG >> 20) {
            crc.combine(&block_crc);
        }
        crc.update(&block[..(BIG % (1 << 20)) as usize]);
        zip.wrote(BIG as usize);
        pieces.push(Piece::Bytes(zip.end(crc.finalize(), BIG)));
        let small = b"after the big one".to_vec();
        pieces.push(Piece::Bytes(zip.begin(
            "small.txt",
            small.len() as u64,
            None,
        )));
        zip.wrote(small.len());
        pieces.push(Piece::Bytes(small.clone()));
        pieces.push(Piece::Bytes(
            zip.end(crc32fast::hash(&small), small.len() as u64),
        ));
        pieces.push(Piece::Bytes(zip.finish()));
        let total: u64 = pieces.iter().map(Piece::len).sum();
        assert_eq!(zip.offset(), total);

        let mut archive = zip::ZipArchive::new(Pieces::new(pieces)).expect("a ZIP");
        assert_eq!(archive.len(), 2);
        assert_eq!(archive.by_index(0).unwrap().size(), BIG);
        let mut after = archive.by_name("small.txt").unwrap();
        assert!(after.header_start() >= 4 << 30, "its offset is past 4 GiB");
        let mut data = Vec::new();
        after.read_to_end(&mut data).unwrap();
        assert_eq!(data, small);
    }

    enum Piece {
        Bytes(Vec<u8>),
        Zeros(u64),
    }

    impl Piece {
        fn len(&self) -> u64 {
            match self {
                Piece::Bytes(b) => b.len() as u64,
                Piece::Zeros(n) => *n,
            }
        }
    }

    /// A file made of pieces, some only zeros that are never stored.
    struct Pieces {
        pieces: Vec<Piece>,
        at: u64,
        len: u64,
    }

    impl Pieces {
        fn new(pieces: Vec<Piece>) -> Self {
            let len = pieces.iter().map(Piece::len).sum();
            Pieces { pieces, at: 0, len }
        }
    }

    impl std::io::Read for Pieces {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let mut start = 0;
            for piece in &self.pieces {
                let end = start + piece.len();
                if self.at < end {
                    let from = self.at - start;
                    let n = (end - self.at).min(buf.len() as u64) as usize;
                    match piece {
                        Piece::Bytes(b) => {
                            buf[..n].copy_from_slice(&b[from as usize..from as usize + n])
                        }
                        Piece::Zeros(_) => buf[..n].fill(0),
                    }
                    self.at += n as u64;
                    return Ok(n);
                }
                start = end;
            }
            Ok(0)
        }
    }

    impl std::io::Seek for Pieces {
        fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
            self.at = match pos {
                std::io::SeekFrom::Start(n) => n,
                std::io::SeekFrom::End(d) => self.len.checked_add_signed(d).unwrap(),
                std::io::SeekFrom::Current(d) => self.at.checked_add_signed(d).unwrap(),
            };
            Ok(self.at)
        }
    }

    #[test]
    fn many_files_get_a_zip64_end_record() {
        let mut zip = ZipWriter::new();
        let mut out = Vec::new();
        for i in 0..(MAX_PLAIN_ENTRIES + 2) {
            out.extend(zip.begin(&format!("{i}"), 0, None));
            out.extend(zip.end(0, 0));
        }
        out.extend(zip.finish());
        let zip = zip::ZipArchive::new(std::io::Cursor::new(out)).expect("a ZIP");
        assert_eq!(zip.len(), MAX_PLAIN_ENTRIES + 2);
    }
}
