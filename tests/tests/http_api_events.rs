//! The API Gateway HTTP API (payload 2.0) events the tests hand the HTTP functions, and the
//! committed event fixtures in infra/events/: they deserialize with the official event types
//! (`aws_lambda_events`, what `lambda_http` reads), gzip bodies travel base64-encoded, and the
//! fixtures are what the builder makes (regenerate with `PULSE_UPDATE_FIXTURES=1`).

use std::io::Read;

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use base64::Engine;
use pulse_e2e::lambda::{gzip, http_api_event};
use pulse_e2e::repo_root;
use serde_json::{Value, json};

fn segment_batch() -> Value {
    json!({
        "batch": [
            {"type": "identify", "userId": "u-42", "traits": {"plan": "pro"},
             "messageId": "m-1", "timestamp": "2026-12-01T10:00:00Z"},
            {"type": "group", "userId": "u-42", "groupId": "acme", "traits": {"name": "Acme"},
             "messageId": "m-2", "timestamp": "2026-12-01T10:00:01Z"},
            {"type": "track", "userId": "u-42", "event": "Report Created",
             "properties": {"report": {"kind": "funnel"}}, "context": {"groupId": "acme"},
             "messageId": "m-3", "timestamp": "2026-12-01T10:00:02Z"}
        ],
        "sentAt": "2026-12-01T10:00:03Z"
    })
}

/// "Basic base64(write_key:)", as Segment libraries authenticate.
fn basic(write_key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{write_key}:"))
    )
}

fn official(event: &Value) -> ApiGatewayV2httpRequest {
    serde_json::from_value(event.clone())
        .unwrap_or_else(|error| panic!("not an HTTP API v2 event ({error}): {event:#}"))
}

#[test]
fn a_json_batch_is_an_http_api_v2_event_for_the_ingest_route() {
    let body = segment_batch().to_string();
    let authorization = basic("wk_test");
    let event = http_api_event(
        "POST",
        "/v1/batch",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &authorization),
            ("User-Agent", "analytics-node-next/latest"),
        ],
        body.as_bytes(),
    );

    let request = official(&event);
    assert_eq!(request.route_key.as_deref(), Some("POST /v1/batch"));
    assert_eq!(request.raw_path.as_deref(), Some("/v1/batch"));
    assert_eq!(request.request_context.http.method, http::Method::POST);
    assert_eq!(request.headers["authorization"], authorization.as_str());
    assert_eq!(request.headers["content-type"], "application/json");
    assert!(!request.is_base64_encoded);
    assert_eq!(request.body.as_deref(), Some(body.as_str()));
    assert_eq!(request.request_context.stage.as_deref(), Some("$default"));
}

#[test]
fn a_gzip_body_is_base64_encoded() {
    let body = segment_batch().to_string();
    let event = http_api_event(
        "POST",
        "/v1/batch",
        &[
            ("content-type", "application/json"),
            ("content-encoding", "gzip"),
        ],
        &gzip(body.as_bytes()),
    );

    let request = official(&event);
    assert!(request.is_base64_encoded);
    let compressed = base64::engine::general_purpose::STANDARD
        .decode(request.body.unwrap())
        .unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(compressed.as_slice())
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, body);
}

#[test]
fn an_admin_read_goes_to_the_proxy_route_with_its_query_and_cookies() {
    let event = http_api_event(
        "get",
        "/v1/accounts/acme?profile=cs&sort=-score",
        &[
            ("Authorization", "Bearer ak_test"),
            ("Accept", "application/json"),
            ("accept", "text/plain"),
            ("Cookie", "a=1; b=2"),
        ],
        b"",
    );

    let request = official(&event);
    assert_eq!(request.route_key.as_deref(), Some("ANY /v1/{proxy+}"));
    assert_eq!(request.path_parameters["proxy"], "accounts/acme");
    assert_eq!(
        request.raw_query_string.as_deref(),
        Some("profile=cs&sort=-score")
    );
    assert_eq!(
        request.query_string_parameters.first("sort"),
        Some("-score")
    );
    assert_eq!(request.headers["accept"], "application/json,text/plain");
    assert_eq!(
        request.cookies,
        Some(vec!["a=1".to_string(), "b=2".to_string()])
    );
    assert_eq!(request.body, None);
}

/// The fixtures and how to make them; volatile fields (request id, time) are left out of
/// the comparison.
fn http_fixtures() -> Vec<(&'static str, Value)> {
    let batch = serde_json::to_string_pretty(&segment_batch()).unwrap();
    let authorization = basic("wk_0123456789abcdef0123456789abcdef");
    vec![
        (
            "http-api-batch.json",
            http_api_event(
                "POST",
                "/v1/batch",
                &[
                    ("content-type", "application/json"),
                    ("authorization", &authorization),
                    ("user-agent", "analytics-node-next/latest"),
                ],
                batch.as_bytes(),
            ),
        ),
        (
            "http-api-batch-gzip.json",
            http_api_event(
                "POST",
                "/v1/batch",
                &[
                    ("content-type", "application/json"),
                    ("content-encoding", "gzip"),
                    ("authorization", &authorization),
                    ("user-agent", "analytics-python/2.3.3"),
                ],
                &gzip(batch.as_bytes()),
            ),
        ),
        (
            "http-api-get-account.json",
            http_api_event(
                "GET",
                "/v1/accounts/acme?profile=cs",
                &[
                    (
                        "authorization",
                        "Bearer ak_0123456789abcdef0123456789abcdef",
                    ),
                    ("accept", "application/json"),
                ],
                b"",
            ),
        ),
    ]
}

fn without_volatile_fields(mut event: Value) -> Value {
    let context = &mut event["requestContext"];
    for field in ["requestId", "time", "timeEpoch"] {
        context.as_object_mut().unwrap().remove(field);
    }
    // gzip output may differ between flate2 versions: compare the decompressed body.
    if event["isBase64Encoded"] == true {
        let compressed = base64::engine::general_purpose::STANDARD
            .decode(event["body"].as_str().unwrap())
            .unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(compressed.as_slice())
            .read_to_string(&mut text)
            .unwrap();
        event["body"] = Value::String(text);
        event["headers"]
            .as_object_mut()
            .unwrap()
            .remove("content-length");
    }
    event
}

fn fixture(name: &str) -> Value {
    let path = repo_root().join("infra/events").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{name}: {error}"))
}

#[test]
fn the_http_api_fixtures_are_what_the_builder_makes() {
    for (name, built) in http_fixtures() {
        let path = repo_root().join("infra/events").join(name);
        if std::env::var_os("PULSE_UPDATE_FIXTURES").is_some() {
            std::fs::write(&path, serde_json::to_string_pretty(&built).unwrap() + "\n").unwrap();
        }
        let committed = fixture(name);
        official(&committed);
        assert_eq!(
            without_volatile_fields(committed),
            without_volatile_fields(built),
            "{name} differs from what http_api_event builds: rerun with PULSE_UPDATE_FIXTURES=1"
        );
    }
}

#[test]
fn the_eventbridge_fixtures_are_rule_envelopes_around_pulse_events() {
    for name in [
        "eventbridge-scores-recomputed.json",
        "eventbridge-alert-raised.json",
    ] {
        let event: EventBridgeEvent<Value> = serde_json::from_value(fixture(name))
            .unwrap_or_else(|error| panic!("{name} is not an EventBridge event: {error}"));
        assert_eq!(event.source, "pulse", "{name}");
        assert_eq!(
            event.detail["type"].as_str(),
            Some(event.detail_type.as_str()),
            "{name}: the detail's type is its detail-type"
        );
    }
}
