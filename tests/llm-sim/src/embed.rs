//! Deterministic embeddings: the same text always gives the same vector, and texts that share words
//! point the same way, so retrieval tests are stable and still mean something.
//!
//! Each word (lower-cased, letters and digits) seeds a pseudo-random direction; the vector is their sum,
//! L2-normalised. A shorter vector is the prefix of the full one, normalised again (as Matryoshka
//! models are truncated).

/// The dimension a model answers with when the request names none.
pub fn default_dimensions(model: &str) -> usize {
    match model {
        "gemini-embedding-001" | "gemini-embedding-2" | "text-embedding-3-large" => 3072,
        "text-embedding-3-small" | "text-embedding-ada-002" => 1536,
        _ => 768,
    }
}

/// The vector of `text`, of `dimensions` components, L2-normalised.
pub fn vector(text: &str, dimensions: usize) -> Vec<f32> {
    let mut sums = vec![0f64; dimensions];
    let lower = text.to_lowercase();
    let mut words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        words.push(lower.as_str());
    }
    for word in words {
        let mut seed = fnv1a(word.as_bytes());
        for x in sums.iter_mut() {
            seed = splitmix64(seed);
            // 53 random bits as a number in [-1, 1).
            *x += (seed >> 11) as f64 / (1u64 << 52) as f64 - 1.0;
        }
    }
    let norm = sums.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm == 0.0 {
        if let Some(first) = sums.first_mut() {
            *first = 1.0;
        }
        return sums.iter().map(|x| *x as f32).collect();
    }
    sums.iter().map(|x| (x / norm) as f32).collect()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn splitmix64(state: u64) -> u64 {
    let mut z = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn vectors_are_stable_normalised_and_closer_when_words_are_shared() {
        let a = vector("How much is shipping to Porto?", 768);
        assert_eq!(a, vector("How much is shipping to Porto?", 768));
        assert_eq!(a.len(), 768);
        assert!((cosine(&a, &a) - 1.0).abs() < 1e-4);
        let near = vector("Shipping to Porto costs 5 EUR", 768);
        let far = vector("We accept returns within 30 days", 768);
        assert!(cosine(&a, &near) > cosine(&a, &far) + 0.2);
        let short = vector("How much is shipping to Porto?", 64);
        assert!((cosine(&short, &short) - 1.0).abs() < 1e-4);
        // The short vector is the long one's prefix, normalised again.
        let prefix_norm = cosine(&a[..64], &a[..64]).sqrt();
        assert!((cosine(&a[..64], &short) - prefix_norm).abs() < 1e-4);
    }
}
