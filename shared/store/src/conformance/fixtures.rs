//! What the checks build and read: realistic Segment calls parsed by the domain's own
//! parser, hand-made computed days, and lookups that say what was missing when they fail.
//! Public so that an adapter's own tests can build the same inputs.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use pulse_core::records::{AccountRecord, IdentityRecord, LifetimeUsage, ScoringData};
use pulse_core::snapshot::SnapshotKeys;
use pulse_core::{BatchDefaults, Day, Profile, SubjectKind, WorkspaceId, parse_call};
use serde_json::{Value, json};

use crate::{
    AcceptedCall, AlertRecord, AlertStatus, Computation, IngestBatch, IngestChange, IngestOutcome,
    ListQuery, Page, SegmentSpan, SegmentTransition, Sort, SortField, SpanFilter, Store,
    StoredSnapshot, Workspace,
};

/// The profile every computation check saves under.
pub const PROFILE: &str = "cs";

/// An instant written as RFC 3339.
pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|error| panic!("fixture time `{text}`: {error}"))
        .to_utc()
}

/// A day written as `YYYY-MM-DD`.
pub fn day(text: &str) -> Day {
    text.parse()
        .unwrap_or_else(|error| panic!("fixture day: {error}"))
}

pub fn workspace_id(id: &str) -> WorkspaceId {
    WorkspaceId::parse(id).unwrap_or_else(|error| panic!("fixture workspace id `{id}`: {error}"))
}

pub fn workspace(id: &str, name: &str) -> Workspace {
    Workspace {
        id: workspace_id(id),
        name: name.to_string(),
        created_at: at("2026-11-01T09:00:00.250Z"),
    }
}

/// Creates a workspace without keys and returns its id.
pub async fn new_workspace(store: &dyn Store, id: &str) -> WorkspaceId {
    let workspace = workspace(id, &format!("Workspace {id}"));
    store
        .create_workspace(&workspace, &[])
        .await
        .unwrap_or_else(|error| panic!("creating workspace `{id}`: {error}"));
    workspace.id
}

/// A batch received at `received_at`, each call parsed as a client library sent it.
/// Every fixture call carries its own `messageId`.
pub fn batch(received_at: &str, calls: &[Value]) -> IngestBatch {
    let received_at = at(received_at);
    let calls = calls
        .iter()
        .map(|value| {
            let call = parse_call(value, None, &BatchDefaults::default(), received_at)
                .unwrap_or_else(|error| panic!("fixture call {value} is invalid: {error}"));
            let message_id = call
                .message_id
                .clone()
                .unwrap_or_else(|| panic!("fixture call {value} needs a messageId"));
            AcceptedCall { message_id, call }
        })
        .collect();
    IngestBatch {
        received_at,
        calls,
        first_use_events: Vec::new(),
    }
}

/// The same batch received `days` later (a client retrying much later).
pub fn received_later(batch: &IngestBatch, days: i64) -> IngestBatch {
    IngestBatch {
        received_at: batch.received_at + Duration::days(days),
        calls: batch.calls.clone(),
        first_use_events: batch.first_use_events.clone(),
    }
}

/// The batch, watching `events` for each account's first use (the profiles' core features).
pub fn watching(batch: IngestBatch, events: &[&str]) -> IngestBatch {
    IngestBatch {
        first_use_events: events.iter().map(|event| event.to_string()).collect(),
        ..batch
    }
}

/// The first use an ingestion should report.
pub fn first_use(account: &str, event: &str, identity: &str, at_time: &str) -> IngestChange {
    IngestChange::FeatureFirstUsed {
        account: account.to_string(),
        event: event.to_string(),
        identity: identity.to_string(),
        at: at(at_time),
    }
}

/// The first uses an outcome reports, by account then event (the port fixes no order).
pub fn first_uses(outcome: &IngestOutcome) -> Vec<IngestChange> {
    let mut uses: Vec<IngestChange> = outcome
        .changes
        .iter()
        .filter(|change| matches!(change, IngestChange::FeatureFirstUsed { .. }))
        .cloned()
        .collect();
    uses.sort_by_key(|change| match change {
        IngestChange::FeatureFirstUsed { account, event, .. } => (account.clone(), event.clone()),
        _ => unreachable!("only first uses are kept"),
    });
    uses
}

pub fn track(message_id: &str, user: &str, event: &str, timestamp: &str) -> Value {
    json!({
        "type": "track", "messageId": message_id, "userId": user, "event": event,
        "timestamp": timestamp, "properties": {"report": {"kind": "funnel"}},
    })
}

/// A track call whose `context.groupId` makes the user a member of `account`.
pub fn track_in(
    message_id: &str,
    user: &str,
    event: &str,
    account: &str,
    timestamp: &str,
) -> Value {
    json!({
        "type": "track", "messageId": message_id, "userId": user, "event": event,
        "timestamp": timestamp, "context": {"groupId": account},
    })
}

pub fn identify(message_id: &str, user: &str, traits: Value, timestamp: &str) -> Value {
    json!({
        "type": "identify", "messageId": message_id, "userId": user, "traits": traits,
        "timestamp": timestamp,
    })
}

pub fn group(message_id: &str, user: &str, account: &str, traits: Value, timestamp: &str) -> Value {
    json!({
        "type": "group", "messageId": message_id, "userId": user, "groupId": account,
        "traits": traits, "timestamp": timestamp,
    })
}

pub fn alias(message_id: &str, previous: &str, user: &str, timestamp: &str) -> Value {
    json!({
        "type": "alias", "messageId": message_id, "previousId": previous, "userId": user,
        "timestamp": timestamp,
    })
}

pub async fn ingest(
    store: &dyn Store,
    workspace: &WorkspaceId,
    batch: &IngestBatch,
) -> IngestOutcome {
    store
        .ingest(workspace, batch.clone())
        .await
        .unwrap_or_else(|error| panic!("ingesting into `{workspace}`: {error}"))
}

/// Scoring data with daily usage from `usage_from` on.
pub async fn scoring_data(
    store: &dyn Store,
    workspace: &WorkspaceId,
    usage_from: &str,
) -> ScoringData {
    store
        .scoring_data(workspace, day(usage_from))
        .await
        .unwrap_or_else(|error| panic!("reading the scoring data of `{workspace}`: {error}"))
}

pub fn identity<'a>(data: &'a ScoringData, key: &str) -> &'a IdentityRecord {
    data.identities
        .iter()
        .find(|record| record.key == key)
        .unwrap_or_else(|| {
            let keys: Vec<&str> = data.identities.iter().map(|r| r.key.as_str()).collect();
            panic!("no identity `{key}` in the scoring data; it holds {keys:?}")
        })
}

pub fn account<'a>(data: &'a ScoringData, id: &str) -> &'a AccountRecord {
    data.accounts
        .iter()
        .find(|record| record.id == id)
        .unwrap_or_else(|| {
            let ids: Vec<&str> = data.accounts.iter().map(|r| r.id.as_str()).collect();
            panic!("no account `{id}` in the scoring data; it holds {ids:?}")
        })
}

/// How many times `identity` did `event` on `on` (0 when there is no row).
pub fn daily_count(data: &ScoringData, identity: &str, on: &str, event: &str) -> u64 {
    let on = day(on);
    data.usage
        .iter()
        .filter(|usage| usage.identity == identity && usage.day == on && usage.event == event)
        .map(|usage| usage.count)
        .sum()
}

pub fn lifetime<'a>(data: &'a ScoringData, identity: &str, event: &str) -> &'a LifetimeUsage {
    let rows: Vec<&LifetimeUsage> = data
        .lifetime
        .iter()
        .filter(|usage| usage.identity == identity && usage.event == event)
        .collect();
    match rows.as_slice() {
        [row] => row,
        other => panic!("expected one lifetime row for `{identity}` × `{event}`, found {other:?}"),
    }
}

/// Scoring data in a canonical order, so that two reads holding the same facts compare
/// equal whatever order an adapter returns rows in.
#[derive(Debug, PartialEq)]
pub struct CanonicalData {
    pub identities: Vec<IdentityRecord>,
    pub accounts: Vec<AccountRecord>,
    pub usage: BTreeMap<(String, Day, String), u64>,
    pub lifetime: Vec<(String, String, u64, Day, Day)>,
}

pub fn canonical(data: ScoringData) -> CanonicalData {
    let mut identities = data.identities;
    for record in &mut identities {
        record.accounts.sort();
    }
    identities.sort_by(|a, b| a.key.cmp(&b.key));
    let mut accounts = data.accounts;
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    let mut usage = BTreeMap::new();
    for row in data.usage {
        *usage.entry((row.identity, row.day, row.event)).or_default() += row.count;
    }
    let mut lifetime: Vec<_> = data
        .lifetime
        .into_iter()
        .map(|row| {
            (
                row.identity,
                row.event,
                row.count,
                row.first_day,
                row.last_day,
            )
        })
        .collect();
    lifetime.sort();
    CanonicalData {
        identities,
        accounts,
        usage,
        lifetime,
    }
}

/// Where a followed chain of links from `key` ends; panics on a cycle.
pub fn owner_of(data: &ScoringData, key: &str) -> String {
    let mut seen = vec![key.to_string()];
    let mut current = key.to_string();
    while let Some(next) = data
        .identities
        .iter()
        .find(|record| record.key == current)
        .and_then(|record| record.linked_to.clone())
    {
        assert!(
            !seen.contains(&next),
            "the links from `{key}` go round in a cycle: {seen:?} → `{next}`"
        );
        seen.push(next.clone());
        current = next;
    }
    current
}

pub fn profile(id: &str, name: &str) -> Profile {
    Profile::parse(&format!(
        "id: {id}\nname: {name}\nwindow_days: 7\nevents:\n  Report Created: 10\n  Invite Sent: 5\n"
    ))
    .unwrap_or_else(|error| panic!("fixture profile `{id}`: {error}"))
}

/// Sort keys for a subject with the given score; other numbers follow from it.
pub fn keys(score: f64, segments: &[&str]) -> SnapshotKeys {
    SnapshotKeys {
        score,
        raw_score: score * 4.0,
        score_change: None,
        activation: None,
        frequency: 1.0,
        last_seen: None,
        accounts: Vec::new(),
        segments: segments.iter().map(|segment| segment.to_string()).collect(),
    }
}

/// A stored snapshot whose body is a resource naming its subject and repeating its keys.
pub fn snapshot_of(subject: &str, keys: SnapshotKeys) -> StoredSnapshot {
    let body = json!({
        "id": subject, "score": keys.score, "raw_score": keys.raw_score,
        "score_change": keys.score_change, "activation": {"rate": keys.activation},
        "accounts": keys.accounts, "segments": keys.segments,
        "traits": {"plan": "pro", "company.name": "Acme"},
    });
    StoredSnapshot {
        subject: subject.to_string(),
        keys,
        body: body.to_string(),
    }
}

/// A subject with a score and its segments.
pub fn member(subject: &str, score: f64, segments: &[&str]) -> StoredSnapshot {
    snapshot_of(subject, keys(score, segments))
}

/// A computation of [`PROFILE`] as of `on`.
pub fn computation(
    on: &str,
    users: Vec<StoredSnapshot>,
    accounts: Vec<StoredSnapshot>,
) -> Computation {
    let on = day(on);
    Computation {
        profile: PROFILE.to_string(),
        day: on,
        computed_at: on.end_exclusive() + Duration::minutes(5),
        p90: Some(208.2),
        users,
        accounts,
    }
}

pub async fn save(
    store: &dyn Store,
    workspace: &WorkspaceId,
    computation: &Computation,
) -> Vec<SegmentTransition> {
    store
        .save_computation(workspace, computation)
        .await
        .unwrap_or_else(|error| {
            panic!(
                "saving {} as of {}: {error}",
                computation.profile, computation.day
            )
        })
}

/// A list query with a sort and a page size.
pub fn list(field: SortField, descending: bool, limit: usize) -> ListQuery {
    ListQuery {
        sort: Sort { field, descending },
        limit,
        ..ListQuery::default()
    }
}

/// The `id` of each resource of a page.
pub fn ids(page: &Page<Value>) -> Vec<String> {
    page.items
        .iter()
        .map(|body| {
            body["id"]
                .as_str()
                .unwrap_or_else(|| panic!("a listed resource has no id: {body}"))
                .to_string()
        })
        .collect()
}

/// Follows `next_cursor` to the end; returns the ids of every page, in order.
pub async fn all_pages(
    store: &dyn Store,
    workspace: &WorkspaceId,
    kind: SubjectKind,
    on: &str,
    query: &ListQuery,
) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut query = query.clone();
    loop {
        let page = store
            .snapshots(workspace, PROFILE, kind, day(on), &query)
            .await
            .unwrap_or_else(|error| {
                panic!("listing page {} of {query:?}: {error}", pages.len() + 1)
            });
        assert!(
            page.items.len() <= query.limit,
            "a page of limit {} holds {} items",
            query.limit,
            page.items.len()
        );
        pages.push(ids(&page));
        match page.next_cursor {
            Some(cursor) if pages.len() <= 1000 => query.cursor = Some(cursor),
            Some(_) => panic!("more than 1000 pages: the cursor never ends"),
            None => return pages,
        }
    }
}

pub async fn spans(
    store: &dyn Store,
    workspace: &WorkspaceId,
    kind: SubjectKind,
    filter: SpanFilter<'_>,
) -> Vec<SegmentSpan> {
    let mut spans = store
        .segment_spans(workspace, PROFILE, kind, filter)
        .await
        .unwrap_or_else(|error| panic!("reading the spans of {filter:?}: {error}"));
    spans.sort_by(|a, b| {
        (&a.segment, &a.subject, a.entered).cmp(&(&b.segment, &b.subject, b.entered))
    });
    spans
}

pub fn span(segment: &str, subject: &str, entered: &str, left: Option<&str>) -> SegmentSpan {
    SegmentSpan {
        segment: segment.to_string(),
        subject: subject.to_string(),
        entered: day(entered),
        left: left.map(day),
    }
}

pub fn transition(
    kind: SubjectKind,
    segment: &str,
    subject: &str,
    on: &str,
    entered: bool,
) -> SegmentTransition {
    SegmentTransition {
        kind,
        segment: segment.to_string(),
        subject: subject.to_string(),
        day: day(on),
        entered,
    }
}

/// Transitions in a canonical order (the port does not fix one).
pub fn sorted(mut transitions: Vec<SegmentTransition>) -> Vec<SegmentTransition> {
    transitions.sort_by(|a, b| {
        (a.kind, &a.segment, &a.subject, a.entered)
            .cmp(&(b.kind, &b.segment, &b.subject, b.entered))
    });
    transitions
}

/// A pending alert of `rule` about `subject`, raised at `raised_at`, for the `cs-alerts`
/// channel, with a domain description as a Slack message would show it.
pub fn alert_record(id: &str, rule: &str, subject: &str, raised_at: &str) -> AlertRecord {
    AlertRecord {
        id: id.to_string(),
        rule: rule.to_string(),
        subject: subject.to_string(),
        channel: Some("cs-alerts".to_string()),
        raised_at: at(raised_at),
        status: AlertStatus::Pending,
        next_attempt_at: None,
        alert: json!({
            "headline": format!("{subject} triggered {rule}"),
            "facts": [{"name": "score", "value": 72.5}, {"name": "change", "value": -12}],
            "segment": null,
        }),
        attempts: Vec::new(),
    }
}

/// Records alerts; returns the ids the store reports as new, sorted.
pub async fn insert_alerts(
    store: &dyn Store,
    workspace: &WorkspaceId,
    alerts: &[AlertRecord],
) -> Vec<String> {
    let mut ids = store
        .insert_alerts(workspace, alerts)
        .await
        .unwrap_or_else(|error| panic!("inserting alerts into `{workspace}`: {error}"));
    ids.sort();
    ids
}

pub async fn read_alert(
    store: &dyn Store,
    workspace: &WorkspaceId,
    id: &str,
) -> Option<AlertRecord> {
    store
        .alert(workspace, id)
        .await
        .unwrap_or_else(|error| panic!("reading alert `{id}` of `{workspace}`: {error}"))
}
