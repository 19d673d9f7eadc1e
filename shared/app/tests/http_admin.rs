//! The admin API (SPEC §7): keys, profiles (YAML and JSON, validation with every problem
//! listed, delete) and `POST /v1/recompute`. Refused requests change nothing.

mod support;

use http::{Method, StatusCode};
use serde_json::json;
use support::dataset::{CS_PROFILE, ONE_EVENT_PROFILE};
use support::{TestApp, batch, day, track};

#[tokio::test]
async fn a_profile_put_as_yaml_is_returned_by_get_and_listed() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;

    let put = test.put_profile(&tenant, "cs", CS_PROFILE).await;

    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let profile = test.get_ok(&tenant, "/v1/profiles/cs").await;
    assert_eq!(profile, put.body);
    assert_eq!(profile["id"], json!("cs"));
    assert_eq!(profile["name"], json!("CS Scoring Profile"));
    assert_eq!(profile["window_days"], json!(7));
    assert_eq!(
        profile["events"],
        json!({"Report Created": 10, "Dashboard Shared": 8, "Invite Sent": 5, "Viewed Page": 1, "Logged In": 0})
    );
    assert_eq!(
        profile["core_features"],
        json!(["Report Created", "Dashboard Shared"])
    );
    assert_eq!(
        profile["activation"],
        json!([
            {"name": "Invited two teammates", "event": "Invite Sent", "min_count": 2},
            {"name": "Connected a data source", "event": "Source Connected", "min_count": 1},
            {"name": "Company size known", "trait": "employees", "op": "exists"},
        ])
    );
    let list = test.get_ok(&tenant, "/v1/profiles").await;
    assert_eq!(list, json!({"items": [profile], "next_cursor": null}));
}

#[tokio::test]
async fn a_profile_put_as_json_is_stored_and_takes_its_id_from_the_path() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    let body =
        json!({"name": "Trials", "window_days": 30, "events": {"Signed Up": 3, "Viewed Page": 1}});

    let put = test.put_profile(&tenant, "trial", &body.to_string()).await;

    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let profile = test.get_ok(&tenant, "/v1/profiles/trial").await;
    assert_eq!(profile["id"], json!("trial"));
    assert_eq!(profile["window_days"], json!(30));
    assert_eq!(profile["events"], json!({"Signed Up": 3, "Viewed Page": 1}));
    assert_eq!(profile["activation"], json!([]));
}

#[tokio::test]
async fn putting_a_profile_again_replaces_it() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.put_profile(&tenant, "simple", ONE_EVENT_PROFILE).await;

    let put = test
        .put_profile(&tenant, "simple", "events: {E: 4, F: 2}")
        .await;

    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let list = test.get_ok(&tenant, "/v1/profiles").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["items"][0]["events"], json!({"E": 4, "F": 2}));
}

#[tokio::test]
async fn an_invalid_profile_is_refused_with_every_problem_listed() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    let before = test.stored(&tenant).await;
    let invalid = "\
id: cs
window_days: 3
colour: blue
events:
  Report Created: 11
core_features: [Nope]
activation:
  - name: Size
    trait: employees
    op: bigger
";

    let reply = test.put_profile(&tenant, "cs", invalid).await;

    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_profile");
    let problems: Vec<&str> = reply.body["problems"]
        .as_array()
        .expect("a list of problems")
        .iter()
        .map(|problem| problem.as_str().expect("text"))
        .collect();
    let expected = [
        "`colour`: unknown key",
        "window_days: must be 1, 7 or 30 (got 3)",
        "events.`Report Created`: weight must be a whole number from 0 to 10 (got 11)",
        "core_features[0]: `Nope` is not one of the profile's events",
        "activation[0].op: must be one of",
    ];
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    for fragment in expected {
        assert!(
            problems.iter().any(|problem| problem.contains(fragment)),
            "{fragment} in {problems:#?}"
        );
    }
    assert_eq!(test.stored(&tenant).await, before);
    assert_eq!(
        test.get_ok(&tenant, "/v1/profiles").await["items"],
        json!([])
    );
}

#[tokio::test]
async fn a_profile_that_is_neither_yaml_nor_json_is_refused() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;

    let reply = test
        .put_profile(&tenant, "cs", "id: [unclosed\nevents: {")
        .await;

    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_profile");
    assert_eq!(reply.body["problems"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        test.get_ok(&tenant, "/v1/profiles").await["items"],
        json!([])
    );
}

#[tokio::test]
async fn a_profile_whose_id_differs_from_the_path_is_refused() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.put_profile(&tenant, "simple", ONE_EVENT_PROFILE).await;
    let before = test.stored(&tenant).await;

    let reply = test.put_profile(&tenant, "other", ONE_EVENT_PROFILE).await;

    let message = reply.assert_error(StatusCode::BAD_REQUEST, "invalid_profile");
    assert!(
        message.contains("`simple`") && message.contains("`other`"),
        "{message}"
    );
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn a_deleted_profile_and_its_scores_are_gone() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.put_profile(&tenant, "simple", ONE_EVENT_PROFILE).await;
    test.ingest(
        &tenant,
        "/v1/batch",
        &batch(vec![track("alice", "E", "2026-12-07T09:00:00Z")]),
    )
    .await
    .assert_accepted();
    test.recompute_as_of(&tenant, "2026-12-07").await;

    let deleted = test
        .admin(&tenant, Method::DELETE, "/v1/profiles/simple", None)
        .await;

    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!(deleted.body, json!({"deleted": true, "id": "simple"}));
    test.get(&tenant, "/v1/profiles/simple")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    test.get(&tenant, "/v1/users?profile=simple")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    test.admin(&tenant, Method::DELETE, "/v1/profiles/simple", None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        test.get_ok(&tenant, "/v1/profiles").await["items"],
        json!([])
    );
}

#[tokio::test]
async fn an_unknown_profile_is_not_found_and_the_known_ones_are_named() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.put_profile(&tenant, "cs", CS_PROFILE).await;
    test.put_profile(&tenant, "simple", ONE_EVENT_PROFILE).await;
    test.recompute_as_of(&tenant, "2026-12-07").await;
    let before = test.stored(&tenant).await;

    let replies = [
        test.get(&tenant, "/v1/profiles/nope").await,
        test.get(&tenant, "/v1/accounts?profile=nope").await,
        test.get(&tenant, "/v1/accounts/acme?profile=nope").await,
        test.get(&tenant, "/v1/users?profile=nope").await,
        test.get(&tenant, "/v1/users/alice?profile=nope").await,
        test.get(&tenant, "/v1/segments?profile=nope").await,
        test.get(&tenant, "/v1/segments/engaged/members?profile=nope")
            .await,
        test.recompute(&tenant, Some(json!({"profile": "nope"})))
            .await,
    ];

    for reply in replies {
        let message = reply.assert_error(StatusCode::NOT_FOUND, "not_found");
        assert!(
            message.contains("`nope`") && message.contains("cs, simple"),
            "{message}"
        );
    }
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn reads_ask_which_profile_when_the_workspace_has_several() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.put_profile(&tenant, "cs", CS_PROFILE).await;
    test.put_profile(&tenant, "simple", ONE_EVENT_PROFILE).await;

    let reply = test.get(&tenant, "/v1/users").await;

    let message = reply.assert_error(StatusCode::BAD_REQUEST, "profile_required");
    assert!(message.contains("cs, simple"), "{message}");
}

#[tokio::test]
async fn reads_before_any_profile_or_any_recompute_say_what_to_do() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;

    let no_profile = test.get(&tenant, "/v1/users").await;
    test.put_profile(&tenant, "simple", ONE_EVENT_PROFILE).await;
    let no_scores = test.get(&tenant, "/v1/accounts").await;

    let message = no_profile.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(message.contains("PUT /v1/profiles"), "{message}");
    let message = no_scores.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(message.contains("recompute"), "{message}");
}

#[tokio::test]
async fn recompute_without_a_body_scores_every_profile_as_of_today() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.put_profile(&tenant, "cs", CS_PROFILE).await;
    test.put_profile(&tenant, "simple", ONE_EVENT_PROFILE).await;
    test.ingest(
        &tenant,
        "/v1/batch",
        &batch(vec![track("alice", "E", "2026-12-07T09:00:00Z")]),
    )
    .await
    .assert_accepted();

    let reply = test.recompute(&tenant, None).await;

    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let results = reply.body["results"]
        .as_array()
        .expect("one result per profile");
    let summary: Vec<_> = results
        .iter()
        .map(|result| {
            (
                result["profile"].clone(),
                result["as_of"].clone(),
                result["users"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (json!("cs"), json!("2026-12-07"), json!(1)),
            (json!("simple"), json!("2026-12-07"), json!(1))
        ]
    );
    assert_eq!(results[1]["active_users"], json!(1));
    assert_eq!(results[1]["p90"], json!(1.0));
    assert_eq!(results[0]["active_users"], json!(0), "E is not a cs event");
    assert_eq!(results[0]["p90"], json!(null));
}

#[tokio::test]
async fn recompute_with_a_profile_and_a_day_scores_only_that() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.put_profile(&tenant, "cs", CS_PROFILE).await;
    test.put_profile(&tenant, "simple", ONE_EVENT_PROFILE).await;
    test.ingest(
        &tenant,
        "/v1/batch",
        &batch(vec![track("alice", "E", "2026-12-03T09:00:00Z")]),
    )
    .await
    .assert_accepted();

    let reply = test
        .recompute(
            &tenant,
            Some(json!({"profile": "simple", "as_of": "2026-12-05"})),
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["results"].as_array().map(Vec::len), Some(1));
    assert_eq!(reply.body["results"][0]["as_of"], json!("2026-12-05"));
    let latest = test.stored(&tenant).await.latest_days;
    assert_eq!(
        latest,
        vec![
            ("cs".to_string(), None),
            ("simple".to_string(), Some(day("2026-12-05")))
        ]
    );
    let user = test.get_ok(&tenant, "/v1/users/alice?profile=simple").await;
    assert_eq!(user["as_of"], json!("2026-12-05"));
}

#[tokio::test]
async fn recompute_with_a_bad_body_or_day_is_refused_and_computes_nothing() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.put_profile(&tenant, "simple", ONE_EVENT_PROFILE).await;
    let before = test.stored(&tenant).await;
    let cases = [
        (json!({"as_of": "2026-13-01"}).to_string(), "invalid_as_of"),
        (json!({"as_of": "yesterday"}).to_string(), "invalid_as_of"),
        (json!({"as_of": "2026-12-09"}).to_string(), "invalid_as_of"),
        (json!({"as_of": 20261201}).to_string(), "invalid_body"),
        (
            json!({"profile": "simple", "day": "2026-12-01"}).to_string(),
            "invalid_body",
        ),
        ("{not json".to_string(), "invalid_body"),
    ];

    for (body, code) in cases {
        let reply = test
            .admin(&tenant, Method::POST, "/v1/recompute", Some(body.clone()))
            .await;

        let message = reply.assert_error(StatusCode::BAD_REQUEST, code);
        assert!(!message.is_empty(), "{body}");
    }
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn the_admin_api_refuses_write_keys_with_403() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    let before = test.stored(&tenant).await;

    let read = test
        .admin_with_key(&tenant.write_key, Method::GET, "/v1/profiles", None)
        .await;
    let write = test
        .admin_with_key(
            &tenant.write_key,
            Method::PUT,
            "/v1/profiles/simple",
            Some(ONE_EVENT_PROFILE.into()),
        )
        .await;
    let recompute = test
        .admin_with_key(&tenant.write_key, Method::POST, "/v1/recompute", None)
        .await;

    for reply in [read, write, recompute] {
        let message = reply.assert_error(StatusCode::FORBIDDEN, "forbidden");
        assert!(message.contains("admin key"), "{message}");
    }
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn the_admin_api_needs_a_known_bearer_key() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    let before = test.stored(&tenant).await;
    let basic_admin = support::basic(&tenant.admin_key);
    let headers = [
        None,
        Some("Bearer pk_admin_unknown".to_string()),
        Some("Bearer ".to_string()),
        Some(format!("Token {}", tenant.admin_key)),
        Some(basic_admin),
    ];

    for header in headers {
        let mut request = http::Request::builder()
            .method(Method::PUT)
            .uri("/v1/profiles/simple");
        if let Some(header) = &header {
            request = request.header(http::header::AUTHORIZATION, header);
        }
        let reply = test
            .send(
                request
                    .body(axum::body::Body::from(ONE_EVENT_PROFILE))
                    .expect("a request"),
            )
            .await;

        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{header:?}");
        reply.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    assert_eq!(test.stored(&tenant).await, before);
}

#[tokio::test]
async fn an_unknown_admin_path_is_a_json_404() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;

    let reply = test.get(&tenant, "/v1/scores").await;

    reply.assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_profile_body_over_the_admin_limit_is_refused() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    let huge = format!("{ONE_EVENT_PROFILE}# {}\n", "x".repeat(300 * 1024));

    let reply = test.put_profile(&tenant, "simple", &huge).await;

    reply.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(
        test.get_ok(&tenant, "/v1/profiles").await["items"],
        json!([])
    );
}
