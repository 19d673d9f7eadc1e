//! Workspaces are tenants (SPEC §1): two workspaces with the same user, account and
//! profile ids never see or change each other's data, whichever key is used.

mod support;

use axum::body::Body;
use http::{Method, StatusCode, header};
use serde_json::json;
use support::dataset::ONE_EVENT_PROFILE;
use support::{Tenant, TestApp, basic, batch, group, post, usage};

/// Two workspaces, each with profile `simple`, user `alice` in account `acme`, and
/// `alice` doing `E` three times in the first and five times in the second.
async fn two_tenants() -> (TestApp, Tenant, Tenant) {
    let test = TestApp::start().await;
    let first = test.tenant("First").await;
    let second = test.tenant("Second").await;
    for (tenant, count) in [(&first, 3), (&second, 5)] {
        test.put_profile(tenant, "simple", ONE_EVENT_PROFILE).await;
        let mut calls = vec![group(
            "alice",
            "acme",
            json!({"name": "Acme"}),
            "2026-12-01T09:00:00Z",
        )];
        calls.extend(usage("alice", "E", count, "2026-12-06T10:00:00Z"));
        test.ingest(tenant, "/v1/batch", &batch(calls))
            .await
            .assert_accepted();
    }
    (test, first, second)
}

#[tokio::test]
async fn each_admin_key_reads_only_its_own_workspace() {
    let (test, first, second) = two_tenants().await;
    test.put_profile(&first, "only-first", ONE_EVENT_PROFILE)
        .await;
    test.recompute(&first, Some(json!({"profile": "simple"})))
        .await;
    test.recompute(&second, Some(json!({"profile": "simple"})))
        .await;

    let first_alice = test.get_ok(&first, "/v1/users/alice?profile=simple").await;
    let second_alice = test.get_ok(&second, "/v1/users/alice").await;
    let second_acme = test.get_ok(&second, "/v1/accounts/acme").await;
    let second_profiles = test.get_ok(&second, "/v1/profiles").await;
    let second_reads_first_profile = test.get(&second, "/v1/profiles/only-first").await;

    assert_eq!(first_alice["raw_score"], json!(3));
    assert_eq!(second_alice["raw_score"], json!(5));
    assert_eq!(second_acme["breakdown"][0]["count"], json!(5));
    assert_eq!(support::ids(&second_profiles), ["simple"]);
    let message = second_reads_first_profile.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(
        message.ends_with("known profiles: simple"),
        "names only its own: {message}"
    );
}

#[tokio::test]
async fn a_write_key_writes_only_into_its_own_workspace() {
    let (test, first, second) = two_tenants().await;
    let second_before = test.stored(&second).await;
    let body = json!({"writeKey": second.write_key, "batch": usage("alice", "E", 4, "2026-12-07T10:00:00Z")});

    let reply = test
        .send(
            post("/v1/batch")
                .header(header::AUTHORIZATION, basic(&first.write_key))
                .body(Body::from(body.to_string()))
                .expect("a request"),
        )
        .await;

    reply.assert_accepted();
    assert_eq!(
        test.stored(&first).await.count("u:alice", "E"),
        3 + 4,
        "the header's key decides"
    );
    assert_eq!(test.stored(&second).await, second_before);
}

#[tokio::test]
async fn an_admin_key_changes_only_its_own_workspace() {
    let (test, first, second) = two_tenants().await;
    let second_before = test.stored(&second).await;

    let deleted = test
        .admin(&first, Method::DELETE, "/v1/profiles/simple", None)
        .await;
    test.put_profile(&first, "simple", ONE_EVENT_PROFILE).await;
    let recomputed = test.recompute(&first, None).await;

    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!(
        recomputed.body["results"].as_array().map(Vec::len),
        Some(1),
        "{}",
        recomputed.body
    );
    assert_eq!(test.stored(&second).await, second_before);
    test.get(&second, "/v1/users")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn one_workspaces_admin_key_is_not_anothers_key_of_any_kind() {
    let (test, first, second) = two_tenants().await;
    let second_before = test.stored(&second).await;

    let ingest_with_admin_key = test
        .send(
            post("/v1/track")
                .header(header::AUTHORIZATION, basic(&second.admin_key))
                .body(Body::from(
                    json!({"userId": "alice", "event": "E"}).to_string(),
                ))
                .expect("a request"),
        )
        .await;
    let admin_with_write_key = test
        .admin_with_key(
            &second.write_key,
            Method::DELETE,
            "/v1/profiles/simple",
            None,
        )
        .await;

    ingest_with_admin_key.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    admin_with_write_key.assert_error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(test.stored(&second).await, second_before);
    assert_eq!(test.stored(&first).await.count("u:alice", "E"), 3);
}
