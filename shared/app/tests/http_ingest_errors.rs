//! Ingestion over HTTP (SPEC §2), the requests that are refused: bodies that are not JSON
//! or not the expected shape, calls that miss what they need, bodies and calls over the
//! limits, bad encodings and bad keys. Each is answered with the JSON error body, and each
//! leaves the store exactly as it was.

mod support;

use axum::body::Body;
use http::{StatusCode, header};
use serde_json::{Value, json};
use support::{StoredState, Tenant, TestApp, basic, batch, gzip, post, streamed, track};

const MAX_BODY_BYTES: usize = 500 * 1024;
const MAX_CALL_BYTES: usize = 32 * 1024;

/// An app whose workspace already holds some data, so that "unchanged" means something.
async fn seeded() -> (TestApp, Tenant, StoredState) {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.ingest(
        &tenant,
        "/v1/batch",
        &batch(vec![
            track("alice", "A", "2026-12-05T10:00:00Z"),
            json!({"type": "group", "userId": "alice", "groupId": "acme"}),
        ]),
    )
    .await
    .assert_accepted();
    let before = test.stored(&tenant).await;
    (test, tenant, before)
}

/// Sends raw bytes to an ingestion endpoint with the write key and optional extra headers.
async fn send_raw(
    test: &TestApp,
    tenant: &Tenant,
    path: &str,
    headers: &[(&str, &str)],
    body: Body,
) -> support::Reply {
    let mut request = post(path).header(header::AUTHORIZATION, basic(&tenant.write_key));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    test.send(request.body(body).expect("a request")).await
}

/// A batch's track call padded with a property so that its JSON text is exactly `size` bytes.
fn call_of_size(size: usize) -> Value {
    padded(
        json!({"type": "track", "userId": "big", "event": "A"}),
        size,
    )
}

/// A call for `/v1/track` (no `type`) of exactly `size` bytes.
fn single_call_of_size(size: usize) -> Value {
    padded(json!({"userId": "big", "event": "A"}), size)
}

fn padded(mut call: Value, size: usize) -> Value {
    call["properties"] = json!({"pad": ""});
    let padding = size - call.to_string().len();
    call["properties"]["pad"] = json!("x".repeat(padding));
    assert_eq!(call.to_string().len(), size);
    call
}

/// A batch body of exactly `size` bytes made of calls under the per-call limit.
fn batch_of_size(size: usize) -> String {
    let envelope = batch(vec![]).to_string().len();
    let per_call = 30_000;
    let mut calls = Vec::new();
    let mut used = envelope;
    while size - used > per_call + 1 {
        calls.push(call_of_size(per_call));
        used += per_call + usize::from(calls.len() > 1);
    }
    let separator = usize::from(!calls.is_empty());
    calls.push(call_of_size(size - used - separator));
    let text = batch(calls).to_string();
    assert_eq!(text.len(), size);
    text
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_as_invalid_json() {
    let (test, tenant, before) = seeded().await;

    for path in ["/v1/batch", "/v1/track"] {
        let reply = send_raw(&test, &tenant, path, &[], Body::from("{\"batch\": [")).await;

        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_json");
    }
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn a_batch_body_of_the_wrong_shape_is_refused_as_invalid_body() {
    let (test, tenant, before) = seeded().await;
    let shapes = [
        json!([]),
        json!({}),
        json!({"batch": {}}),
        json!({"batch": "x"}),
        json!({"batch": [track("alice", "A", "2026-12-05T10:00:00Z")], "context": 5}),
    ];

    for shape in &shapes {
        let reply = test.ingest(&tenant, "/v1/batch", shape).await;

        let message = reply.assert_error(StatusCode::BAD_REQUEST, "invalid_body");
        assert!(!message.is_empty(), "{shape}");
    }
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn a_single_call_that_is_not_an_object_is_refused_as_invalid_body() {
    let (test, tenant, before) = seeded().await;

    for shape in [
        json!([{"userId": "alice", "event": "A"}]),
        json!("track"),
        json!(7),
    ] {
        let reply = test.ingest(&tenant, "/v1/track", &shape).await;

        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_body");
    }
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn a_batch_of_only_invalid_calls_is_refused_with_each_calls_problem() {
    let (test, tenant, before) = seeded().await;

    let reply = test
        .ingest(
            &tenant,
            "/v1/batch",
            &batch(vec![
                json!({"type": "track", "messageId": "m-1", "event": "A"}),
                json!({"type": "track", "messageId": "m-2", "userId": null, "anonymousId": null, "event": "A"}),
                json!({"type": "track", "messageId": "m-3", "userId": "alice", "event": ""}),
                json!({"type": "track", "userId": "alice", "event": "A", "timestamp": "yesterday"}),
                json!({"type": "track", "userId": "x".repeat(256), "event": "A"}),
                json!({"type": "track", "messageId": "m".repeat(101), "userId": "alice", "event": "A"}),
            ]),
        )
        .await;

    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_calls");
    let rejected = reply.body["rejected"].as_array().expect("rejected calls");
    let codes: Vec<_> = rejected.iter().map(|entry| entry["code"].clone()).collect();
    assert_eq!(
        codes,
        vec![
            json!("missing_id"),
            json!("missing_id"),
            json!("missing_event"),
            json!("invalid_timestamp"),
            json!("invalid_id"),
            json!("invalid_message_id"),
        ]
    );
    assert_eq!(rejected[0]["index"], json!(0));
    assert_eq!(rejected[0]["messageId"], json!("m-1"));
    assert!(rejected.iter().all(|entry| {
        entry["error"]
            .as_str()
            .is_some_and(|error| !error.is_empty())
    }));
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn a_single_call_without_ids_is_refused() {
    let (test, tenant, before) = seeded().await;

    let reply = test
        .ingest(
            &tenant,
            "/v1/track",
            &json!({"userId": null, "anonymousId": null, "event": "A"}),
        )
        .await;

    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_calls");
    assert_eq!(reply.body["rejected"][0]["code"], json!("missing_id"));
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn a_single_call_over_32_kb_is_refused_as_too_large() {
    let (test, tenant, before) = seeded().await;
    let call = single_call_of_size(MAX_CALL_BYTES + 1);

    let reply = test.ingest(&tenant, "/v1/track", &call).await;

    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "call_too_large");
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn a_call_over_32_kb_in_a_batch_is_rejected_alone() {
    let (test, tenant, _) = seeded().await;

    let reply = test
        .ingest(
            &tenant,
            "/v1/batch",
            &batch(vec![
                call_of_size(MAX_CALL_BYTES + 1),
                track("bob", "A", "2026-12-05T10:00:00Z"),
            ]),
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["accepted"], json!(1));
    assert_eq!(reply.body["rejected"][0]["index"], json!(0));
    assert_eq!(reply.body["rejected"][0]["code"], json!("call_too_large"));
    let stored = test.stored(&tenant).await;
    assert_eq!(stored.count("u:big", "A"), 0);
    assert_eq!(stored.count("u:bob", "A"), 1);
}

#[tokio::test]
async fn a_call_of_exactly_32_kb_and_a_body_of_exactly_500_kb_are_accepted() {
    let (test, tenant, _) = seeded().await;
    let call = single_call_of_size(MAX_CALL_BYTES).to_string();

    let single = send_raw(&test, &tenant, "/v1/track", &[], Body::from(call)).await;
    let whole = send_raw(
        &test,
        &tenant,
        "/v1/batch",
        &[],
        Body::from(batch_of_size(MAX_BODY_BYTES)),
    )
    .await;

    single.assert_accepted();
    whole.assert_accepted();
}

#[tokio::test]
async fn a_body_over_500_kb_is_refused_with_or_without_content_length() {
    let (test, tenant, before) = seeded().await;
    let body = batch_of_size(MAX_BODY_BYTES + 1);
    let length = body.len().to_string();

    let announced = send_raw(
        &test,
        &tenant,
        "/v1/batch",
        &[("content-length", length.as_str())],
        Body::from(body.clone()),
    )
    .await;
    let unannounced = send_raw(
        &test,
        &tenant,
        "/v1/batch",
        &[],
        streamed(body.into_bytes()),
    )
    .await;

    announced.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    unannounced.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn a_gzip_body_that_inflates_past_500_kb_is_refused() {
    let (test, tenant, before) = seeded().await;
    let compressed = gzip(batch_of_size(MAX_BODY_BYTES + 1).as_bytes());
    assert!(
        compressed.len() < 50_000,
        "the compressed body is small: {}",
        compressed.len()
    );

    let reply = send_raw(
        &test,
        &tenant,
        "/v1/batch",
        &[("content-encoding", "gzip")],
        Body::from(compressed),
    )
    .await;

    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn a_batch_of_more_than_2500_calls_is_refused() {
    let (test, tenant, before) = seeded().await;
    let calls = (0..2_501)
        .map(|index| json!({"type": "track", "messageId": format!("m-{index}"), "userId": "bob", "event": "A"}))
        .collect();

    let reply = test.ingest(&tenant, "/v1/batch", &batch(calls)).await;

    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "too_many_calls");
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn a_batch_of_exactly_2500_calls_is_accepted() {
    let (test, tenant, _) = seeded().await;

    let reply = test
        .ingest(
            &tenant,
            "/v1/batch",
            &batch(support::repeated(2_500, "bob", "A", "2026-12-05T10:00:00Z")),
        )
        .await;

    reply.assert_accepted();
    assert_eq!(test.stored(&tenant).await.count("u:bob", "A"), 2_500);
}

#[tokio::test]
async fn a_corrupt_gzip_body_is_refused() {
    let (test, tenant, before) = seeded().await;
    let mut compressed = gzip(
        batch(vec![track("bob", "A", "2026-12-05T10:00:00Z")])
            .to_string()
            .as_bytes(),
    );
    let middle = compressed.len() / 2;
    compressed.truncate(middle);

    for body in [compressed, b"{\"batch\": []}".to_vec()] {
        let reply = send_raw(
            &test,
            &tenant,
            "/v1/batch",
            &[("content-encoding", "gzip")],
            Body::from(body),
        )
        .await;

        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_body");
    }
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn an_unsupported_content_encoding_is_refused() {
    let (test, tenant, before) = seeded().await;
    let body = batch(vec![track("bob", "A", "2026-12-05T10:00:00Z")]).to_string();

    for encoding in ["br", "deflate", "zstd"] {
        let reply = send_raw(
            &test,
            &tenant,
            "/v1/batch",
            &[("content-encoding", encoding)],
            Body::from(body.clone()),
        )
        .await;

        let message = reply.assert_error(StatusCode::BAD_REQUEST, "unsupported_encoding");
        assert!(message.contains(encoding), "{message}");
    }
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn a_missing_or_unknown_write_key_is_unauthorized() {
    let (test, tenant, before) = seeded().await;
    let body = batch(vec![track("bob", "A", "2026-12-05T10:00:00Z")]).to_string();
    let unknown_key = basic("pk_write_not-a-real-key");
    let requests = [
        ("no key at all", None),
        ("an unknown key", Some(unknown_key.as_str())),
        ("an empty user name", Some("Basic Og==")),
        ("not base64", Some("Basic !!!")),
        ("another scheme", Some("Bearer whatever")),
    ];

    for (what, authorization) in requests {
        let mut request = post("/v1/batch").header(header::CONTENT_TYPE, "application/json");
        if let Some(authorization) = authorization {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        let reply = test
            .send(request.body(Body::from(body.clone())).expect("a request"))
            .await;

        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{what}");
        reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
        assert!(
            reply.headers.contains_key(header::WWW_AUTHENTICATE),
            "{what}"
        );
    }
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn an_unknown_write_key_in_the_body_is_unauthorized() {
    let (test, tenant, before) = seeded().await;
    let body =
        json!({"writeKey": "pk_write_nope", "batch": [track("bob", "A", "2026-12-05T10:00:00Z")]});

    let reply = test
        .send(
            post("/v1/batch")
                .body(Body::from(body.to_string()))
                .expect("a request"),
        )
        .await;

    reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn an_admin_key_is_not_a_write_key() {
    let (test, tenant, before) = seeded().await;
    let body = batch(vec![track("bob", "A", "2026-12-05T10:00:00Z")]).to_string();

    let in_header = test
        .send(
            post("/v1/batch")
                .header(header::AUTHORIZATION, basic(&tenant.admin_key))
                .body(Body::from(body))
                .expect("a request"),
        )
        .await;
    let in_body = test
        .send(
            post("/v1/track")
                .body(Body::from(
                    json!({"writeKey": tenant.admin_key, "userId": "bob", "event": "A"})
                        .to_string(),
                ))
                .expect("a request"),
        )
        .await;

    let message = in_header.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(message.contains("admin key"), "{message}");
    in_body.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(test.stored(&tenant).await, before);
}
