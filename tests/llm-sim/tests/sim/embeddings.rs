//! `:embedContent`, `:batchEmbedContents` and `/v1/embeddings`.

use super::{read, sim, GEMINI_KEY, OPENAI_KEY};
use llm_sim::{Failure, LlmSim};
use serde_json::{json, Value};

const EMBEDDING: &str = "gemini-embedding-001";

async fn gemini(sim: &LlmSim, model: &str, method: &str, body: &Value) -> (u16, Value) {
    read(
        reqwest::Client::new()
            .post(format!("{}/v1beta/models/{model}:{method}", sim.base_url()))
            .header("x-goog-api-key", GEMINI_KEY)
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn openai(sim: &LlmSim, body: &Value) -> (u16, Value) {
    read(
        reqwest::Client::new()
            .post(format!("{}/v1/embeddings", sim.base_url()))
            .bearer_auth(OPENAI_KEY)
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn floats(values: &Value) -> Vec<f64> {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>() / (norm(a) * norm(b))
}

fn item(text: &str, dimensions: u32) -> Value {
    json!({ "model": format!("models/{EMBEDDING}"), "content": { "parts": [{ "text": text }] },
        "taskType": "RETRIEVAL_QUERY", "outputDimensionality": dimensions })
}

#[tokio::test]
async fn embed_content_gives_a_stable_normalised_vector_of_the_asked_dimension() {
    let sim = sim().await;
    let body = json!({ "content": { "parts": [{ "text": "Shipping to Portugal takes 2-3 days." }] },
        "taskType": "RETRIEVAL_DOCUMENT", "title": "Shipping" });
    let (status, first) = gemini(&sim, EMBEDDING, "embedContent", &body).await;
    assert_eq!(status, 200);
    let full = floats(&first["embedding"]["values"]);
    assert_eq!(full.len(), 3072, "gemini-embedding-001 defaults to 3072");
    assert!((norm(&full) - 1.0).abs() < 1e-3);
    let (_, again) = gemini(&sim, EMBEDDING, "embedContent", &body).await;
    assert_eq!(first, again);

    let mut small = body.clone();
    small["output_dimensionality"] = json!(768);
    let (_, small) = gemini(&sim, EMBEDDING, "embedContent", &small).await;
    let small = floats(&small["embedding"]["values"]);
    assert_eq!(small.len(), 768);
    assert!((norm(&small) - 1.0).abs() < 1e-3);
}

#[tokio::test]
async fn batch_embed_contents_answers_in_order_and_texts_sharing_words_are_closer() {
    let sim = sim().await;
    let body = json!({ "requests": [
        item("How much is shipping to Porto?", 256),
        item("Shipping to Porto costs 5 EUR.", 256),
        item("Returns are accepted within 30 days.", 256),
    ]});
    let (status, answer) = gemini(&sim, EMBEDDING, "batchEmbedContents", &body).await;
    assert_eq!(status, 200);
    let vectors: Vec<Vec<f64>> = answer["embeddings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| floats(&e["values"]))
        .collect();
    assert_eq!(vectors.len(), 3);
    assert!(vectors.iter().all(|v| v.len() == 256));
    assert!(cosine(&vectors[0], &vectors[1]) > cosine(&vectors[0], &vectors[2]));
    // The same text alone gives the same vector as in the batch.
    let (_, one) = gemini(
        &sim,
        EMBEDDING,
        "embedContent",
        &item("Returns are accepted within 30 days.", 256),
    )
    .await;
    assert_eq!(floats(&one["embedding"]["values"]), vectors[2]);
}

#[tokio::test]
async fn more_than_100_batch_requests_is_400() {
    let sim = sim().await;
    let ok =
        json!({ "requests": (0..100).map(|i| item(&format!("chunk {i}"), 8)).collect::<Vec<_>>() });
    assert_eq!(
        gemini(&sim, EMBEDDING, "batchEmbedContents", &ok).await.0,
        200
    );
    let body =
        json!({ "requests": (0..101).map(|i| item(&format!("chunk {i}"), 8)).collect::<Vec<_>>() });
    let (status, answer) = gemini(&sim, EMBEDDING, "batchEmbedContents", &body).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["status"], "INVALID_ARGUMENT");
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("at most 100 requests can be in one batch"));
}

#[tokio::test]
async fn each_batch_request_must_name_the_paths_model() {
    let sim = sim().await;
    let mut other = item("hi", 8);
    other["model"] = json!("models/text-embedding-004");
    let (status, _) = gemini(
        &sim,
        EMBEDDING,
        "batchEmbedContents",
        &json!({ "requests": [other] }),
    )
    .await;
    assert_eq!(status, 400);
    let mut missing = item("hi", 8);
    missing.as_object_mut().unwrap().remove("model");
    let (status, _) = gemini(
        &sim,
        EMBEDDING,
        "batchEmbedContents",
        &json!({ "requests": [missing] }),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_retired_embedding_model_is_404_and_chat_models_do_not_embed() {
    let sim = sim().await;
    let (status, answer) = gemini(&sim, "text-embedding-004", "embedContent", &item("hi", 8)).await;
    assert_eq!(status, 404);
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("models/text-embedding-004 is not found for API version v1beta, or is not supported for embedContent."));
    assert!(answer["error"].get("details").is_none());
    let (status, _) = gemini(
        &sim,
        "gemini-3.5-flash-lite",
        "embedContent",
        &item("hi", 8),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn embedding_calls_fail_with_queued_transport_failures_but_not_content_ones() {
    let sim = sim().await;
    sim.fail_next(
        Failure::RateLimited {
            retry_delay: std::time::Duration::from_secs(2),
        },
        1,
    );
    let (status, answer) = gemini(&sim, EMBEDDING, "embedContent", &item("hi", 8)).await;
    assert_eq!(status, 429);
    assert_eq!(answer["error"]["status"], "RESOURCE_EXHAUSTED");
    sim.fail_next(Failure::PromptBlocked, 1);
    let (status, _) = gemini(&sim, EMBEDDING, "embedContent", &item("hi", 8)).await;
    assert_eq!(
        status, 200,
        "a blocked prompt is for the next generation call"
    );
}

#[tokio::test]
async fn openai_embeddings_are_indexed_with_usage_and_the_asked_dimensions() {
    let sim = sim().await;
    let (status, body) = openai(
        &sim,
        &json!({ "model": "text-embedding-3-small", "input": ["How much is shipping?", "Do you take returns?"] }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["object"], "list");
    assert_eq!(body["model"], "text-embedding-3-small");
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    for (i, item) in data.iter().enumerate() {
        assert_eq!(item["object"], "embedding");
        assert_eq!(item["index"], i);
        let v = floats(&item["embedding"]);
        assert_eq!(v.len(), 1536);
        assert!((norm(&v) - 1.0).abs() < 1e-3);
    }
    assert_eq!(
        body["usage"]["prompt_tokens"],
        body["usage"]["total_tokens"]
    );

    let (_, body) = openai(
        &sim,
        &json!({ "model": "text-embedding-3-small", "input": "How much is shipping?", "dimensions": 512 }),
    )
    .await;
    assert_eq!(floats(&body["data"][0]["embedding"]).len(), 512);
}

#[tokio::test]
async fn openai_base64_embeddings_are_little_endian_floats() {
    use base64::Engine;
    let sim = sim().await;
    let (_, floats_body) = openai(
        &sim,
        &json!({ "model": "text-embedding-3-small", "input": "hi", "dimensions": 4 }),
    )
    .await;
    let (_, b64_body) = openai(
        &sim,
        &json!({ "model": "text-embedding-3-small", "input": "hi", "dimensions": 4, "encoding_format": "base64" }),
    )
    .await;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64_body["data"][0]["embedding"].as_str().unwrap())
        .unwrap();
    let decoded: Vec<f64> = bytes
        .chunks(4)
        .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    assert_eq!(decoded, floats(&floats_body["data"][0]["embedding"]));
}

#[tokio::test]
async fn openai_embedding_errors() {
    let sim = sim().await;
    let (status, body) = openai(
        &sim,
        &json!({ "model": "text-embedding-3-small", "input": "" }),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let (status, body) = openai(
        &sim,
        &json!({ "model": "text-embedding-004", "input": "hi" }),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "model_not_found");
}
