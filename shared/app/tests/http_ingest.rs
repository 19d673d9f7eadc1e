//! Ingestion over HTTP (SPEC §2), the paths that succeed: every endpoint, both ways of
//! giving the write key, gzip bodies, batch-level context and sentAt, explicit nulls and
//! numeric ids, stored times. Batches' per-call outcomes are in `http_ingest_batches.rs`.

mod support;

use axum::body::Body;
use http::{StatusCode, header};
use pulse_core::Day;
use serde_json::json;
use support::{TestApp, basic, batch, day, gzip, post, track};

#[tokio::test]
async fn a_batch_is_accepted_and_its_events_are_stored_on_their_days() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;

    let reply = test
        .ingest(
            &tenant,
            "/v1/batch",
            &batch(vec![
                track("alice", "Report Created", "2026-12-05T10:00:00Z"),
                track("alice", "Report Created", "2026-12-05T11:00:00Z"),
                track("bob", "Invite Sent", "2026-12-06T09:30:00.123456+02:00"),
                track("carol", "Invite Sent", "2026-12-05T23:30:00-02:00"),
            ]),
        )
        .await;

    reply.assert_accepted();
    let stored = test.stored(&tenant).await;
    assert_eq!(
        stored.days("u:alice", "Report Created"),
        vec![day("2026-12-05")]
    );
    assert_eq!(stored.count("u:alice", "Report Created"), 2);
    assert_eq!(stored.days("u:bob", "Invite Sent"), vec![day("2026-12-06")]);
    assert_eq!(
        stored.days("u:carol", "Invite Sent"),
        vec![day("2026-12-06")],
        "days are UTC days"
    );
}

#[tokio::test]
async fn the_import_endpoint_takes_batches_too() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;

    let reply = test
        .ingest(
            &tenant,
            "/v1/import",
            &batch(vec![track(
                "alice",
                "Report Created",
                "2026-12-05T10:00:00Z",
            )]),
        )
        .await;

    reply.assert_accepted();
    assert_eq!(
        test.stored(&tenant)
            .await
            .count("u:alice", "Report Created"),
        1
    );
}

#[tokio::test]
async fn each_single_call_endpoint_stores_its_kind_of_call() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    let calls = [
        (
            "/v1/track",
            json!({"userId": "alice", "event": "Report Created"}),
        ),
        (
            "/v1/identify",
            json!({"userId": "alice", "traits": {"plan": "pro", "company": {"size": 50}}}),
        ),
        (
            "/v1/group",
            json!({"userId": "alice", "groupId": "acme", "traits": {"name": "Acme"}}),
        ),
        ("/v1/page", json!({"userId": "alice", "name": "Home"})),
        (
            "/v1/screen",
            json!({"anonymousId": "device-1", "name": "Settings"}),
        ),
        (
            "/v1/alias",
            json!({"previousId": "device-1", "userId": "alice"}),
        ),
    ];

    for (path, call) in &calls {
        test.ingest(&tenant, path, call).await.assert_accepted();
    }

    let stored = test.stored(&tenant).await;
    assert_eq!(stored.count("u:alice", "Report Created"), 1, "track");
    assert_eq!(
        stored.count("u:alice", "Viewed Page"),
        1,
        "page counts as Viewed Page"
    );
    assert_eq!(
        stored.count("a:device-1", "Viewed Screen"),
        1,
        "screen counts as Viewed Screen"
    );
    let alice = stored.identity("u:alice");
    assert_eq!(alice.traits["plan"], json!("pro"), "identify stores traits");
    assert_eq!(
        alice.traits["company.size"],
        json!(50),
        "traits are flattened"
    );
    assert_eq!(
        alice.account_ids(),
        vec!["acme".to_string()],
        "group makes a member"
    );
    assert_eq!(
        stored.identity("a:device-1").linked_to.as_deref(),
        Some("u:alice"),
        "alias links"
    );
    assert_eq!(
        stored.account("acme").traits["name"],
        json!("Acme"),
        "group stores account traits"
    );
}

#[tokio::test]
async fn the_write_key_may_come_in_the_body_instead_of_the_header() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    let send_without_header = |path: &'static str, body: serde_json::Value| {
        post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("a request")
    };

    let batch_reply = test
        .send(send_without_header(
            "/v1/batch",
            json!({"writeKey": tenant.write_key, "batch": [track("alice", "A", "2026-12-05T10:00:00Z")]}),
        ))
        .await;
    let single_reply = test
        .send(send_without_header(
            "/v1/track",
            json!({"writeKey": tenant.write_key, "userId": "bob", "event": "A"}),
        ))
        .await;

    batch_reply.assert_accepted();
    single_reply.assert_accepted();
    let stored = test.stored(&tenant).await;
    assert_eq!(stored.count("u:alice", "A"), 1);
    assert_eq!(stored.count("u:bob", "A"), 1);
}

#[tokio::test]
async fn a_gzip_body_is_inflated_before_it_is_read() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    let body = batch(vec![track("alice", "A", "2026-12-05T10:00:00Z"); 3]).to_string();

    let reply = test
        .send(
            post("/v1/batch")
                .header(header::AUTHORIZATION, basic(&tenant.write_key))
                .header(header::CONTENT_ENCODING, "gzip")
                .body(Body::from(gzip(body.as_bytes())))
                .expect("a request"),
        )
        .await;

    reply.assert_accepted();
    assert_eq!(test.stored(&tenant).await.count("u:alice", "A"), 3);
}

#[tokio::test]
async fn a_batchs_context_group_and_sent_at_apply_to_each_call_unless_it_has_its_own() {
    // receivedAt is 01:00. The device clock runs two hours ahead: it stamped the event 03:00
    // and sent the batch at 05:00, so the event happened 2 h before receipt: 23:00 the day
    // before. The second call carries its own sentAt (equal to its timestamp): it happened
    // at receipt. The third names its own group.
    let test = TestApp::start_at("2026-12-07T01:00:00Z").await;
    let tenant = test.tenant("Test").await;
    let body = json!({
        "batch": [
            {"type": "track", "userId": "u1", "event": "A", "timestamp": "2026-12-07T03:00:00Z"},
            {"type": "track", "userId": "u2", "event": "A", "timestamp": "2026-12-07T03:00:00Z",
             "sentAt": "2026-12-07T03:00:00Z"},
            {"type": "track", "userId": "u3", "event": "A", "context": {"groupId": "globex"}},
        ],
        "context": {"groupId": "acme", "library": {"name": "analytics-node"}},
        "sentAt": "2026-12-07T05:00:00Z",
    });

    test.ingest(&tenant, "/v1/batch", &body)
        .await
        .assert_accepted();

    let stored = test.stored(&tenant).await;
    assert_eq!(
        stored.days("u:u1", "A"),
        vec![day("2026-12-06")],
        "corrected for clock skew"
    );
    assert_eq!(
        stored.days("u:u2", "A"),
        vec![day("2026-12-07")],
        "the call's own sentAt wins"
    );
    assert_eq!(
        stored.identity("u:u1").account_ids(),
        vec!["acme".to_string()],
        "the batch's context.groupId"
    );
    assert_eq!(
        stored.identity("u:u2").account_ids(),
        vec!["acme".to_string()]
    );
    assert_eq!(
        stored.identity("u:u3").account_ids(),
        vec!["globex".to_string()],
        "the call's own context wins"
    );
    assert_eq!(stored.accounts.len(), 2);
}

#[tokio::test]
async fn explicit_null_ids_count_as_absent() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;

    let reply = test
        .ingest(
            &tenant,
            "/v1/batch",
            &batch(vec![
                json!({"type": "track", "userId": null, "anonymousId": "device-7", "event": "A", "messageId": null}),
                json!({"type": "page", "userId": "alice", "anonymousId": null, "timestamp": null, "context": null}),
            ]),
        )
        .await;

    reply.assert_accepted();
    let stored = test.stored(&tenant).await;
    assert_eq!(stored.count("a:device-7", "A"), 1);
    assert_eq!(stored.count("u:alice", "Viewed Page"), 1);
    assert_eq!(
        stored.days("u:alice", "Viewed Page"),
        vec![Day::of(test.app.clock.now())]
    );
}

#[tokio::test]
async fn an_empty_batch_is_accepted_and_changes_nothing() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;

    let reply = test.ingest(&tenant, "/v1/batch", &batch(vec![])).await;

    reply.assert_accepted();
    assert!(test.stored(&tenant).await.is_empty());
}

#[tokio::test]
async fn numeric_ids_are_kept_as_text() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;

    let reply = test
        .ingest(
            &tenant,
            "/v1/batch",
            &batch(vec![
                json!({"type": "group", "userId": 42, "groupId": 7, "messageId": 1001}),
            ]),
        )
        .await;

    reply.assert_accepted();
    let stored = test.stored(&tenant).await;
    assert_eq!(stored.identity("u:42").account_ids(), vec!["7".to_string()]);
}

#[tokio::test]
async fn a_time_more_than_a_day_ahead_is_replaced_by_the_time_of_receipt() {
    let test = TestApp::start_at("2026-12-07T18:00:00Z").await;
    let tenant = test.tenant("Test").await;

    let reply = test
        .ingest(
            &tenant,
            "/v1/batch",
            &batch(vec![
                track("ahead", "A", "2026-12-09T18:00:01Z"),
                track("tomorrow", "A", "2026-12-08T17:59:59Z"),
            ]),
        )
        .await;

    reply.assert_accepted();
    let stored = test.stored(&tenant).await;
    assert_eq!(
        stored.days("u:ahead", "A"),
        vec![day("2026-12-07")],
        "over 24 h ahead"
    );
    assert_eq!(
        stored.days("u:tomorrow", "A"),
        vec![day("2026-12-08")],
        "within 24 h is kept"
    );
}

#[tokio::test]
async fn a_wrong_http_method_is_answered_with_a_json_error() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;

    let reply = test
        .send(
            http::Request::builder()
                .method(http::Method::GET)
                .uri("/v1/batch")
                .header(header::AUTHORIZATION, basic(&tenant.write_key))
                .body(Body::empty())
                .expect("a request"),
        )
        .await;

    reply.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}
