//! The admin routes for custom segments and alert rules (SPEC §5, §6, §7): what is refused
//! and why (every problem listed, with positions for rule expressions), what a delete may
//! not break, the rules read back as stored, and custom segments listed, sized and
//! filtered by after a recompute of the hand-worked data set of `http_scoring.rs`.
//!
//! As of 2026-12-07 (profile `cs`, 7 days): users alice 100, erin 47, carol 28, bob 24,
//! dave 0; accounts acme 62.0 (plan pro), globex 37.5 (plan trial).

mod support;

use http::{Method, StatusCode};
use serde_json::{Value, json};
use support::dataset::{CS_PROFILE, seed_first_week};
use support::{Reply, Tenant, TestApp, ids};

async fn with_profile() -> (TestApp, Tenant) {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    let reply = test.put_profile(&tenant, "cs", CS_PROFILE).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    (test, tenant)
}

async fn put(test: &TestApp, tenant: &Tenant, path: &str, body: &str) -> Reply {
    test.admin(tenant, Method::PUT, path, Some(body.to_string()))
        .await
}

async fn put_ok(test: &TestApp, tenant: &Tenant, path: &str, body: &str) -> Value {
    let reply = put(test, tenant, path, body).await;
    assert_eq!(reply.status, StatusCode::OK, "PUT {path}: {}", reply.body);
    reply.body
}

async fn delete(test: &TestApp, tenant: &Tenant, path: &str) -> Reply {
    test.admin(tenant, Method::DELETE, path, None).await
}

/// The `problems` of a refused definition.
fn problems(reply: &Reply) -> Vec<String> {
    reply.body["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("a list of problems: {}", reply.body))
        .iter()
        .map(|problem| problem.as_str().expect("a problem in words").to_string())
        .collect()
}

fn accounts_segment(id: &str, rule: &str) -> String {
    format!("id: {id}\nkind: accounts\nprofile: cs\nrule: \"{rule}\"\n")
}

// --- custom segments: refused -------------------------------------------------------------

#[tokio::test]
async fn a_segment_that_is_not_yaml_is_refused_with_where_it_broke() {
    let (test, tenant) = with_profile().await;

    let reply = put(
        &test,
        &tenant,
        "/v1/segments/at_risk",
        "id: [at_risk\nkind: users\n",
    )
    .await;

    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_segment");
    let problems = problems(&reply);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("not valid YAML or JSON"),
        "{problems:?}"
    );
    assert!(problems[0].contains("line"), "{problems:?}");
}

#[tokio::test]
async fn a_segment_rule_with_a_misspelt_field_is_refused_with_position_and_hint() {
    let (test, tenant) = with_profile().await;

    let reply = put(
        &test,
        &tenant,
        "/v1/segments/at_risk",
        &accounts_segment("at_risk", "score < 40 and scroe_change <= -5"),
    )
    .await;

    let message = reply.assert_error(StatusCode::BAD_REQUEST, "invalid_segment");
    assert_eq!(
        problems(&reply),
        ["rule: unknown field `scroe_change` at 1:16 — did you mean `score_change`?"]
    );
    assert!(message.contains("scroe_change"), "{message}");
    let listed = test.get_ok(&tenant, "/v1/segments?kind=accounts").await;
    assert!(!ids(&listed).contains(&"at_risk".to_string()));
}

#[tokio::test]
async fn every_problem_of_a_segment_is_listed_at_once() {
    let (test, tenant) = with_profile().await;

    let reply = put(
        &test,
        &tenant,
        "/v1/segments/at_risk",
        "id: other\nkind: people\nprofile: cs\nrule: \"score <\"\ncolour: red\n",
    )
    .await;

    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_segment");
    let problems = problems(&reply);
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("`colour`: unknown key"))
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("id: `other` does not match `at_risk`"))
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("kind: must be `users` or `accounts`"))
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("rule: ") && p.contains(" at 1:")),
        "{problems:?}"
    );
}

#[tokio::test]
async fn a_segment_of_an_unknown_profile_is_not_found() {
    let (test, tenant) = with_profile().await;

    let reply = put(
        &test,
        &tenant,
        "/v1/segments/at_risk",
        "kind: accounts\nprofile: trials\nrule: \"score < 40\"\n",
    )
    .await;

    let message = reply.assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(message.contains("`trials`"), "{message}");
    assert!(message.contains("known profiles: cs"), "{message}");
}

#[tokio::test]
async fn a_segment_naming_an_unknown_segment_is_refused_naming_it() {
    let (test, tenant) = with_profile().await;

    let reply = put(
        &test,
        &tenant,
        "/v1/segments/at_risk",
        &accounts_segment("at_risk", "segment('big_spenders') and score < 40"),
    )
    .await;

    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_segment");
    let problems = problems(&reply);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("`big_spenders`"), "{problems:?}");
}

#[tokio::test]
async fn segments_that_name_each_other_in_a_cycle_are_refused_listing_the_cycle() {
    let (test, tenant) = with_profile().await;
    put_ok(
        &test,
        &tenant,
        "/v1/segments/alpha",
        &accounts_segment("alpha", "score > 10"),
    )
    .await;
    put_ok(
        &test,
        &tenant,
        "/v1/segments/beta",
        &accounts_segment("beta", "segment('alpha') and score < 90"),
    )
    .await;

    let reply = put(
        &test,
        &tenant,
        "/v1/segments/alpha",
        &accounts_segment("alpha", "segment('beta')"),
    )
    .await;

    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_segment");
    let problems = problems(&reply);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("cycle"), "{problems:?}");
    assert!(
        problems[0].contains("`alpha` → `beta` → `alpha`")
            || problems[0].contains("`beta` → `alpha` → `beta`"),
        "{problems:?}"
    );
    let alpha = test.get_ok(&tenant, "/v1/segments/alpha").await;
    assert_eq!(
        alpha["rule"],
        json!("score > 10"),
        "the old definition stays"
    );
}

#[tokio::test]
async fn a_default_segment_id_cannot_be_put() {
    let (test, tenant) = with_profile().await;

    for id in ["ice_cold", "multi_user", "activated"] {
        let reply = put(
            &test,
            &tenant,
            &format!("/v1/segments/{id}"),
            "kind: accounts\nprofile: cs\nrule: \"score < 40\"\n",
        )
        .await;

        let message = reply.assert_error(StatusCode::BAD_REQUEST, "default_segment");
        assert!(message.contains(&format!("`{id}`")), "{message}");
    }
}

#[tokio::test]
async fn a_segment_id_in_the_body_must_match_the_path() {
    let (test, tenant) = with_profile().await;

    let reply = put(
        &test,
        &tenant,
        "/v1/segments/at_risk",
        &accounts_segment("at-risk-2", "score < 40"),
    )
    .await;

    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_segment");
    assert_eq!(
        problems(&reply),
        ["id: `at-risk-2` does not match `at_risk` in the path; leave it out or make them equal"]
    );
}

// --- custom segments: deleted ---------------------------------------------------------------

#[tokio::test]
async fn a_segment_another_segment_uses_cannot_be_deleted() {
    let (test, tenant) = with_profile().await;
    put_ok(
        &test,
        &tenant,
        "/v1/segments/alpha",
        &accounts_segment("alpha", "score > 10"),
    )
    .await;
    put_ok(
        &test,
        &tenant,
        "/v1/segments/beta",
        &accounts_segment("beta", "segment('alpha') and score < 90"),
    )
    .await;

    let reply = delete(&test, &tenant, "/v1/segments/alpha").await;

    let message = reply.assert_error(StatusCode::BAD_REQUEST, "segment_in_use");
    assert!(message.contains("`alpha`"), "{message}");
    let problems = problems(&reply);
    assert_eq!(problems.len(), 1);
    assert!(problems[0].contains("`beta`"), "{problems:?}");
    test.get_ok(&tenant, "/v1/segments/alpha").await;
}

#[tokio::test]
async fn a_segment_an_alert_rule_enters_on_cannot_be_deleted() {
    let (test, tenant) = with_profile().await;
    put_ok(
        &test,
        &tenant,
        "/v1/segments/alpha",
        &accounts_segment("alpha", "score > 10"),
    )
    .await;
    put_ok(
        &test,
        &tenant,
        "/v1/alerts/entered-alpha",
        "profile: cs\nscope: accounts\ntrigger: {entered_segment: {segment: alpha}}\n",
    )
    .await;

    let reply = delete(&test, &tenant, "/v1/segments/alpha").await;

    let message = reply.assert_error(StatusCode::BAD_REQUEST, "segment_in_use");
    assert!(message.contains("entered-alpha"), "{message}");
    assert_eq!(problems(&reply), [message]);
    test.get_ok(&tenant, "/v1/segments/alpha").await;
}

#[tokio::test]
async fn a_segment_an_alert_rules_expressions_name_cannot_be_deleted() {
    let (test, tenant) = with_profile().await;
    put_ok(
        &test,
        &tenant,
        "/v1/segments/alpha",
        &accounts_segment("alpha", "score > 10"),
    )
    .await;
    put_ok(
        &test,
        &tenant,
        "/v1/alerts/alpha-cooling",
        "profile: cs\nscope: accounts\ntrigger: {score_change: {by: -10}}\nwhere: \"segment('alpha')\"\n",
    )
    .await;
    put_ok(
        &test,
        &tenant,
        "/v1/alerts/alpha-slipping",
        "profile: cs\nscope: accounts\ntrigger: {custom: {rule: \"segment('alpha') and score < 20\"}}\n",
    )
    .await;

    let reply = delete(&test, &tenant, "/v1/segments/alpha").await;

    // Deleting it would leave both rules reading a segment that no longer exists.
    let message = reply.assert_error(StatusCode::BAD_REQUEST, "segment_in_use");
    assert!(message.contains("alpha-cooling"), "{message}");
    assert!(message.contains("alpha-slipping"), "{message}");
}

#[tokio::test]
async fn a_segment_in_use_cannot_change_its_kind_under_its_users() {
    let (test, tenant) = with_profile().await;
    put_ok(
        &test,
        &tenant,
        "/v1/segments/alpha",
        &accounts_segment("alpha", "score > 10"),
    )
    .await;
    put_ok(
        &test,
        &tenant,
        "/v1/segments/beta",
        &accounts_segment("beta", "segment('alpha') and score < 90"),
    )
    .await;

    // As a users segment, `alpha` would no longer be the accounts segment `beta` names.
    let reply = put(
        &test,
        &tenant,
        "/v1/segments/alpha",
        "kind: users\nprofile: cs\nrule: \"score > 10\"\n",
    )
    .await;

    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.to_string().contains("`beta`"), "{}", reply.body);
    let alpha = test.get_ok(&tenant, "/v1/segments/alpha").await;
    assert_eq!(alpha["kind"], json!("accounts"), "the old definition stays");
}

#[tokio::test]
async fn an_alert_rule_whose_expressions_name_an_unknown_segment_is_refused() {
    let (test, tenant) = with_profile().await;

    let where_reply = put(
        &test,
        &tenant,
        "/v1/alerts/cooling",
        "profile: cs\nscope: accounts\ntrigger: {score_change: {by: -10}}\nwhere: \"segment('big_spenders')\"\n",
    )
    .await;
    let custom_reply = put(
        &test,
        &tenant,
        "/v1/alerts/slipping",
        "profile: cs\nscope: accounts\ntrigger: {custom: {rule: \"segment('big_spenders')\"}}\n",
    )
    .await;

    // As a segment naming an unknown segment is (SPEC §5: rules are checked when saved).
    for reply in [where_reply, custom_reply] {
        reply.assert_error(StatusCode::BAD_REQUEST, "invalid_alert_rule");
        assert!(
            problems(&reply)
                .iter()
                .any(|p| p.contains("`big_spenders`")),
            "{}",
            reply.body
        );
    }
}

#[tokio::test]
async fn deleting_an_unknown_segment_is_not_found_and_a_default_one_is_refused() {
    let (test, tenant) = with_profile().await;

    let unknown = delete(&test, &tenant, "/v1/segments/nothing_here").await;
    let default = delete(&test, &tenant, "/v1/segments/ice_cold").await;

    unknown.assert_error(StatusCode::NOT_FOUND, "not_found");
    default.assert_error(StatusCode::BAD_REQUEST, "default_segment");
}

#[tokio::test]
async fn a_segment_nothing_uses_is_deleted() {
    let (test, tenant) = with_profile().await;
    put_ok(
        &test,
        &tenant,
        "/v1/segments/alpha",
        &accounts_segment("alpha", "score > 10"),
    )
    .await;

    let reply = delete(&test, &tenant, "/v1/segments/alpha").await;

    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, json!({"deleted": true, "id": "alpha"}));
    test.get(&tenant, "/v1/segments/alpha")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    delete(&test, &tenant, "/v1/segments/alpha")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

// --- alert rules --------------------------------------------------------------------------

#[tokio::test]
async fn every_problem_of_an_alert_rule_is_listed_at_once() {
    let (test, tenant) = with_profile().await;

    let reply = put(
        &test,
        &tenant,
        "/v1/alerts/cooling-off",
        "profile: cs\nscope: accounts\ntrigger: {score_change: {by: 0}}\nwhere: \"scroe > 1\"\nchannel: \"#cs-alerts\"\ncooldown: soon\ncolour: red\n",
    )
    .await;

    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_alert_rule");
    let problems = problems(&reply);
    assert_eq!(problems.len(), 5, "{problems:?}");
    for expected in [
        "`colour`: unknown key",
        "trigger.score_change.by: must be a number of points from -100 to 100 other than 0",
        "where: unknown field `scroe` at 1:1 — did you mean `score`?",
        "channel: `#cs-alerts` must be 1 to 80 of a-z, 0-9, `_` and `-`, like `cs-alerts`; write it without the `#`",
        "cooldown: `soon` is not a duration",
    ] {
        assert!(
            problems.iter().any(|problem| problem.starts_with(expected)),
            "{expected} in {problems:?}"
        );
    }
    test.get(&tenant, "/v1/alerts/cooling-off")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn an_unknown_trigger_is_refused_with_a_suggestion() {
    let (test, tenant) = with_profile().await;

    let reply = put(
        &test,
        &tenant,
        "/v1/alerts/new",
        "profile: cs\nscope: accounts\ntrigger: new_users\n",
    )
    .await;

    reply.assert_error(StatusCode::BAD_REQUEST, "invalid_alert_rule");
    let problems = problems(&reply);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("unknown trigger `new_users`"),
        "{problems:?}"
    );
    assert!(
        problems[0].contains("did you mean `new_user`?"),
        "{problems:?}"
    );
}

#[tokio::test]
async fn an_alert_rule_of_an_unknown_profile_is_not_found() {
    let (test, tenant) = with_profile().await;

    let reply = put(
        &test,
        &tenant,
        "/v1/alerts/new",
        "profile: trials\nscope: accounts\ntrigger: new_user\n",
    )
    .await;

    reply.assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn entering_a_segment_that_does_not_exist_is_refused() {
    let (test, tenant) = with_profile().await;
    put_ok(
        &test,
        &tenant,
        "/v1/segments/alpha",
        &accounts_segment("alpha", "score > 10"),
    )
    .await;

    let unknown = put(
        &test,
        &tenant,
        "/v1/alerts/entered",
        "profile: cs\nscope: accounts\ntrigger: {entered_segment: {segment: big_spenders}}\n",
    )
    .await;
    // `alpha` is a segment of accounts: a users rule cannot enter it.
    let other_kind = put(
        &test,
        &tenant,
        "/v1/alerts/entered",
        "profile: cs\nscope: users\ntrigger: {entered_segment: {segment: alpha}}\n",
    )
    .await;

    unknown.assert_error(StatusCode::BAD_REQUEST, "invalid_alert_rule");
    assert_eq!(
        problems(&unknown),
        ["trigger.entered_segment.segment: no accounts segment `big_spenders` in profile `cs`"]
    );
    other_kind.assert_error(StatusCode::BAD_REQUEST, "invalid_alert_rule");
    assert_eq!(
        problems(&other_kind),
        ["trigger.entered_segment.segment: no users segment `alpha` in profile `cs`"]
    );
    test.get(&tenant, "/v1/alerts/entered")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn alert_rules_are_listed_read_back_as_written_and_deleted() {
    let (test, tenant) = with_profile().await;
    let cooling = put_ok(
        &test,
        &tenant,
        "/v1/alerts/cooling-off",
        "id: cooling-off\nprofile: cs\nscope: accounts\ntrigger: {score_change: {by: -10}}\nwhere: \"traits.plan != 'trial'\"\nchannel: cs-alerts\ncooldown: 24h\n",
    )
    .await;
    // The same structure as JSON is accepted too; the id comes from the path.
    put_ok(
        &test,
        &tenant,
        "/v1/alerts/new-user",
        r#"{"profile": "cs", "scope": "accounts", "trigger": "new_user"}"#,
    )
    .await;

    let listed = test.get_ok(&tenant, "/v1/alerts").await;
    let one = test.get_ok(&tenant, "/v1/alerts/cooling-off").await;

    let expected = json!({
        "id": "cooling-off", "profile": "cs", "scope": "accounts",
        "trigger": {"score_change": {"by": -10}}, "where": "traits.plan != 'trial'",
        "channel": "cs-alerts", "cooldown": "24h",
    });
    assert_eq!(cooling, expected);
    assert_eq!(one, expected);
    let mut listed_ids = ids(&listed);
    listed_ids.sort();
    assert_eq!(listed_ids, ["cooling-off", "new-user"]);
    assert_eq!(listed["next_cursor"], json!(null));
    let new_user = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|rule| rule["id"] == json!("new-user"))
        .unwrap();
    assert_eq!(
        new_user,
        &json!({"id": "new-user", "profile": "cs", "scope": "accounts", "trigger": "new_user"})
    );

    let deleted = delete(&test, &tenant, "/v1/alerts/cooling-off").await;

    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!(deleted.body, json!({"deleted": true, "id": "cooling-off"}));
    test.get(&tenant, "/v1/alerts/cooling-off")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    delete(&test, &tenant, "/v1/alerts/cooling-off")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(ids(&test.get_ok(&tenant, "/v1/alerts").await), ["new-user"]);
}

// --- custom segments: read ----------------------------------------------------------------

/// The hand-worked first week, with custom segments of both kinds saved before the recompute.
async fn scored_with_custom_segments() -> (TestApp, Tenant) {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    seed_first_week(&test, &tenant).await;
    put_ok(
        &test,
        &tenant,
        "/v1/segments/paying_engaged",
        "name: Engaged paying accounts\nkind: accounts\nprofile: cs\nrule: \"score >= 50 and traits.plan == 'pro'\"\n",
    )
    .await;
    put_ok(
        &test,
        &tenant,
        "/v1/segments/needs_help",
        "name: Active but struggling\nkind: users\nprofile: cs\nrule: \"score > 0 and score < 30\"\n",
    )
    .await;
    test.recompute_as_of(&tenant, "2026-12-07").await;
    (test, tenant)
}

fn listed<'a>(segments: &'a Value, id: &str) -> &'a Value {
    segments["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {segments}"))
        .iter()
        .find(|segment| segment["id"] == json!(id))
        .unwrap_or_else(|| panic!("no {id} in {segments}"))
}

#[tokio::test]
async fn custom_segments_are_listed_with_their_sizes_after_a_recompute() {
    let (test, tenant) = scored_with_custom_segments().await;

    let accounts = test.get_ok(&tenant, "/v1/segments?kind=accounts").await;
    let users = test.get_ok(&tenant, "/v1/segments?kind=users").await;

    assert_eq!(
        listed(&accounts, "paying_engaged"),
        &json!({"id": "paying_engaged", "name": "Engaged paying accounts", "kind": "accounts",
                "profile": "cs", "rule": "score >= 50 and traits.plan == 'pro'",
                "default": false, "as_of": "2026-12-07", "size": 1})
    );
    assert_eq!(listed(&users, "needs_help")["size"], json!(2));
    assert_eq!(listed(&users, "needs_help")["default"], json!(false));
    assert!(!ids(&accounts).contains(&"needs_help".to_string()));
    assert!(!ids(&users).contains(&"paying_engaged".to_string()));
    let one = test.get_ok(&tenant, "/v1/segments/needs_help").await;
    assert_eq!(one, listed(&users, "needs_help").clone());
}

#[tokio::test]
async fn a_custom_segments_members_are_listed_with_the_day_they_entered() {
    let (test, tenant) = scored_with_custom_segments().await;

    let users = test
        .get_ok(&tenant, "/v1/segments/needs_help/members")
        .await;
    let accounts = test
        .get_ok(&tenant, "/v1/segments/paying_engaged/members")
        .await;

    assert_eq!(ids(&users), ["carol", "bob"]);
    for member in users["items"].as_array().unwrap() {
        assert_eq!(member["segment_entered"], json!("2026-12-07"), "{member}");
        assert!(
            member["segments"]
                .as_array()
                .unwrap()
                .contains(&json!("needs_help"))
        );
    }
    assert_eq!(ids(&accounts), ["acme"]);
}

#[tokio::test]
async fn users_and_accounts_can_be_filtered_by_a_custom_segment() {
    let (test, tenant) = scored_with_custom_segments().await;

    let users = test.get_ok(&tenant, "/v1/users?segment=needs_help").await;
    let accounts = test
        .get_ok(&tenant, "/v1/accounts?segment=paying_engaged")
        .await;
    let by_id = test
        .get_ok(&tenant, "/v1/users?segment=needs_help&sort=id")
        .await;

    assert_eq!(ids(&users), ["carol", "bob"]);
    assert_eq!(ids(&by_id), ["bob", "carol"]);
    assert_eq!(ids(&accounts), ["acme"]);
}
