//! Templates are checked as Meta checks them when sent: the parameters must match the placeholders of
//! the approved template, else 400 with code 132000 and nothing is sent.

use serde_json::{json, Value};
use wa_sim::SimConfig;

#[tokio::test]
async fn a_template_without_its_parameters_is_refused_as_meta_refuses_it() {
    let config = SimConfig::default();
    let sim = wa_sim::start(config.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = reqwest::Client::new();
    // hello_world's approved body is "Hello {{1}}, thanks for your order.".
    let send = |parameters: Value| {
        client
            .post(format!(
                "{}/v25.0/{}/messages",
                sim.url(),
                config.phone_number_id
            ))
            .bearer_auth(&config.token)
            .json(&json!({
                "messaging_product": "whatsapp",
                "to": "447700900123",
                "type": "template",
                "template": {
                    "name": "hello_world",
                    "language": {"code": "en_US"},
                    "components": [{"type": "body", "parameters": parameters}],
                },
            }))
            .send()
    };

    for (parameters, given) in [
        (json!([]), 0),
        (
            json!([{"type": "text", "text": "Ann"}, {"type": "text", "text": "Bob"}]),
            2,
        ),
    ] {
        let refused = send(parameters).await.unwrap();
        assert_eq!(refused.status(), 400);
        let error = refused.json::<Value>().await.unwrap()["error"].clone();
        assert_eq!(error["code"], 132000, "{error}");
        assert_eq!(
            error["message"],
            "(#132000) Number of parameters does not match the expected number of params"
        );
        assert_eq!(
            error["error_data"]["details"],
            format!(
                "body: number of localizable_params ({given}) does not match the expected number of params (1)"
            )
        );
    }
    assert!(sim.state.world().sent.is_empty(), "nothing refused is sent");

    let accepted = send(json!([{"type": "text", "text": "Ann"}]))
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    assert_eq!(sim.state.world().sent.len(), 1);
}
