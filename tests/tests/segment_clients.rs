//! The real `pulse serve`, fed by the official Segment libraries (Node, and Python with
//! gzip), read back through the admin API. The expected numbers are worked by hand below.

use pulse_e2e::{Admin, PulseServer, create_workspace, send_with_node, send_with_python};
use serde_json::{Value, json};

const PROFILE: &str = r#"
id: cs
name: CS Scoring Profile
window_days: 7
events:
  Report Created: 10
  Dashboard Shared: 8
  Invite Sent: 5
  Viewed Page: 1
core_features: [Report Created, Dashboard Shared]
activation:
  - name: Invited two teammates
    event: Invite Sent
    min_count: 2
  - name: Company size known
    trait: employees
"#;

fn python_calls() -> Value {
    json!([
        // u-1 browses anonymously, then signs up: the page view must count for u-1.
        {"type": "page", "anonymous_id": "a-1", "name": "Pricing", "timestamp": "2026-11-28T12:00:00Z"},
        {"type": "identify", "user_id": "u-1", "anonymous_id": "a-1",
         "traits": {"plan": "pro", "employees": 50}, "timestamp": "2026-11-28T12:05:00Z"},
        {"type": "group", "user_id": "u-1", "group_id": "acme",
         "traits": {"name": "Acme", "plan": "pro"}, "timestamp": "2026-11-28T12:06:00Z"},
        {"type": "track", "user_id": "u-1", "event": "Report Created", "timestamp": "2026-11-30T10:00:00Z"},
        {"type": "track", "user_id": "u-1", "event": "Report Created", "timestamp": "2026-11-30T11:00:00Z"},
        {"type": "track", "user_id": "u-1", "event": "Report Created", "timestamp": "2026-11-30T12:00:00Z"},
        {"type": "track", "user_id": "u-1", "event": "Invite Sent", "timestamp": "2026-12-01T09:00:00Z"},
        {"type": "track", "user_id": "u-1", "event": "Invite Sent", "timestamp": "2026-12-01T09:30:00Z"},
        // Outside the 7-day period that ends 2026-12-01: must not count.
        {"type": "track", "user_id": "u-1", "event": "Report Created", "timestamp": "2026-11-24T12:00:00Z"}
    ])
}

fn node_calls() -> Value {
    json!([
        {"type": "identify", "userId": "u-2", "traits": {"plan": "pro"}, "timestamp": "2026-11-29T08:00:00Z"},
        {"type": "group", "userId": "u-2", "groupId": "acme", "timestamp": "2026-11-29T08:01:00Z"},
        {"type": "track", "userId": "u-2", "event": "Dashboard Shared", "timestamp": "2026-11-29T09:00:00Z"},
        {"type": "page", "userId": "u-2", "name": "Home", "timestamp": "2026-11-30T09:00:00Z"},
        {"type": "page", "userId": "u-2", "name": "Home", "timestamp": "2026-11-30T09:10:00Z"},
        {"type": "page", "userId": "u-2", "name": "Report", "timestamp": "2026-11-30T09:20:00Z"},
        {"type": "page", "userId": "u-2", "name": "Report", "timestamp": "2026-11-30T09:30:00Z"},
        // u-3 joins globex through context.groupId, no group call.
        {"type": "track", "userId": "u-3", "event": "Report Created", "timestamp": "2026-12-01T13:00:00Z",
         "context": {"groupId": "globex"}},
        {"type": "track", "userId": "u-3", "event": "Report Created", "timestamp": "2026-12-01T13:01:00Z",
         "context": {"groupId": "globex"}},
        {"type": "track", "userId": "u-3", "event": "Report Created", "timestamp": "2026-12-01T13:02:00Z",
         "context": {"groupId": "globex"}},
        {"type": "track", "userId": "u-3", "event": "Report Created", "timestamp": "2026-12-01T13:03:00Z",
         "context": {"groupId": "globex"}},
        {"type": "track", "userId": "u-3", "event": "Report Created", "timestamp": "2026-12-01T13:04:00Z",
         "context": {"groupId": "globex"}}
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn segment_libraries_feed_pulse_and_the_admin_api_shows_hand_worked_scores() {
    let data = tempfile::tempdir().unwrap();
    let workspace = create_workspace(data.path(), "E2E");
    let server = PulseServer::start(data.path(), &[], &[]).unwrap();
    let admin = Admin::new(&server.url, &workspace.admin_key);

    send_with_python(&server.url, &workspace.write_key, &python_calls()).unwrap();
    send_with_node(&server.url, &workspace.write_key, &node_calls()).unwrap();
    admin.put_text("/v1/profiles/cs", PROFILE).await;
    let summary = admin
        .post(
            "/v1/recompute",
            json!({"profile": "cs", "as_of": "2026-12-01"}),
        )
        .await;
    assert_eq!(summary["results"][0]["users"], 3, "{summary}");

    // Raw scores: u-1 = 3·10 + 2·5 + 1 (the anonymous page view) = 41; u-2 = 8 + 4·1 = 12;
    // u-3 = 5·10 = 50. Active raws 12, 41, 50: h = 0.9·2 = 1.8, p90 = 41 + 0.8·(50 − 41) = 48.2.
    // Scores: 100·41/48.2 = 85.06 → 85; 100·12/48.2 = 24.90 → 25; 100·50/48.2 = 103.7 → 100.
    let u1 = admin.get("/v1/users/u-1?profile=cs").await;
    assert_eq!(u1["raw_score"], 41, "{u1}");
    assert_eq!(u1["score"], 85);
    assert_eq!(u1["frequency"], 3, "11-28, 11-30, 12-01");
    assert_eq!(u1["adoption"]["period"], 75.0, "3 of 4 scored events");
    assert_eq!(u1["activation"]["rate"], 100.0);
    assert_eq!(u1["activation"]["activated"], true);
    assert_eq!(u1["accounts"], json!(["acme"]));
    assert_eq!(u1["traits"]["plan"], "pro");
    assert_eq!(admin.get("/v1/users/u-2").await["score"], 25);
    assert_eq!(admin.get("/v1/users/u-3").await["score"], 100);

    // acme: u-1 and u-2 both active → average (85 + 25) / 2 = 55.0, total 110, 2 of 2 active.
    // Days with scored events: 11-28, 11-29, 11-30, 12-01 → frequency 4. Activation: Invite
    // Sent summed 2 ≥ 2 met; acme has no `employees` trait → 50.0.
    let acme = admin.get("/v1/accounts/acme").await;
    assert_eq!(acme["score"]["average"], 55.0, "{acme}");
    assert_eq!(acme["score"]["total"], 110);
    assert_eq!(
        acme["users"],
        json!({"total": 2, "active": 2, "active_pct": 100.0, "members": 2})
    );
    assert_eq!(acme["frequency"], 4);
    assert_eq!(acme["adoption"]["period"], 100.0);
    assert_eq!(acme["activation"]["rate"], 50.0);
    assert_eq!(acme["traits"]["name"], "Acme");
    assert!(
        acme["segments"]
            .as_array()
            .unwrap()
            .contains(&json!("engaged"))
    );
    assert!(
        acme["segments"]
            .as_array()
            .unwrap()
            .contains(&json!("multi_user"))
    );

    let accounts = admin.get("/v1/accounts?sort=-score").await;
    let ids: Vec<&str> = accounts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["globex", "acme"]);
    assert_eq!(accounts["next_cursor"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_retried_by_the_node_library_counts_once() {
    let data = tempfile::tempdir().unwrap();
    let workspace = create_workspace(data.path(), "E2E");
    let server = PulseServer::start(data.path(), &[], &[]).unwrap();
    let admin = Admin::new(&server.url, &workspace.admin_key);
    let calls = json!([
        {"type": "track", "userId": "u-9", "event": "Report Created", "messageId": "m-1", "timestamp": "2026-12-01T10:00:00Z"},
        {"type": "track", "userId": "u-9", "event": "Report Created", "messageId": "m-2", "timestamp": "2026-12-01T10:01:00Z"}
    ]);
    send_with_node(&server.url, &workspace.write_key, &calls).unwrap();
    send_with_node(&server.url, &workspace.write_key, &calls).unwrap();
    admin.put_text("/v1/profiles/cs", PROFILE).await;
    admin
        .post("/v1/recompute", json!({"as_of": "2026-12-01"}))
        .await;
    assert_eq!(
        admin.get("/v1/users/u-9").await["raw_score"],
        20,
        "two events, sent twice, counted once"
    );
}
