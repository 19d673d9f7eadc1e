//! Ingestion over HTTP (SPEC §2): what happens to each call of a batch — partial
//! acceptance with every rejected call named, and de-duplication by `messageId` (retries,
//! repeats inside a batch, per workspace, for seven days).

mod support;

use http::StatusCode;
use serde_json::json;
use support::{TestApp, batch, track_with_id};

#[tokio::test]
async fn a_batch_with_some_invalid_calls_stores_the_valid_ones_and_lists_the_others() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;

    let reply = test
        .ingest(
            &tenant,
            "/v1/batch",
            &batch(vec![
                track_with_id("m-0", "alice", "A"),
                json!({"type": "track", "messageId": "m-1", "userId": "bob"}),
                json!({"type": "track", "messageId": "m-2", "event": "A"}),
                json!({"type": "group", "messageId": "m-3", "userId": "carol"}),
                json!({"type": "alias", "messageId": "m-4", "userId": "carol"}),
                json!({"type": "jump", "messageId": "m-5", "userId": "carol"}),
                json!("not a call"),
                track_with_id("m-7", "dave", "A"),
            ]),
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["success"], json!(true));
    assert_eq!(reply.body["accepted"], json!(2));
    let rejected = reply.body["rejected"].as_array().expect("rejected calls");
    let summary: Vec<_> = rejected
        .iter()
        .map(|entry| (entry["index"].clone(), entry["messageId"].clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (json!(1), json!("m-1")),
            (json!(2), json!("m-2")),
            (json!(3), json!("m-3")),
            (json!(4), json!("m-4")),
            (json!(5), json!("m-5")),
            (json!(6), json!(null)),
        ]
    );
    for entry in rejected {
        assert!(
            entry["error"]
                .as_str()
                .is_some_and(|error| !error.is_empty()),
            "{entry}"
        );
    }
    assert!(rejected[0]["error"].as_str().unwrap().contains("event"));
    assert!(rejected[1]["error"].as_str().unwrap().contains("userId"));
    let stored = test.stored(&tenant).await;
    assert_eq!(stored.count("u:alice", "A"), 1);
    assert_eq!(stored.count("u:dave", "A"), 1);
    assert_eq!(
        stored.identities.len(),
        2,
        "nothing of the invalid calls: {:?}",
        stored.identities
    );
    assert!(stored.accounts.is_empty());
}

#[tokio::test]
async fn a_rejected_call_does_not_use_up_its_message_id() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    let missing_event = json!({"type": "track", "messageId": "m-1", "userId": "bob"});
    test.ingest(
        &tenant,
        "/v1/batch",
        &batch(vec![track_with_id("m-0", "alice", "A"), missing_event]),
    )
    .await;

    let fixed = test
        .ingest(
            &tenant,
            "/v1/batch",
            &batch(vec![track_with_id("m-1", "bob", "A")]),
        )
        .await;

    fixed.assert_accepted();
    assert_eq!(test.stored(&tenant).await.count("u:bob", "A"), 1);
}

#[tokio::test]
async fn a_retried_batch_is_accepted_and_counted_once() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    let body = batch(vec![
        track_with_id("m-1", "alice", "A"),
        track_with_id("m-2", "alice", "A"),
        json!({"type": "group", "messageId": "m-3", "userId": "alice", "groupId": "acme"}),
    ]);
    test.ingest(&tenant, "/v1/batch", &body)
        .await
        .assert_accepted();
    let after_first = test.stored(&tenant).await;

    let retry = test.ingest(&tenant, "/v1/batch", &body).await;

    retry.assert_accepted();
    assert_eq!(test.stored(&tenant).await, after_first);
    assert_eq!(after_first.count("u:alice", "A"), 2);
}

#[tokio::test]
async fn a_message_id_repeated_inside_one_batch_is_counted_once() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;

    let reply = test
        .ingest(
            &tenant,
            "/v1/batch",
            &batch(vec![
                track_with_id("m-1", "alice", "A"),
                track_with_id("m-1", "alice", "A"),
                track_with_id("m-2", "alice", "A"),
            ]),
        )
        .await;

    reply.assert_accepted();
    assert_eq!(test.stored(&tenant).await.count("u:alice", "A"), 2);
}

#[tokio::test]
async fn a_message_id_is_remembered_per_workspace() {
    let test = TestApp::start().await;
    let first = test.tenant("First").await;
    let second = test.tenant("Second").await;
    let body = batch(vec![track_with_id("m-1", "alice", "A")]);

    test.ingest(&first, "/v1/batch", &body)
        .await
        .assert_accepted();
    test.ingest(&second, "/v1/batch", &body)
        .await
        .assert_accepted();

    assert_eq!(test.stored(&first).await.count("u:alice", "A"), 1);
    assert_eq!(test.stored(&second).await.count("u:alice", "A"), 1);
}

#[tokio::test]
async fn a_message_id_deduplicates_for_seven_days_only() {
    let test = TestApp::start_at("2026-12-01T12:00:00Z").await;
    let tenant = test.tenant("Test").await;
    let body = batch(vec![track_with_id("m-1", "alice", "A")]);
    test.ingest(&tenant, "/v1/batch", &body)
        .await
        .assert_accepted();

    test.set_now("2026-12-08T11:59:59Z");
    let within = test.ingest(&tenant, "/v1/batch", &body).await;
    let count_within = test.stored(&tenant).await.count("u:alice", "A");
    test.set_now("2026-12-08T12:00:01Z");
    let after = test.ingest(&tenant, "/v1/batch", &body).await;

    within.assert_accepted();
    after.assert_accepted();
    assert_eq!(count_within, 1, "a retry within 7 days changes nothing");
    assert_eq!(
        test.stored(&tenant).await.count("u:alice", "A"),
        2,
        "after 7 days it is a new call"
    );
}

#[tokio::test]
async fn a_rejected_call_is_named_by_its_message_id_even_when_it_is_a_number() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;

    let reply = test
        .ingest(
            &tenant,
            "/v1/batch",
            &batch(vec![
                track_with_id("m-0", "alice", "A"),
                json!({"type": "track", "messageId": 42, "userId": "bob"}),
            ]),
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let named = &reply.body["rejected"][0]["messageId"];
    assert!(
        named == &json!("42") || named == &json!(42),
        "the rejection names message 42: {}",
        reply.body
    );
}
