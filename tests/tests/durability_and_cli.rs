//! Durability (a 200 survives SIGKILL), retries, and the `pulse` admin commands both on a
//! data directory and against a running server (`--url`).

use base64::Engine;
use pulse_e2e::{Admin, PulseServer, create_workspace, pulse, pulse_json};
use serde_json::{Value, json};

const PROFILE: &str = "id: cs\nwindow_days: 7\nevents: {Report Created: 10, Viewed Page: 1}\n";

fn batch(user_count: usize, per_user: usize, prefix: &str) -> Value {
    let mut calls = Vec::new();
    for user in 0..user_count {
        for n in 0..per_user {
            calls.push(
                json!({"type": "track", "userId": format!("u-{user}"), "event": "Report Created",
                "messageId": format!("{prefix}-{user}-{n}"), "timestamp": "2026-12-01T12:00:00Z",
                "context": {"groupId": format!("acct-{}", user % 5)}}),
            );
        }
    }
    json!({"batch": calls})
}

async fn post_batch(url: &str, write_key: &str, body: &Value) -> reqwest::StatusCode {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{write_key}:"));
    reqwest::Client::new()
        .post(format!("{url}/v1/batch"))
        .header("Authorization", format!("Basic {auth}"))
        .json(body)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_200_survives_sigkill_and_a_retry_after_restart_changes_nothing() {
    let data = tempfile::tempdir().unwrap();
    let workspace = create_workspace(data.path(), "Durable");
    let server = PulseServer::start(data.path(), &[], &[]).unwrap();
    let body = batch(50, 2, "k");
    assert_eq!(
        post_batch(&server.url, &workspace.write_key, &body).await,
        200
    );
    server.kill();

    let server = PulseServer::start(data.path(), &[], &[]).unwrap();
    assert_eq!(
        post_batch(&server.url, &workspace.write_key, &body).await,
        200,
        "the client's retry"
    );
    let admin = Admin::new(&server.url, &workspace.admin_key);
    admin.put_text("/v1/profiles/cs", PROFILE).await;
    admin
        .post("/v1/recompute", json!({"as_of": "2026-12-01"}))
        .await;
    let users = admin.get("/v1/users?limit=1000").await;
    let items = users["items"].as_array().unwrap();
    assert_eq!(items.len(), 50);
    assert!(
        items.iter().all(|user| user["raw_score"] == 20),
        "2 events × weight 10 each, once"
    );
    let accounts = admin.get("/v1/accounts").await;
    assert_eq!(accounts["items"].as_array().unwrap().len(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_applies_recomputes_imports_and_exports_on_a_data_directory() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    create_workspace(data.path(), "CLI");
    let profile = data.path().join("cs.yaml");
    std::fs::write(&profile, PROFILE).unwrap();
    let calls = data.path().join("calls.jsonl");
    let lines: Vec<String> = batch(4, 3, "imp")["batch"]
        .as_array()
        .unwrap()
        .iter()
        .map(Value::to_string)
        .chain(["{\"type\":\"track\",\"userId\":\"u-0\",\"event\":\"Viewed Page\",\"timestamp\":\"2026-12-01T13:00:00Z\"}".into()])
        .collect();
    std::fs::write(&calls, lines.join("\n")).unwrap();

    let first = pulse_json(&["import", calls.to_str().unwrap(), "--data", dir]);
    assert_eq!(first["stored"], 13, "{first}");
    let again = pulse_json(&["import", calls.to_str().unwrap(), "--data", dir]);
    assert_eq!(
        again["stored"], 0,
        "a repeated import stores nothing: {again}"
    );
    assert_eq!(again["duplicates"], 13);

    pulse_json(&["profile", "apply", profile.to_str().unwrap(), "--data", dir]);
    let recomputed = pulse_json(&["recompute", "--as-of", "2026-12-01", "--data", dir]);
    assert_eq!(recomputed["results"][0]["users"], 4);

    let export = pulse(&["export", "users", "--format", "csv", "--data", dir]);
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let csv = String::from_utf8(export.stdout).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 5, "header + 4 users:\n{csv}");
    assert!(rows[0].starts_with("id,as_of,score,raw_score"));
    assert!(
        rows.iter()
            .any(|row| row.starts_with("u-0,2026-12-01,100,31,")),
        "u-0: 3·10 + 1 = 31 is the top:\n{csv}"
    );

    let jsonl = pulse(&["export", "accounts", "--format", "jsonl", "--data", dir]);
    let accounts: Vec<Value> = String::from_utf8(jsonl.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(accounts.len(), 4, "acct-0..acct-3");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_works_against_a_running_server_with_an_admin_key() {
    let data = tempfile::tempdir().unwrap();
    let workspace = create_workspace(data.path(), "Remote");
    let server = PulseServer::start(data.path(), &[], &[]).unwrap();
    assert_eq!(
        post_batch(&server.url, &workspace.write_key, &batch(3, 1, "r")).await,
        200
    );
    let profile = data.path().join("cs.yaml");
    std::fs::write(&profile, PROFILE).unwrap();
    let remote = [
        "--url",
        server.url.as_str(),
        "--key",
        workspace.admin_key.as_str(),
    ];

    let applied = pulse_json(
        &[
            &["profile", "apply", profile.to_str().unwrap()][..],
            &remote,
        ]
        .concat(),
    );
    assert_eq!(applied["id"], "cs");
    let recomputed = pulse_json(&[&["recompute", "--as-of", "2026-12-01"][..], &remote].concat());
    assert_eq!(recomputed["results"][0]["users"], 3);
    let export = pulse(&[&["export", "users", "--format", "jsonl"][..], &remote].concat());
    assert_eq!(String::from_utf8(export.stdout).unwrap().lines().count(), 3);

    let wrong = pulse(&[
        "recompute",
        "--url",
        server.url.as_str(),
        "--key",
        workspace.write_key.as_str(),
    ]);
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("403"),
        "a write key is refused by the admin API"
    );
}

#[test]
fn an_invalid_profile_file_lists_every_problem_and_changes_nothing() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    create_workspace(data.path(), "Bad");
    let profile = data.path().join("bad.yaml");
    std::fs::write(&profile, "id: Bad Id\nwindow_days: 5\nevents: {A: 11}\n").unwrap();
    let output = pulse(&["profile", "apply", profile.to_str().unwrap(), "--data", dir]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("id: `Bad Id`"), "{stderr}");
    assert!(
        stderr.contains("window_days: must be 1, 7 or 30"),
        "{stderr}"
    );
    assert!(
        stderr.contains("weight must be a whole number from 0 to 10"),
        "{stderr}"
    );
    let listed = pulse(&["profile", "list", "--data", dir]);
    assert!(
        String::from_utf8_lossy(&listed.stdout).trim().is_empty(),
        "nothing was applied"
    );
}

#[test]
fn every_command_has_help() {
    for command in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["workspace", "create", "--help"],
        vec!["profile", "apply", "--help"],
        vec!["recompute", "--help"],
        vec!["import", "--help"],
        vec!["export", "--help"],
    ] {
        let output = pulse(&command);
        assert!(output.status.success(), "{command:?}");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("Usage:"), "{command:?}: {text}");
    }
}
