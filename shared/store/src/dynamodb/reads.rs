//! Workspaces, keys, profiles, the scoring inputs and the purge of old message ids.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use pulse_core::records::{
    AccountRecord, DailyUsage, IdentityRecord, LifetimeUsage, Membership, ScoringData,
};
use pulse_core::{Day, Profile, Slug};

use super::attrs::{Item, get_s, item, n, opt_n, s, strings};
use super::concurrent;
use super::db::{Condition, Db, QuerySpec, Range, Write, WriteError};
use super::keys::{self, SHARDS, entity};
use super::records::{AccountItem, ActivityItem, IdentityItem, MembershipItem, UsageItem};
use crate::error::StoreError;
use crate::types::{ApiKeyRecord, KeyKind, Workspace};

pub(crate) async fn create_workspace(
    db: &Db,
    workspace: &Workspace,
    api_keys: &[ApiKeyRecord],
) -> Result<(), StoreError> {
    let mut record = item(&keys::workspace(workspace.id.as_str()), entity::WORKSPACE);
    record.insert("id".into(), s(workspace.id.as_str()));
    record.insert("name".into(), s(&workspace.name));
    record.insert("created_at".into(), s(workspace.created_at.to_rfc3339()));
    let mut puts = vec![(record, Condition::New)];
    for key in api_keys {
        let mut record = item(&keys::api_key(&key.hash), entity::API_KEY);
        record.insert("hash".into(), s(&key.hash));
        record.insert("workspace".into(), s(key.workspace.as_str()));
        record.insert("kind".into(), s(key.kind.as_str()));
        record.insert("created_at".into(), s(key.created_at.to_rfc3339()));
        puts.push((record, Condition::New));
    }
    // The workspace and its first keys at once: a refused create stores no key. (Beyond
    // 99 keys, the rest follow in further transactions.)
    let mut rest = puts.split_off(puts.len().min(super::db::MAX_TRANSACT_ITEMS));
    let mut first = true;
    loop {
        match db.transact_put(puts).await {
            Ok(()) => {}
            Err(WriteError::ConditionFailed) if first => {
                return Err(StoreError::AlreadyExists(format!(
                    "workspace `{}`",
                    workspace.id
                )));
            }
            Err(WriteError::ConditionFailed) => {
                return Err(StoreError::AlreadyExists(
                    "an API key with that hash".into(),
                ));
            }
            Err(WriteError::Store(error)) => return Err(error),
        }
        first = false;
        if rest.is_empty() {
            return Ok(());
        }
        let later = rest.split_off(rest.len().min(super::db::MAX_TRANSACT_ITEMS));
        puts = std::mem::replace(&mut rest, later);
    }
}

fn workspace_from(item: &Item) -> Result<Workspace, StoreError> {
    Ok(Workspace {
        id: Slug::parse(get_s(item, "id")?).map_err(StoreError::corrupt)?,
        name: get_s(item, "name")?.to_string(),
        created_at: time(get_s(item, "created_at")?)?,
    })
}

fn time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    Ok(DateTime::parse_from_rfc3339(text)
        .map_err(StoreError::corrupt)?
        .to_utc())
}

pub(crate) async fn workspace(db: &Db, id: &str) -> Result<Option<Workspace>, StoreError> {
    db.get(&keys::workspace(id))
        .await?
        .map(|item| workspace_from(&item))
        .transpose()
}

pub(crate) async fn workspaces(db: &Db) -> Result<Vec<Workspace>, StoreError> {
    db.query(&QuerySpec::table(keys::WORKSPACES, Range::All))
        .await?
        .iter()
        .map(workspace_from)
        .collect()
}

pub(crate) async fn key_by_hash(db: &Db, hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
    let Some(item) = db.get(&keys::api_key(hash)).await? else {
        return Ok(None);
    };
    let kind = get_s(&item, "kind")?;
    Ok(Some(ApiKeyRecord {
        hash: hash.to_string(),
        workspace: Slug::parse(get_s(&item, "workspace")?).map_err(StoreError::corrupt)?,
        kind: KeyKind::parse(kind)
            .ok_or_else(|| StoreError::corrupt(format!("key kind {kind}")))?,
        created_at: time(get_s(&item, "created_at")?)?,
    }))
}

// --- profiles ------------------------------------------------------------------------------

pub(crate) async fn put_profile(
    db: &Db,
    workspace: &str,
    profile: &Profile,
) -> Result<(), StoreError> {
    let body = serde_json::to_string(profile).expect("profiles serialize");
    let values = HashMap::from([
        (":body".to_string(), s(body)),
        (":id".to_string(), s(profile.id.as_str())),
        (":et".to_string(), s(entity::PROFILE)),
    ]);
    db.update(
        &keys::profile(workspace, profile.id.as_str()),
        "SET body = :body, id = :id, et = :et",
        None,
        values,
        false,
    )
    .await
    .map_err(write_error)?;
    Ok(())
}

fn profile_from(item: &Item) -> Result<Option<Profile>, StoreError> {
    super::attrs::json(item, "body")
}

pub(crate) async fn profile(
    db: &Db,
    workspace: &str,
    id: &str,
) -> Result<Option<Profile>, StoreError> {
    match db.get(&keys::profile(workspace, id)).await? {
        Some(item) => profile_from(&item),
        None => Ok(None),
    }
}

pub(crate) async fn profiles(db: &Db, workspace: &str) -> Result<Vec<Profile>, StoreError> {
    let items = db
        .query(&QuerySpec::table(
            keys::workspace_partition(workspace),
            Range::Prefix(keys::PROFILE_PREFIX.into()),
        ))
        .await?;
    let mut all = Vec::new();
    for item in &items {
        all.extend(profile_from(item)?);
    }
    Ok(all)
}

/// The generation a profile's results live under (0 until it is first deleted).
pub(crate) async fn generation(db: &Db, workspace: &str, profile: &str) -> Result<u64, StoreError> {
    Ok(match db.get(&keys::profile(workspace, profile)).await? {
        Some(item) => opt_n(&item, "gen")?.unwrap_or(0),
        None => 0,
    })
}

/// Removes the profile's body and moves its results to the next generation, at once.
/// Returns whether there was a profile, and the generation whose results are now garbage.
pub(crate) async fn retire_profile(
    db: &Db,
    workspace: &str,
    id: &str,
) -> Result<(bool, u64), StoreError> {
    let values = HashMap::from([
        (":zero".to_string(), n(0)),
        (":one".to_string(), n(1)),
        (":id".to_string(), s(id)),
        (":et".to_string(), s(entity::PROFILE)),
    ]);
    let old = db
        .update(
            &keys::profile(workspace, id),
            "SET gen = if_not_exists(gen, :zero) + :one, id = :id, et = :et REMOVE body",
            None,
            values,
            true,
        )
        .await
        .map_err(write_error)?;
    let existed = old.as_ref().is_some_and(|item| item.contains_key("body"));
    let generation = match &old {
        Some(item) => opt_n(item, "gen")?.unwrap_or(0),
        None => 0,
    };
    Ok((existed, generation))
}

pub(crate) fn write_error(error: WriteError) -> StoreError {
    match error {
        WriteError::ConditionFailed => {
            StoreError::Unavailable("a concurrent write changed the item; retry".into())
        }
        WriteError::Store(error) => error,
    }
}

// --- scoring inputs ------------------------------------------------------------------------

/// The given shard partitions of a workspace, read with one Query each, all at once.
async fn read_shards(
    db: &Db,
    shards: &[u32],
    partition: impl Fn(u32) -> String,
    range: Range,
) -> Result<Vec<Item>, StoreError> {
    let reads = shards
        .iter()
        .map(|shard| {
            let db = db.clone();
            let spec = QuerySpec::table(partition(*shard), range.clone());
            async move { db.query(&spec).await }
        })
        .collect();
    let mut items = Vec::new();
    for page in concurrent::all(reads).await? {
        items.extend(page?);
    }
    Ok(items)
}

fn all_shards() -> Vec<u32> {
    (0..SHARDS).collect()
}

pub(crate) async fn scoring_data(
    db: &Db,
    workspace: &str,
    usage_from: Day,
) -> Result<ScoringData, StoreError> {
    let shards = all_shards();
    let (mut data, accounts) = tokio::try_join!(
        identities_and_usage(db, workspace, usage_from, &shards),
        account_records(db, workspace),
    )?;
    data.accounts = accounts;
    Ok(data)
}

/// Recompute shard `shard` of `shards`: the identity and usage partitions `p` with
/// `p % shards == shard`, and nothing else. Every row of an identity (traits, activity and
/// its lifetime counts, memberships, daily usage) is in the partitions numbered by the
/// shard of its own key (`keys.rs` tests it), so the split is exact.
pub(crate) async fn scoring_data_shard(
    db: &Db,
    workspace: &str,
    usage_from: Day,
    shard: u32,
    shards: u32,
) -> Result<ScoringData, StoreError> {
    crate::recompute::check_split(shard, shards)?;
    let partitions: Vec<u32> = (0..SHARDS)
        .filter(|partition| partition % shards == shard)
        .collect();
    identities_and_usage(db, workspace, usage_from, &partitions).await
}

/// Every account: 16 Queries `WS#<ws>#AC#<shard>`.
pub(crate) async fn account_records(
    db: &Db,
    workspace: &str,
) -> Result<Vec<AccountRecord>, StoreError> {
    let items = read_shards(
        db,
        &all_shards(),
        |shard| keys::account_partition(workspace, shard),
        Range::All,
    )
    .await?;
    items
        .iter()
        .map(|item| {
            let account = AccountItem::from_item(item)?;
            Ok(AccountRecord {
                id: account.account,
                traits: account.traits,
                first_seen: account.first_seen.and_then(DateTime::from_timestamp_millis),
            })
        })
        .collect()
}

/// The identities, lifetime and daily usage (from `usage_from`) stored in the identity and
/// usage partitions numbered `partitions`; no accounts.
async fn identities_and_usage(
    db: &Db,
    workspace: &str,
    usage_from: Day,
    partitions: &[u32],
) -> Result<ScoringData, StoreError> {
    let (identity_items, usage_items) = tokio::try_join!(
        read_shards(
            db,
            partitions,
            |shard| keys::identity_partition(workspace, shard),
            Range::All
        ),
        read_shards(
            db,
            partitions,
            |shard| keys::usage_partition(workspace, shard),
            Range::From(keys::usage_from(usage_from)),
        ),
    )?;
    let mut records: BTreeMap<String, IdentityRecord> = BTreeMap::new();
    let mut data = ScoringData::default();
    for item in &identity_items {
        match super::attrs::opt_s(item, keys::ENTITY)? {
            Some(entity::IDENTITY) => {
                let identity = IdentityItem::from_item(item)?;
                let entry =
                    records
                        .entry(identity.identity.clone())
                        .or_insert_with(|| IdentityRecord {
                            key: identity.identity.clone(),
                            ..Default::default()
                        });
                entry.traits = identity.traits;
                entry.linked_to = identity.linked_to;
            }
            Some(entity::ACTIVITY) => {
                let activity = ActivityItem::from_item(item)?;
                let entry =
                    records
                        .entry(activity.identity.clone())
                        .or_insert_with(|| IdentityRecord {
                            key: activity.identity.clone(),
                            ..Default::default()
                        });
                entry.first_seen = activity
                    .first_seen
                    .and_then(DateTime::from_timestamp_millis);
                entry.last_event = activity
                    .last_event
                    .and_then(DateTime::from_timestamp_millis);
                entry.event_days = activity.days.iter().copied().collect();
                for (event, life) in activity.lifetime {
                    data.lifetime.push(LifetimeUsage {
                        identity: activity.identity.clone(),
                        event,
                        count: life.count,
                        first_day: life.first_day,
                        last_day: life.last_day,
                    });
                }
            }
            Some(entity::MEMBERSHIP) => {
                let membership = MembershipItem::from_item(item)?;
                let joined_at =
                    DateTime::from_timestamp_millis(membership.joined_ms).ok_or_else(|| {
                        StoreError::corrupt(format!("membership time {}", membership.joined_ms))
                    })?;
                let entry = records
                    .entry(membership.identity.clone())
                    .or_insert_with(|| IdentityRecord {
                        key: membership.identity.clone(),
                        ..Default::default()
                    });
                entry.accounts.push(Membership {
                    account: membership.account,
                    joined_at,
                });
            }
            _ => {}
        }
    }
    data.identities = records.into_values().collect();
    for item in &usage_items {
        let usage = UsageItem::from_item(item)?;
        for (event, count) in usage.counts {
            data.usage.push(DailyUsage {
                identity: usage.identity.clone(),
                day: usage.day,
                event,
                count,
            });
        }
    }
    Ok(data)
}

// --- purging message ids -------------------------------------------------------------------

/// Parallel Scan segments for background work.
const SCAN_SEGMENTS: i32 = 4;

/// Forgets message ids accepted before `before`, in every workspace: deletes their log
/// items and the pending markers that would still hold their calls back, page by page.
/// Returns the number of ids in the deleted log items. A full-table Scan: on AWS the TTL on
/// `expires_at` does this for free, so schedule it rarely if at all.
pub(crate) async fn purge_message_ids(db: &Db, before: DateTime<Utc>) -> Result<u64, StoreError> {
    let before_ms = before.timestamp_millis();
    let segments = (0..SCAN_SEGMENTS)
        .map(|segment| {
            let db = db.clone();
            async move { purge_segment(&db, segment, before_ms).await }
        })
        .collect();
    let mut purged = 0;
    for count in concurrent::all(segments).await? {
        purged += count?;
    }
    Ok(purged)
}

async fn purge_segment(db: &Db, segment: i32, before_ms: i64) -> Result<u64, StoreError> {
    let values = HashMap::from([
        (":messages".to_string(), s(entity::MESSAGES)),
        (":activity".to_string(), s(entity::ACTIVITY)),
        (":usage".to_string(), s(entity::USAGE)),
        (":identity".to_string(), s(entity::IDENTITY)),
    ]);
    let filter = "et IN (:messages, :activity, :usage, :identity)";
    let mut purged = 0;
    let mut start = None;
    loop {
        let (items, next) = db
            .scan_page(segment, SCAN_SEGMENTS, filter, &values, start)
            .await?;
        let mut deletes = Vec::new();
        for item in items {
            if super::attrs::opt_s(&item, keys::ENTITY)? != Some(entity::MESSAGES) {
                forget_markers(db, item, before_ms).await?;
                continue;
            }
            let accepted: i64 = super::attrs::get_n(&item, "at")?;
            if accepted < before_ms {
                purged += strings(&item, "ids")?.len() as u64;
                deletes.push(Write::Delete(super::attrs::key_of(&item)?));
            }
        }
        db.batch_write(deletes).await?;
        match next {
            Some(next) => start = Some(next),
            None => return Ok(purged),
        }
    }
}

/// Drops an aggregate's pending markers accepted before `before_ms`, re-reading it when a
/// concurrent batch changed it first.
async fn forget_markers(db: &Db, mut item: Item, before_ms: i64) -> Result<(), StoreError> {
    for _ in 0..5 {
        let key = super::attrs::key_of(&item)?;
        if forget_markers_once(db, &item, before_ms).await? {
            return Ok(());
        }
        match db.get(&key).await? {
            Some(fresh) => item = fresh,
            None => return Ok(()),
        }
    }
    Err(StoreError::Unavailable(
        "purging: batches keep changing the same items; retry".into(),
    ))
}

/// `false` when the item changed since it was read.
async fn forget_markers_once(db: &Db, item: &Item, before_ms: i64) -> Result<bool, StoreError> {
    let none = HashSet::new();
    let workspace_of = |item: &Item| -> Result<String, StoreError> {
        let pk = get_s(item, keys::PK)?;
        Ok(pk
            .strip_prefix("WS#")
            .and_then(|rest| rest.split('#').next())
            .unwrap_or_default()
            .to_string())
    };
    let workspace = workspace_of(item)?;
    let (rewritten, version, old_size) = match super::attrs::opt_s(item, keys::ENTITY)? {
        Some(entity::ACTIVITY) => {
            let mut record = ActivityItem::from_item(item)?;
            if !record.pending.prune(&none, before_ms) {
                return Ok(true);
            }
            (record.to_item(&workspace), record.version, record.size)
        }
        Some(entity::USAGE) => {
            let mut record = UsageItem::from_item(item)?;
            if !record.pending.prune(&none, before_ms) {
                return Ok(true);
            }
            (record.to_item(&workspace), record.version, record.size)
        }
        _ => {
            let mut record = IdentityItem::from_item(item)?;
            if !record.pending.prune(&none, before_ms) {
                return Ok(true);
            }
            (record.to_item(&workspace), record.version, record.size)
        }
    };
    match db
        .put(rewritten, Condition::Version(version), old_size)
        .await
    {
        Ok(()) => Ok(true),
        Err(WriteError::ConditionFailed) => Ok(false),
        Err(WriteError::Store(error)) => Err(error),
    }
}
