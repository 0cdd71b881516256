//! The BERT encoder of multilingual-e5-small on candle's CPU backend.
//!
//! The word table (250,037 rows) stays 4-bit in the file's bytes and only the rows a batch looks up are
//! dequantised: as f32 it would cost 384 MB. The layers' weights are dequantised once at load (85 MB),
//! which lets candle's f32 matrix products run them.
//!
//! A batch runs as one `[tokens, hidden]` matrix, the texts end to end without padding, so the dense
//! layers see every token of the batch at once; attention runs text by text. Each text's vector is the
//! mean of its tokens' last hidden states.

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{LayerNorm, Linear};

use super::format::{dequantize, File, Header, BLOCK, BLOCK_BYTES};

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

pub(super) struct Encoder {
    header: Header,
    /// The file's bytes, cut after the last byte still read (the word table).
    bytes: Vec<u8>,
    /// Where the 4-bit word table starts in `bytes`; row `i` is `row_bytes` long.
    word_table: usize,
    row_bytes: usize,
    /// Position embeddings `[max_positions, hidden]` with the token type 0 embedding added.
    positions: Vec<f32>,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

fn model_error(e: candle_core::Error) -> String {
    format!("building a tensor failed: {e}")
}

impl Encoder {
    /// Builds the encoder from a parsed file, which it keeps for the word table.
    pub(super) fn new(file: File) -> Result<Self, String> {
        let h = file.header;
        let (hidden, ffn) = (h.hidden, h.ffn);
        let vector = |name: &str, n: usize| -> Result<Tensor, String> {
            Tensor::from_vec(file.f32(name, n)?, n, &Device::Cpu).map_err(model_error)
        };
        let norm = |prefix: &str| -> Result<LayerNorm, String> {
            Ok(LayerNorm::new(
                vector(&format!("{prefix}.w"), hidden)?,
                vector(&format!("{prefix}.b"), hidden)?,
                f64::from(h.eps),
            ))
        };
        let linear = |prefix: &str, out: usize, input: usize| -> Result<Linear, String> {
            let range = file.q4(&format!("{prefix}.w"), out, input)?;
            let mut weights = vec![0f32; out * input];
            dequantize(&file.bytes[range], &mut weights);
            let weights =
                Tensor::from_vec(weights, (out, input), &Device::Cpu).map_err(model_error)?;
            Ok(Linear::new(
                weights,
                Some(vector(&format!("{prefix}.b"), out)?),
            ))
        };
        let layers = (0..h.layers)
            .map(|l| {
                Ok(Layer {
                    query: linear(&format!("l{l}.q"), hidden, hidden)?,
                    key: linear(&format!("l{l}.k"), hidden, hidden)?,
                    value: linear(&format!("l{l}.v"), hidden, hidden)?,
                    attention_out: linear(&format!("l{l}.ao"), hidden, hidden)?,
                    attention_norm: norm(&format!("l{l}.aln"))?,
                    intermediate: linear(&format!("l{l}.fi"), ffn, hidden)?,
                    output: linear(&format!("l{l}.fo"), hidden, ffn)?,
                    output_norm: norm(&format!("l{l}.oln"))?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let embedding_norm = norm("emb.ln")?;
        let mut positions = file.f32("emb.pos", h.max_positions * hidden)?;
        let types = file.f32("emb.type", h.type_vocab * hidden)?;
        for row in positions.chunks_exact_mut(hidden) {
            row.iter_mut().zip(&types).for_each(|(p, t)| *p += t);
        }
        let words = file.q4("emb.word", h.vocab_rows, hidden)?;
        let mut bytes = file.bytes;
        // Nothing after the word table is read again; the vocabulary was copied out.
        bytes.truncate(words.end);
        bytes.shrink_to_fit();
        Ok(Encoder {
            header: h,
            bytes,
            word_table: words.start,
            row_bytes: hidden / BLOCK * BLOCK_BYTES,
            positions,
            embedding_norm,
            layers,
        })
    }

    /// The longest token sequence the model reads.
    pub(super) fn max_positions(&self) -> usize {
        self.header.max_positions
    }

    /// The mean of the last hidden states of each sequence (not normalised). Every id must be below the
    /// vocabulary size and every sequence no longer than [`Encoder::max_positions`], as the tokenizer
    /// guarantees; anything else is an error.
    pub(super) fn forward(&self, sequences: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, String> {
        let hidden = self.header.hidden;
        let total: usize = sequences.iter().map(Vec::len).sum();
        let mut x = vec![0f32; total * hidden];
        let mut rows = x.chunks_exact_mut(hidden);
        for seq in sequences {
            if seq.is_empty() || seq.len() > self.header.max_positions {
                return Err(format!("a sequence of {} tokens", seq.len()));
            }
            for (position, &id) in seq.iter().enumerate() {
                let id = id as usize;
                if id >= self.header.vocab_rows {
                    return Err(format!("token id {id} is outside the vocabulary"));
                }
                let row = rows.next().ok_or("miscounted tokens")?;
                let start = self.word_table + id * self.row_bytes;
                dequantize(&self.bytes[start..start + self.row_bytes], row);
                let extra = &self.positions[position * hidden..(position + 1) * hidden];
                row.iter_mut().zip(extra).for_each(|(v, p)| *v += p);
            }
        }
        self.run(x, sequences)
            .map_err(|e| format!("inference failed: {e}"))
    }

    fn run(&self, x: Vec<f32>, sequences: &[Vec<u32>]) -> candle_core::Result<Vec<Vec<f32>>> {
        let h = &self.header;
        let head_size = h.hidden / h.heads;
        let scale = 1.0 / (head_size as f64).sqrt();
        let total = x.len() / h.hidden;
        let mut x = Tensor::from_vec(x, (total, h.hidden), &Device::Cpu)?;
        x = self.embedding_norm.forward(&x)?;
        for layer in &self.layers {
            let q = layer.query.forward(&x)?;
            let k = layer.key.forward(&x)?;
            let v = layer.value.forward(&x)?;
            let mut contexts = Vec::with_capacity(sequences.len());
            let mut start = 0;
            for seq in sequences {
                let len = seq.len();
                // [len, hidden] → [heads, len, head_size]
                let heads = |t: &Tensor| {
                    t.narrow(0, start, len)?
                        .reshape((len, h.heads, head_size))?
                        .transpose(0, 1)?
                        .contiguous()
                };
                let (q, k, v) = (heads(&q)?, heads(&k)?, heads(&v)?);
                let scores = (q.matmul(&k.t()?)? * scale)?;
                let weights = candle_nn::ops::softmax_last_dim(&scores)?;
                let context = weights
                    .matmul(&v)?
                    .transpose(0, 1)?
                    .reshape((len, h.hidden))?;
                contexts.push(context);
                start += len;
            }
            let context = if contexts.len() == 1 {
                contexts.remove(0)
            } else {
                Tensor::cat(&contexts, 0)?
            };
            let attended = layer.attention_out.forward(&context)?;
            x = layer.attention_norm.forward(&(x + attended)?)?;
            let inner = layer.intermediate.forward(&x)?.gelu_erf()?;
            let out = layer.output.forward(&inner)?;
            x = layer.output_norm.forward(&(x + out)?)?;
        }
        let mut start = 0;
        let mut means = Vec::with_capacity(sequences.len());
        for seq in sequences {
            let mean = x.narrow(0, start, seq.len())?.mean(0)?;
            means.push(mean.to_dtype(DType::F32)?.to_vec1::<f32>()?);
            start += seq.len();
        }
        Ok(means)
    }
}
