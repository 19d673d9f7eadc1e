//! Each account's first use of a watched event (core features), as SQLite reports it: a use
//! counts for every account of the user who made it — the identity's links are followed up
//! to the user, then down through the identities linked to it (the reverse link items), and
//! the memberships of all of them count. For each (account, event), the earliest use in the
//! batch is recorded with a conditional Put of one item.
//!
//! Crash safety: the item remembers the call (message id) whose use it records and when the
//! batch was accepted. A retry of an uncommitted batch (that call still new, accepted less
//! than the de-duplication window ago) reports the item again instead of losing it; any
//! other batch finds the first use taken.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::Retry;
use crate::dynamodb::attrs::{Item, get_n, get_s, item, n, s};
use crate::dynamodb::concurrent;
use crate::dynamodb::db::{Condition, Db, QuerySpec, Range, WriteError};
use crate::dynamodb::keys::{self, Key, entity};
use crate::dynamodb::records::{IdentityItem, MembershipItem};
use crate::error::StoreError;
use crate::types::{AcceptedCall, IngestChange};

/// Links followed at most (as SQLite's recursive queries).
const MAX_DEPTH: usize = 64;

/// One use to record: when, by which identity, through which call.
#[derive(Clone, Debug)]
struct Use<'a> {
    at: DateTime<Utc>,
    identity: &'a str,
    message_id: &'a str,
}

/// What the batch knows of the attempt, for telling a crashed attempt's items apart.
pub(super) struct Attempt<'a> {
    pub workspace: &'a str,
    pub received_ms: i64,
    pub window_start_ms: i64,
    pub new_ids: &'a HashSet<&'a str>,
}

/// The identities whose links first uses may follow up from: those with watched events.
pub(super) fn watched_identities<'a>(
    calls: impl IntoIterator<Item = &'a AcceptedCall>,
    watched: &[String],
) -> BTreeSet<String> {
    calls
        .into_iter()
        .filter(|accepted| {
            accepted
                .call
                .event
                .as_ref()
                .is_some_and(|event| watched.iter().any(|w| w == event.as_str()))
        })
        .map(|accepted| accepted.call.identity().storage_key())
        .collect()
}

pub(super) async fn apply_first_uses(
    db: &Db,
    attempt: &Attempt<'_>,
    calls: &[&AcceptedCall],
    watched: &[String],
    found: &HashMap<Key, Item>,
    identities: &HashMap<String, IdentityItem>,
) -> Result<Vec<IngestChange>, Retry> {
    // The earliest use of each watched event by each identity (the first call wins a tie).
    let mut earliest: BTreeMap<(String, &str), (DateTime<Utc>, &str)> = BTreeMap::new();
    for accepted in calls {
        let call = &accepted.call;
        let Some(event) = &call.event else { continue };
        if !watched.iter().any(|w| w == event.as_str()) {
            continue;
        }
        let entry = earliest
            .entry((call.identity().storage_key(), event.as_str()))
            .or_insert((call.timestamp, &accepted.message_id));
        if call.timestamp < entry.0 {
            *entry = (call.timestamp, &accepted.message_id);
        }
    }
    if earliest.is_empty() {
        return Ok(Vec::new());
    }
    // Step 1 read the `I#` item of every identity with a watched event: one it did not
    // find has no link.
    let read_before = watched_identities(calls.iter().copied(), watched);
    let users = Users::new(db, attempt.workspace, found, identities, read_before);
    let with_uses: BTreeSet<String> = earliest
        .keys()
        .map(|(identity, _)| identity.clone())
        .collect();
    let accounts_of = users.accounts_of(&with_uses).await?;
    // Per (account, event): the earliest use of any of its members (ties: identity order).
    let mut firsts: BTreeMap<(&str, &str), Use> = BTreeMap::new();
    for ((identity, event), (at, message_id)) in &earliest {
        let candidate = Use {
            at: *at,
            identity,
            message_id,
        };
        for account in &accounts_of[identity] {
            let entry = firsts
                .entry((account.as_str(), event))
                .or_insert_with(|| candidate.clone());
            if candidate.at < entry.at {
                *entry = candidate.clone();
            }
        }
    }
    let keys_wanted: Vec<Key> = firsts
        .keys()
        .map(|(account, event)| keys::first_use(attempt.workspace, account, event))
        .collect();
    let recorded = db.batch_get(&keys_wanted).await?;
    let mut changes = Vec::new();
    let mut creates = Vec::new();
    for ((account, event), first) in &firsts {
        let key = keys::first_use(attempt.workspace, account, event);
        match recorded.get(&key) {
            Some(item) => changes.extend(reported_again(item, attempt)?),
            None => {
                let mut record = item(&key, entity::FIRST_USE);
                record.insert("account".into(), s(*account));
                record.insert("event".into(), s(*event));
                record.insert("at".into(), n(first.at.timestamp_millis()));
                record.insert("identity".into(), s(first.identity));
                record.insert("by".into(), s(first.message_id));
                record.insert("acc".into(), n(attempt.received_ms));
                let change = IngestChange::FeatureFirstUsed {
                    account: account.to_string(),
                    event: event.to_string(),
                    identity: first.identity.to_string(),
                    at: first.at,
                };
                let db = db.clone();
                creates.push(async move {
                    let result = db.put(record, Condition::New, 0).await;
                    (key, change, result)
                });
            }
        }
    }
    for (key, change, result) in concurrent::all(creates).await? {
        match result {
            Ok(()) => changes.push(change),
            // Another batch recorded it meanwhile (or a racing attempt of this one).
            Err(WriteError::ConditionFailed) => {
                if let Some(item) = db.get(&key).await? {
                    changes.extend(reported_again(&item, attempt)?);
                }
            }
            Err(WriteError::Store(error)) => return Err(Retry::Failed(error)),
        }
    }
    changes.sort_by(|a, b| order(a).cmp(&order(b)));
    Ok(changes)
}

fn order(change: &IngestChange) -> (&str, &str) {
    match change {
        IngestChange::FeatureFirstUsed { account, event, .. } => (account, event),
        _ => ("", ""),
    }
}

/// A recorded first use is this attempt's to report when the call that made it is still
/// new here and was accepted within the window: an earlier attempt of this batch crashed
/// before committing it.
fn reported_again(item: &Item, attempt: &Attempt<'_>) -> Result<Option<IngestChange>, StoreError> {
    let by = get_s(item, "by")?;
    let accepted: i64 = get_n(item, "acc")?;
    if !attempt.new_ids.contains(by) || accepted < attempt.window_start_ms {
        return Ok(None);
    }
    let at: i64 = get_n(item, "at")?;
    Ok(Some(IngestChange::FeatureFirstUsed {
        account: get_s(item, "account")?.to_string(),
        event: get_s(item, "event")?.to_string(),
        identity: get_s(item, "identity")?.to_string(),
        at: DateTime::from_timestamp_millis(at)
            .ok_or_else(|| StoreError::corrupt(format!("first use time {at}")))?,
    }))
}

/// Links and memberships as this attempt sees them: its own writes first, then the table.
/// Every identity of the batch is resolved at once, a level of links at a time, so a batch
/// of many users costs a few round trips, not a few per user.
struct Users<'a> {
    db: &'a Db,
    workspace: &'a str,
    /// Identity → what it is linked to (`None`: nothing).
    linked_to: HashMap<String, Option<String>>,
}

impl<'a> Users<'a> {
    fn new(
        db: &'a Db,
        workspace: &'a str,
        found: &HashMap<Key, Item>,
        identities: &HashMap<String, IdentityItem>,
        read_before: BTreeSet<String>,
    ) -> Users<'a> {
        let mut linked_to: HashMap<String, Option<String>> = read_before
            .into_iter()
            .map(|identity| (identity, None))
            .collect();
        for item in found.values() {
            if item.get(keys::ENTITY) == Some(&s(entity::IDENTITY))
                && let Ok(record) = IdentityItem::from_item(item)
            {
                linked_to.insert(record.identity, record.linked_to);
            }
        }
        for (identity, record) in identities {
            linked_to.insert(identity.clone(), record.linked_to.clone());
        }
        Users {
            db,
            workspace,
            linked_to,
        }
    }

    /// The accounts a use by each of `identities` counts for.
    async fn accounts_of(
        mut self,
        identities: &BTreeSet<String>,
    ) -> Result<HashMap<String, BTreeSet<String>>, StoreError> {
        let user_of = self.users_of(identities).await?;
        let users: BTreeSet<&str> = user_of.values().map(String::as_str).collect();
        let linked = self.linked_to_users(&users).await?;
        let everyone: BTreeSet<&str> = linked.values().flatten().map(String::as_str).collect();
        let reads = everyone
            .iter()
            .map(|member| {
                let db = self.db.clone();
                let spec = QuerySpec::table(
                    keys::identity(self.workspace, member).pk,
                    Range::Prefix(keys::memberships_prefix(member)),
                );
                async move { db.query(&spec).await }
            })
            .collect();
        let mut memberships: HashMap<&str, Vec<String>> = HashMap::new();
        for (member, items) in everyone.iter().zip(concurrent::all(reads).await?) {
            for item in items? {
                memberships
                    .entry(member)
                    .or_default()
                    .push(MembershipItem::from_item(&item)?.account);
            }
        }
        Ok(user_of
            .into_iter()
            .map(|(identity, user)| {
                let accounts = linked[&user]
                    .iter()
                    .filter_map(|member| memberships.get(member.as_str()))
                    .flatten()
                    .cloned()
                    .collect();
                (identity, accounts)
            })
            .collect())
    }

    /// Each identity's user: its links followed to their end, the unknown links of all
    /// chains read together (one BatchGetItem per level).
    async fn users_of(
        &mut self,
        identities: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, String>, StoreError> {
        let mut chains: BTreeMap<String, (String, HashSet<String>)> = identities
            .iter()
            .map(|identity| {
                (
                    identity.clone(),
                    (identity.clone(), HashSet::from([identity.clone()])),
                )
            })
            .collect();
        let mut ended = BTreeMap::new();
        for _ in 0..MAX_DEPTH {
            let unknown: Vec<Key> = chains
                .values()
                .filter(|(current, _)| !self.linked_to.contains_key(current))
                .map(|(current, _)| keys::identity(self.workspace, current))
                .collect();
            let fetched = self.db.batch_get(&unknown).await?;
            for (current, _) in chains.values() {
                if !self.linked_to.contains_key(current) {
                    let link = match fetched.get(&keys::identity(self.workspace, current)) {
                        Some(item) => IdentityItem::from_item(item)?.linked_to,
                        None => None,
                    };
                    self.linked_to.insert(current.clone(), link);
                }
            }
            let mut still = BTreeMap::new();
            for (identity, (current, mut seen)) in std::mem::take(&mut chains) {
                match &self.linked_to[&current] {
                    Some(next) if seen.insert(next.clone()) => {
                        still.insert(identity, (next.clone(), seen));
                    }
                    _ => {
                        ended.insert(identity, current);
                    }
                }
            }
            chains = still;
            if chains.is_empty() {
                break;
            }
        }
        ended.extend(
            chains
                .into_iter()
                .map(|(identity, (current, _))| (identity, current)),
        );
        Ok(ended)
    }

    /// Each user with every identity whose links lead to it: the reverse link items, a
    /// level at a time for all users at once.
    async fn linked_to_users(
        &self,
        users: &BTreeSet<&str>,
    ) -> Result<HashMap<String, BTreeSet<String>>, StoreError> {
        let mut linked: HashMap<String, BTreeSet<String>> = users
            .iter()
            .map(|user| (user.to_string(), BTreeSet::from([user.to_string()])))
            .collect();
        let mut level: Vec<(String, String)> = users
            .iter()
            .map(|user| (user.to_string(), user.to_string()))
            .collect();
        for _ in 0..MAX_DEPTH {
            if level.is_empty() {
                break;
            }
            let reads = level
                .iter()
                .map(|(_, target)| {
                    let db = self.db.clone();
                    let spec =
                        QuerySpec::table(keys::links_partition(self.workspace, target), Range::All);
                    async move { db.query(&spec).await }
                })
                .collect();
            let mut next = Vec::new();
            for ((user, _), items) in level.iter().zip(concurrent::all(reads).await?) {
                for item in items? {
                    let source = get_s(&item, "source")?.to_string();
                    let members = linked.get_mut(user).expect("every user has a set");
                    if members.insert(source.clone()) {
                        next.push((user.clone(), source));
                    }
                }
            }
            level = next;
        }
        Ok(linked)
    }
}
