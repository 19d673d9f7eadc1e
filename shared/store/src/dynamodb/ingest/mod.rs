//! Storing a batch: exact message-id de-duplication and crash-safe, merged aggregate writes
//! (README, "Ingestion"). In order, each step idempotent:
//!
//! 1. read every item the batch may change (activity, usage, traits, accounts, memberships);
//! 2. then read each identity's message-id log of the last 7 days: ids found there are
//!    duplicates; the others are this attempt's new calls;
//! 3. write each identity's activity, then its usage and traits — whole items, each under
//!    its version, each recording the calls it absorbed as pending markers and dropping the
//!    markers of calls the log shows committed;
//! 4. links (with their reverse items), accounts and memberships, then first uses of
//!    watched events (idempotent; a membership or a first use remembers the call that
//!    created it, so a retry of that call reports it again);
//! 5. announce what the batch changed (when asked to), then commit: one log item per
//!    identity with the new message ids. Announcing first means a commit whose answer is
//!    lost has announced already; a failed announcement fails the attempt uncommitted.
//!
//! A crash anywhere leaves the new calls uncommitted; their retry finds in each item which
//! of them it already absorbed. Reading the items before the log is what makes that exact:
//! a marker is only dropped by a writer that saw its call committed, so a marker missing at
//! step 1 means either "never applied" or "committed, and visible at step 2". A version
//! conflict (a concurrent batch of the same identity) restarts the attempt.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::Duration;
use pulse_core::Day;
use pulse_core::call::CallType;
use sha2::{Digest, Sha256};

use super::attrs::{Item, check_size};
use super::concurrent;
use super::db::{Condition, Db, QuerySpec, Range, Write, WriteError};
use super::keys::{self, Key};
use super::pending::{Fingerprint, Marker, fingerprint};
use super::records::{ActivityItem, IdentityItem, Lifetime, UsageItem, message_log_item};
use crate::error::StoreError;
use crate::port::Announce;
use crate::types::{AcceptedCall, DEDUPLICATION_DAYS, IngestBatch, IngestOutcome};

mod first_uses;
mod relations;

use first_uses::{Attempt, apply_first_uses, watched_identities};
use relations::{apply_accounts, apply_links, links_of};

/// Attempts before concurrent writers to the same identities make a batch give up (503).
const MAX_ATTEMPTS: u32 = 10;
/// Message-log items outlive the window by a day: TTL deletes late, and the window is
/// checked on every read anyway.
const LOG_TTL_DAYS: i64 = DEDUPLICATION_DAYS + 1;

enum Retry {
    /// An item changed under this attempt: start again from the reads.
    Conflict,
    /// Pending markers pinned calls to days whose usage was not read: read them too.
    ReadUsage(Vec<(String, Day)>),
    Failed(StoreError),
}

impl From<StoreError> for Retry {
    fn from(error: StoreError) -> Self {
        Retry::Failed(error)
    }
}

impl From<WriteError> for Retry {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::ConditionFailed => Retry::Conflict,
            WriteError::Store(error) => Retry::Failed(error),
        }
    }
}

/// The batch, de-duplicated within itself and grouped by the identity each call is about.
struct Plan<'a> {
    workspace: &'a str,
    received_ms: i64,
    window_start_ms: i64,
    calls: Vec<&'a AcceptedCall>,
    in_batch_duplicates: usize,
    /// Events whose first use by an account is reported.
    watched: &'a [String],
    /// Identity (storage key) → indexes into `calls`, in call order.
    groups: BTreeMap<String, Vec<usize>>,
}

impl<'a> Plan<'a> {
    fn new(workspace: &'a str, batch: &'a IngestBatch) -> Plan<'a> {
        let mut seen = HashSet::new();
        let mut calls = Vec::new();
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for accepted in &batch.calls {
            if !seen.insert(accepted.message_id.as_str()) {
                continue;
            }
            groups
                .entry(accepted.call.identity().storage_key())
                .or_default()
                .push(calls.len());
            calls.push(accepted);
        }
        let received_ms = batch.received_at.timestamp_millis();
        Plan {
            workspace,
            received_ms,
            window_start_ms: (batch.received_at - Duration::days(DEDUPLICATION_DAYS))
                .timestamp_millis(),
            in_batch_duplicates: batch.calls.len() - calls.len(),
            watched: &batch.first_use_events,
            calls,
            groups,
        }
    }
}

pub(crate) async fn ingest(
    db: &Db,
    workspace: &str,
    batch: &IngestBatch,
    announce: Option<&dyn Announce>,
) -> Result<IngestOutcome, StoreError> {
    let plan = Plan::new(workspace, batch);
    let mut extra_usage: BTreeSet<(String, Day)> = BTreeSet::new();
    let mut conflicts = 0;
    loop {
        match attempt(db, &plan, &extra_usage, announce).await {
            Ok(outcome) => return Ok(outcome),
            Err(Retry::Failed(error)) => return Err(error),
            Err(Retry::ReadUsage(more)) => extra_usage.extend(more),
            Err(Retry::Conflict) => {
                conflicts += 1;
                if conflicts >= MAX_ATTEMPTS {
                    return Err(StoreError::Unavailable(
                        "other batches keep changing the same identities; retry the request".into(),
                    ));
                }
                let ceiling = std::time::Duration::from_millis(10 << conflicts.min(6));
                tokio::time::sleep(ceiling.mul_f64(super::db::random_fraction())).await;
            }
        }
    }
}

async fn attempt(
    db: &Db,
    plan: &Plan<'_>,
    extra_usage: &BTreeSet<(String, Day)>,
    announce: Option<&dyn Announce>,
) -> Result<IngestOutcome, Retry> {
    let workspace = plan.workspace;
    // 1. Every item the batch may change, before the log (see the module comment).
    let mut wanted: Vec<Key> = Vec::new();
    for identity in plan.groups.keys() {
        wanted.push(keys::activity(workspace, identity));
    }
    for accepted in &plan.calls {
        let call = &accepted.call;
        let identity = call.identity().storage_key();
        if call.event.is_some() {
            wanted.push(keys::usage(workspace, &identity, Day::of(call.timestamp)));
        }
        if call.call_type == CallType::Identify {
            wanted.push(keys::identity(workspace, &identity));
        }
        for (source, target) in links_of(call) {
            wanted.push(keys::identity(workspace, &source));
            wanted.push(keys::identity(workspace, &target));
        }
        if let Some(account) = &call.group_id {
            wanted.push(keys::account(workspace, account));
            wanted.push(keys::membership(workspace, &identity, account));
        }
    }
    for (identity, day) in extra_usage {
        wanted.push(keys::usage(workspace, identity, *day));
    }
    // First uses start from the links of the identities that used a watched event.
    for identity in watched_identities(plan.calls.iter().copied(), plan.watched) {
        wanted.push(keys::identity(workspace, &identity));
    }
    let requested: HashSet<Key> = wanted.iter().cloned().collect();
    let found = db.batch_get(&wanted).await?;

    // 2. The message-id logs, then which calls are new.
    let committed = read_logs(db, plan).await?;
    let mut outcome = IngestOutcome {
        duplicates: plan.in_batch_duplicates,
        ..IngestOutcome::default()
    };
    let mut new_calls: BTreeMap<&str, Vec<&AcceptedCall>> = BTreeMap::new();
    for (identity, indexes) in &plan.groups {
        let known = committed.get(identity);
        for index in indexes {
            let accepted = plan.calls[*index];
            if known.is_some_and(|ids| ids.contains(&accepted.message_id)) {
                outcome.duplicates += 1;
            } else {
                new_calls.entry(identity).or_default().push(accepted);
            }
        }
    }
    outcome.stored = new_calls.values().map(Vec::len).sum();
    if outcome.stored == 0 {
        return Ok(outcome);
    }
    let new_ids: HashSet<&str> = new_calls
        .values()
        .flatten()
        .map(|accepted| accepted.message_id.as_str())
        .collect();
    let committed_fingerprints: HashMap<&str, HashSet<Fingerprint>> = committed
        .iter()
        .map(|(identity, ids)| {
            (
                identity.as_str(),
                ids.iter().map(|id| fingerprint(id)).collect(),
            )
        })
        .collect();
    let no_fingerprints = HashSet::new();
    let committed_of = |identity: &str| {
        committed_fingerprints
            .get(identity)
            .unwrap_or(&no_fingerprints)
    };

    // 3a. Activity first: its markers pin each absorbed event to the day it counted on.
    let mut activity_writes = Vec::new();
    let mut usage_deltas: BTreeMap<(String, Day), Vec<(&str, Fingerprint)>> = BTreeMap::new();
    for (identity, calls) in &new_calls {
        let key = keys::activity(workspace, identity);
        let mut activity = match found.get(&key) {
            Some(item) => ActivityItem::from_item(item)?,
            None => ActivityItem::new(identity),
        };
        let old_size = activity.size;
        // Markers of committed or expired calls go; pruning alone is not worth a write.
        activity
            .pending
            .prune(committed_of(identity), plan.window_start_ms);
        let mut changed = false;
        for accepted in calls {
            let call = &accepted.call;
            let at = call.timestamp.timestamp_millis();
            if activity.first_seen.is_none_or(|seen| at < seen) {
                activity.first_seen = Some(at);
                changed = true;
            }
            let Some(event) = &call.event else { continue };
            let marker = fingerprint(&accepted.message_id);
            let day = match activity.pending.find(&marker) {
                Some(absorbed) => absorbed.day,
                None => {
                    let day = Day::of(call.timestamp);
                    if activity.last_event.is_none_or(|last| at > last) {
                        activity.last_event = Some(at);
                    }
                    activity.days.insert(day);
                    let life = activity
                        .lifetime
                        .entry(event.as_str().to_string())
                        .or_insert(Lifetime {
                            count: 0,
                            first_day: day,
                            last_day: day,
                        });
                    life.count += 1;
                    life.first_day = life.first_day.min(day);
                    life.last_day = life.last_day.max(day);
                    activity.pending.push(Marker {
                        fingerprint: marker,
                        day,
                        accepted_ms: plan.received_ms,
                    });
                    changed = true;
                    day
                }
            };
            usage_deltas
                .entry((identity.to_string(), day))
                .or_default()
                .push((event.as_str(), marker));
        }
        if changed {
            let item = activity.to_item(workspace);
            check_size(&item, &format!("the activity of `{identity}`"))?;
            activity_writes.push((item, Condition::from_version(activity.version), old_size));
        }
    }
    let missing: Vec<(String, Day)> = usage_deltas
        .keys()
        .filter(|(identity, day)| !requested.contains(&keys::usage(workspace, identity, *day)))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(Retry::ReadUsage(missing));
    }

    // 3b. Usage per identity and day, and traits, each skipping what it already absorbed.
    let mut writes = Vec::new();
    for ((identity, day), events) in &usage_deltas {
        let key = keys::usage(workspace, identity, *day);
        let mut usage = match found.get(&key) {
            Some(item) => UsageItem::from_item(item)?,
            None => UsageItem::new(identity, *day),
        };
        let old_size = usage.size;
        usage
            .pending
            .prune(committed_of(identity), plan.window_start_ms);
        let mut changed = false;
        for (event, marker) in events {
            if usage.pending.find(marker).is_some() {
                continue;
            }
            *usage.counts.entry(event.to_string()).or_default() += 1;
            usage.pending.push(Marker {
                fingerprint: *marker,
                day: *day,
                accepted_ms: plan.received_ms,
            });
            changed = true;
        }
        if changed {
            let item = usage.to_item(workspace);
            check_size(&item, &format!("the usage of `{identity}` on {day}"))?;
            writes.push((item, Condition::from_version(usage.version), old_size));
        }
    }
    let mut identities: HashMap<String, IdentityItem> = HashMap::new();
    for (identity, calls) in &new_calls {
        let identifies: Vec<&&AcceptedCall> = calls
            .iter()
            .filter(|accepted| {
                accepted.call.call_type == CallType::Identify && !accepted.call.traits.is_empty()
            })
            .collect();
        if identifies.is_empty() {
            continue;
        }
        let mut record = identity_item(&found, workspace, identity)?;
        let old_size = record.size;
        record
            .pending
            .prune(committed_of(identity), plan.window_start_ms);
        let mut changed = false;
        for accepted in identifies {
            let marker = fingerprint(&accepted.message_id);
            if record.pending.find(&marker).is_some() {
                continue;
            }
            record.traits.extend(accepted.call.traits.clone());
            record.pending.push(Marker {
                fingerprint: marker,
                day: Day::of(accepted.call.timestamp),
                accepted_ms: plan.received_ms,
            });
            changed = true;
        }
        if changed {
            let item = record.to_item(workspace);
            check_size(&item, &format!("the traits of `{identity}`"))?;
            record.size = super::attrs::item_size(&item);
            writes.push((item, Condition::from_version(record.version), old_size));
            record.version += 1;
        }
        identities.insert(identity.to_string(), record);
    }
    put_all(db, activity_writes).await?;
    put_all(db, writes).await?;

    // 4. Links, then accounts and memberships.
    let calls_in_order: Vec<&AcceptedCall> = plan
        .calls
        .iter()
        .copied()
        .filter(|accepted| new_ids.contains(accepted.message_id.as_str()))
        .collect();
    apply_links(db, workspace, &calls_in_order, &found, &mut identities).await?;
    outcome.changes = apply_accounts(db, workspace, &calls_in_order, &found, &new_ids).await?;
    if !plan.watched.is_empty() {
        let attempt = Attempt {
            workspace,
            received_ms: plan.received_ms,
            window_start_ms: plan.window_start_ms,
            new_ids: &new_ids,
        };
        let firsts = apply_first_uses(
            db,
            &attempt,
            &calls_in_order,
            plan.watched,
            &found,
            &identities,
        )
        .await?;
        outcome.changes.extend(firsts);
    }

    // 5. Announce, then commit: the new message ids of each identity, in one log item.
    if let Some(announce) = announce
        && !outcome.changes.is_empty()
    {
        announce
            .announce(&outcome.changes)
            .await
            .map_err(Retry::Failed)?;
    }
    let expires_at = (plan.received_ms / 1000) + LOG_TTL_DAYS * 86_400;
    let mut commits = Vec::new();
    for (identity, calls) in &new_calls {
        let mut ids: Vec<String> = calls
            .iter()
            .map(|accepted| accepted.message_id.clone())
            .collect();
        ids.sort();
        let item = message_log_item(
            workspace,
            identity,
            plan.received_ms,
            &token(&ids),
            &ids,
            expires_at,
        );
        check_size(&item, &format!("the message ids of `{identity}`"))?;
        commits.push(Write::Put(item));
    }
    db.batch_write(commits).await?;
    Ok(outcome)
}

/// The message ids each identity of the batch committed within the window.
async fn read_logs(
    db: &Db,
    plan: &Plan<'_>,
) -> Result<HashMap<String, HashSet<String>>, StoreError> {
    let from = keys::millis(plan.window_start_ms);
    let reads = plan
        .groups
        .keys()
        .map(|identity| {
            let db = db.clone();
            let spec = QuerySpec::table(
                keys::messages_partition(plan.workspace, identity),
                Range::From(from.clone()),
            );
            let identity = identity.clone();
            async move { (identity, db.query(&spec).await) }
        })
        .collect();
    let mut committed = HashMap::new();
    for (identity, items) in concurrent::all(reads).await? {
        let mut ids = HashSet::new();
        for item in items? {
            ids.extend(super::attrs::strings(&item, "ids")?);
        }
        committed.insert(identity, ids);
    }
    Ok(committed)
}

async fn put_all(db: &Db, writes: Vec<(Item, Condition, usize)>) -> Result<(), Retry> {
    let puts = writes
        .into_iter()
        .map(|(item, condition, old_size)| {
            let db = db.clone();
            async move { db.put(item, condition, old_size).await }
        })
        .collect();
    let mut conflict = false;
    for result in concurrent::all(puts).await? {
        match result {
            Ok(()) => {}
            Err(WriteError::ConditionFailed) => conflict = true,
            Err(WriteError::Store(error)) => return Err(Retry::Failed(error)),
        }
    }
    if conflict {
        return Err(Retry::Conflict);
    }
    Ok(())
}

fn identity_item(
    found: &HashMap<Key, Item>,
    workspace: &str,
    identity: &str,
) -> Result<IdentityItem, StoreError> {
    match found.get(&keys::identity(workspace, identity)) {
        Some(item) => IdentityItem::from_item(item),
        None => Ok(IdentityItem::new(identity)),
    }
}

/// Names one identity's log item of a batch: the same ids always give the same key, so a
/// concurrent duplicate commit overwrites instead of adding.
fn token(sorted_ids: &[String]) -> String {
    let mut hasher = Sha256::new();
    for id in sorted_ids {
        hasher.update(id.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
