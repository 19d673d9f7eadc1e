//! The profiles and data sets the suites score: the SPEC §3 profile, a one-event profile,
//! and the hand-worked two-week data set whose arithmetic `http_scoring.rs` spells out.

use http::StatusCode;
use serde_json::json;

use super::{Tenant, TestApp, batch, group, identify, usage};

/// The profile of SPEC §3, with a weight-0 event: four scored events and three
/// activation criteria (two on events, one on a trait).
pub const CS_PROFILE: &str = "\
id: cs
name: CS Scoring Profile
window_days: 7
events:
  Report Created: 10
  Dashboard Shared: 8
  Invite Sent: 5
  Viewed Page: 1
  Logged In: 0
core_features: [Report Created, Dashboard Shared]
activation:
  - name: Invited two teammates
    event: Invite Sent
    min_count: 2
  - name: Connected a data source
    event: Source Connected
  - name: Company size known
    trait: employees
    op: exists
";

/// A one-event profile: every `E` scores one point.
pub const ONE_EVENT_PROFILE: &str = "id: simple\nwindow_days: 7\nevents: {E: 1}\n";

/// The hand-worked data set (see `http_scoring.rs` for the arithmetic): five users in two
/// accounts, scored by [`CS_PROFILE`] as of 2026-12-07, then one more week to 2026-12-14.
pub async fn seed_first_week(test: &TestApp, tenant: &Tenant) {
    let put = test.put_profile(tenant, "cs", CS_PROFILE).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    test.set_now("2026-12-07T18:00:00Z");
    let joined = "2026-11-15T09:00:00Z";
    let mut calls = vec![
        identify("alice", json!({"name": "Alice", "employees": 250}), joined),
        group(
            "alice",
            "acme",
            json!({"name": "Acme", "plan": "pro", "employees": 120}),
            joined,
        ),
        identify("bob", json!({"name": "Bob"}), joined),
        group("bob", "acme", json!({}), joined),
        identify("carol", json!({"name": "Carol", "employees": 10}), joined),
        group(
            "carol",
            "globex",
            json!({"name": "Globex", "plan": "trial"}),
            joined,
        ),
        identify("dave", json!({"name": "Dave"}), joined),
        group("dave", "globex", json!({}), joined),
        identify("erin", json!({"name": "Erin"}), "2026-12-04T08:00:00Z"),
        group("erin", "globex", json!({}), "2026-12-04T08:00:00Z"),
    ];
    for (user, event, count, timestamp) in [
        ("alice", "Source Connected", 1, "2026-11-28T09:00:00Z"),
        ("alice", "Report Created", 1, "2026-12-01T10:00:00Z"),
        ("alice", "Invite Sent", 2, "2026-12-02T09:00:00Z"),
        ("alice", "Report Created", 1, "2026-12-03T10:00:00Z"),
        ("alice", "Report Created", 1, "2026-12-05T10:00:00Z"),
        ("alice", "Dashboard Shared", 1, "2026-12-05T11:00:00Z"),
        ("alice", "Viewed Page", 4, "2026-12-07T10:00:00Z"),
        ("bob", "Logged In", 3, "2026-12-04T09:00:00Z"),
        ("bob", "Viewed Page", 5, "2026-12-06T14:00:00Z"),
        ("bob", "Invite Sent", 1, "2026-12-06T15:00:00Z"),
        ("carol", "Report Created", 1, "2026-12-02T10:00:00Z"),
        ("carol", "Viewed Page", 2, "2026-12-03T16:30:00Z"),
        ("dave", "Dashboard Shared", 1, "2026-11-20T10:00:00Z"),
        ("dave", "Source Connected", 1, "2026-11-20T10:05:00Z"),
        ("dave", "Logged In", 1, "2026-12-03T08:00:00Z"),
        ("erin", "Viewed Page", 20, "2026-12-04T09:00:00Z"),
    ] {
        calls.extend(usage(user, event, count, timestamp));
    }
    test.ingest(tenant, "/v1/batch", &batch(calls))
        .await
        .assert_accepted();
}

/// The second week of the hand-worked data set, received on 2026-12-14.
pub async fn seed_second_week(test: &TestApp, tenant: &Tenant) {
    test.set_now("2026-12-14T18:00:00Z");
    let mut calls = Vec::new();
    for (user, event, count, timestamp) in [
        ("alice", "Report Created", 1, "2026-12-10T10:00:00Z"),
        ("bob", "Invite Sent", 2, "2026-12-09T10:00:00Z"),
        ("bob", "Report Created", 1, "2026-12-09T11:00:00Z"),
        ("carol", "Viewed Page", 3, "2026-12-12T10:00:00Z"),
        ("dave", "Report Created", 4, "2026-12-13T10:00:00Z"),
    ] {
        calls.extend(usage(user, event, count, timestamp));
    }
    test.ingest(tenant, "/v1/batch", &batch(calls))
        .await
        .assert_accepted();
}
