//! Checks: the documents a workspace defines besides profiles — custom segments (SPEC §5)
//! and alert rules (SPEC §6) — stored as JSON by kind and id.

use serde_json::{Value, json};

use super::fixtures::new_workspace;
use crate::DefinitionKind::{AlertRule, Segment};
use crate::{DefinitionKind, Store};
use pulse_core::WorkspaceId;

fn segment(id: &str, rule: &str) -> Value {
    json!({
        "id": id, "name": format!("Segment {id}"), "kind": "accounts", "profile": "cs",
        "rule": rule,
    })
}

fn alert_rule(id: &str, by: i64) -> Value {
    json!({
        "id": id, "profile": "cs", "scope": "accounts",
        "trigger": {"score_change": {"by": by}}, "where": "traits.plan != 'trial'",
        "channel": "cs-alerts", "cooldown": "24h",
    })
}

async fn put(store: &dyn Store, workspace: &WorkspaceId, kind: DefinitionKind, body: &Value) {
    let id = body["id"].as_str().expect("fixture definitions have an id");
    store
        .put_definition(workspace, kind, id, body)
        .await
        .unwrap_or_else(|error| panic!("saving {kind:?} `{id}` in `{workspace}`: {error}"));
}

async fn get(
    store: &dyn Store,
    workspace: &WorkspaceId,
    kind: DefinitionKind,
    id: &str,
) -> Option<Value> {
    store
        .definition(workspace, kind, id)
        .await
        .unwrap_or_else(|error| panic!("reading {kind:?} `{id}` of `{workspace}`: {error}"))
}

async fn all(store: &dyn Store, workspace: &WorkspaceId, kind: DefinitionKind) -> Vec<Value> {
    store
        .definitions(workspace, kind)
        .await
        .unwrap_or_else(|error| panic!("listing the {kind:?}s of `{workspace}`: {error}"))
}

async fn delete(
    store: &dyn Store,
    workspace: &WorkspaceId,
    kind: DefinitionKind,
    id: &str,
) -> bool {
    store
        .delete_definition(workspace, kind, id)
        .await
        .unwrap_or_else(|error| panic!("deleting {kind:?} `{id}` of `{workspace}`: {error}"))
}

pub async fn a_definition_is_stored_read_listed_in_id_order_and_replaced(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let at_risk = segment("at_risk", "score < 40 and score_change <= -5");
    let power = segment("power", "count('Report Created', 30) >= 3");
    let churned = segment("churned", "last_seen_days > 60");
    for body in [&power, &at_risk, &churned] {
        put(store, &acme, Segment, body).await;
    }
    let listed = all(store, &acme, Segment).await;
    let read = get(store, &acme, Segment, "power").await;
    let replacement = segment("power", "count('Report Created', 30) >= 10");

    put(store, &acme, Segment, &replacement).await;

    assert_eq!(
        listed,
        vec![at_risk.clone(), churned.clone(), power],
        "in id order"
    );
    assert_eq!(
        read,
        Some(segment("power", "count('Report Created', 30) >= 3"))
    );
    assert_eq!(
        get(store, &acme, Segment, "power").await,
        Some(replacement.clone())
    );
    assert_eq!(
        all(store, &acme, Segment).await,
        vec![at_risk, churned, replacement],
        "replaced, not added"
    );
    assert_eq!(get(store, &acme, Segment, "missing").await, None);
}

pub async fn segments_and_alert_rules_are_separate_namespaces(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let shared_id_segment = segment("cooling", "score_change <= -10");
    let shared_id_rule = alert_rule("cooling", -10);
    put(store, &acme, Segment, &shared_id_segment).await;
    put(store, &acme, AlertRule, &shared_id_rule).await;
    put(store, &acme, AlertRule, &alert_rule("drop", -20)).await;

    let deleted_rule = delete(store, &acme, AlertRule, "cooling").await;

    assert!(deleted_rule);
    assert_eq!(
        get(store, &acme, Segment, "cooling").await,
        Some(shared_id_segment.clone()),
        "deleting the alert rule `cooling` leaves the segment `cooling`"
    );
    assert_eq!(get(store, &acme, AlertRule, "cooling").await, None);
    assert_eq!(all(store, &acme, Segment).await, vec![shared_id_segment]);
    assert_eq!(
        all(store, &acme, AlertRule).await,
        vec![alert_rule("drop", -20)],
        "alert rules list no segments"
    );
}

pub async fn deleting_a_definition_reports_true_then_false(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    put(store, &acme, AlertRule, &alert_rule("cooling", -10)).await;
    put(store, &acme, AlertRule, &alert_rule("drop", -20)).await;

    let first = delete(store, &acme, AlertRule, "cooling").await;
    let second = delete(store, &acme, AlertRule, "cooling").await;
    let never_there = delete(store, &acme, Segment, "cooling").await;

    assert!(first, "the rule existed");
    assert!(!second, "it is gone now");
    assert!(!never_there, "there was no segment `cooling`");
    assert_eq!(get(store, &acme, AlertRule, "cooling").await, None);
    assert_eq!(
        all(store, &acme, AlertRule).await,
        vec![alert_rule("drop", -20)],
        "only `cooling` was deleted"
    );
}

pub async fn definitions_of_one_workspace_are_invisible_from_another(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let globex = new_workspace(store, "globex").await;
    put(store, &acme, Segment, &segment("at_risk", "score < 40")).await;
    put(store, &acme, AlertRule, &alert_rule("cooling", -10)).await;
    put(store, &globex, Segment, &segment("at_risk", "score < 20")).await;

    let deleted_from_globex = delete(store, &globex, AlertRule, "cooling").await;
    put(store, &globex, Segment, &segment("at_risk", "score < 10")).await;

    assert!(!deleted_from_globex, "globex has no rule `cooling`");
    assert_eq!(
        get(store, &acme, AlertRule, "cooling").await,
        Some(alert_rule("cooling", -10)),
        "globex's delete did not reach acme"
    );
    assert_eq!(
        get(store, &acme, Segment, "at_risk").await,
        Some(segment("at_risk", "score < 40")),
        "globex's replace did not reach acme"
    );
    assert_eq!(
        all(store, &globex, Segment).await,
        vec![segment("at_risk", "score < 10")]
    );
    assert_eq!(all(store, &globex, AlertRule).await, Vec::<Value>::new());
}
