//! Storing a batch in one transaction: message-id de-duplication, then identities,
//! links, accounts, memberships and usage aggregates, each merged per batch first so that
//! a session of twenty events is one row update per aggregate, not twenty.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use pulse_core::call::CallType;
use pulse_core::{Call, Day, FlatMap, IdentityKey};
use rusqlite::{Connection, OptionalExtension, params};

use super::codec::{
    decode_days, encode_days, from_millis, insert_day, millis, sql, to_json, traits_from,
};
use crate::error::StoreError;
use crate::types::{DEDUPLICATION_DAYS, IngestBatch, IngestChange, IngestOutcome};

/// What a batch changes for one identity.
#[derive(Default)]
struct IdentityDelta {
    first_seen: Option<DateTime<Utc>>,
    last_event: Option<DateTime<Utc>>,
    days: Vec<Day>,
    traits: FlatMap,
    linked_to: Option<String>,
}

#[derive(Default)]
struct AccountDelta {
    first_seen: Option<DateTime<Utc>>,
    traits: FlatMap,
}

#[derive(Default)]
struct BatchDelta {
    identities: BTreeMap<String, IdentityDelta>,
    accounts: BTreeMap<String, AccountDelta>,
    /// (identity, account, at), in call order.
    memberships: Vec<(String, String, DateTime<Utc>)>,
    /// Position of each (identity, account) in `memberships`.
    membership_index: HashMap<(String, String), usize>,
    usage: HashMap<(String, Day, String), u64>,
    /// The earliest time of each (identity, event) in the batch, for first uses.
    first_events: BTreeMap<(String, String), DateTime<Utc>>,
}

pub(crate) fn ingest(
    connection: &Connection,
    workspace: &str,
    batch: &IngestBatch,
) -> Result<IngestOutcome, StoreError> {
    let mut outcome = IngestOutcome::default();
    let mut delta = BatchDelta::default();
    let now = millis(batch.received_at);
    let expired_before = millis(batch.received_at - Duration::days(DEDUPLICATION_DAYS));
    let mut claim = connection
        .prepare_cached(
            "INSERT INTO message_ids (workspace, message_id, accepted_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (workspace, message_id) DO UPDATE SET accepted_at = excluded.accepted_at
             WHERE message_ids.accepted_at < ?4",
        )
        .map_err(sql)?;
    for accepted in &batch.calls {
        let claimed = claim
            .execute(params![workspace, accepted.message_id, now, expired_before])
            .map_err(sql)?;
        if claimed == 0 {
            outcome.duplicates += 1;
            continue;
        }
        outcome.stored += 1;
        delta.add(&accepted.call);
    }
    apply_identities(connection, workspace, &delta.identities)?;
    apply_accounts(connection, workspace, &delta, &mut outcome)?;
    apply_usage(connection, workspace, &delta.usage)?;
    if !batch.first_use_events.is_empty() {
        apply_first_uses(
            connection,
            workspace,
            &delta,
            &batch.first_use_events,
            &mut outcome,
        )?;
    }
    Ok(outcome)
}

impl BatchDelta {
    fn add(&mut self, call: &Call) {
        let identity = call.identity().storage_key();
        let at = call.timestamp;
        {
            let entry = self.identities.entry(identity.clone()).or_default();
            entry.first_seen = Some(entry.first_seen.map_or(at, |seen| seen.min(at)));
            if let Some(event) = &call.event {
                entry.last_event = Some(entry.last_event.map_or(at, |last| last.max(at)));
                insert_day(&mut entry.days, Day::of(at));
                *self
                    .usage
                    .entry((identity.clone(), Day::of(at), event.as_str().to_string()))
                    .or_default() += 1;
                let earliest = self
                    .first_events
                    .entry((identity.clone(), event.as_str().to_string()))
                    .or_insert(at);
                *earliest = (*earliest).min(at);
            }
            if call.call_type == CallType::Identify {
                entry.traits.extend(call.traits.clone());
            }
        }
        // identify (or any call) with both ids, and alias, link identities to the user.
        if let (Some(user), Some(anonymous)) = (&call.user_id, &call.anonymous_id) {
            self.link(IdentityKey::Anonymous(anonymous.clone()), user);
        }
        if let (Some(previous), Some(user)) = (&call.previous_id, &call.user_id) {
            self.link(IdentityKey::Anonymous(previous.clone()), user);
            if previous != user {
                self.link(IdentityKey::User(previous.clone()), user);
            }
        }
        if let Some(account) = &call.group_id {
            let entry = self.accounts.entry(account.clone()).or_default();
            entry.first_seen = Some(entry.first_seen.map_or(at, |seen| seen.min(at)));
            if call.call_type == CallType::Group {
                entry.traits.extend(call.traits.clone());
            }
            match self
                .membership_index
                .get(&(identity.clone(), account.clone()))
            {
                Some(position) => {
                    let earliest = &mut self.memberships[*position].2;
                    *earliest = (*earliest).min(at);
                }
                None => {
                    self.membership_index
                        .insert((identity.clone(), account.clone()), self.memberships.len());
                    self.memberships.push((identity, account.clone(), at));
                }
            }
        }
    }

    fn link(&mut self, from: IdentityKey, user: &str) {
        let entry = self.identities.entry(from.storage_key()).or_default();
        entry.linked_to = Some(IdentityKey::User(user.to_string()).storage_key());
    }
}

fn apply_identities(
    connection: &Connection,
    workspace: &str,
    identities: &BTreeMap<String, IdentityDelta>,
) -> Result<(), StoreError> {
    let mut read = connection
        .prepare_cached(
            "SELECT traits, first_seen, last_event, event_days, linked_to FROM identities
             WHERE workspace = ?1 AND identity = ?2",
        )
        .map_err(sql)?;
    let mut write = connection
        .prepare_cached(
            "INSERT OR REPLACE INTO identities (workspace, identity, linked_to, traits, first_seen, last_event, event_days)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(sql)?;
    let mut read_activity = connection
        .prepare_cached(
            "SELECT first_seen, last_event, event_days FROM identities WHERE workspace = ?1 AND identity = ?2",
        )
        .map_err(sql)?;
    let mut update_activity = connection
        .prepare_cached(
            "UPDATE identities SET first_seen = ?3, last_event = ?4, event_days = ?5
             WHERE workspace = ?1 AND identity = ?2",
        )
        .map_err(sql)?;
    for (identity, delta) in identities {
        // Most batches only add usage: update times and days without decoding and
        // re-encoding the traits.
        if delta.traits.is_empty() && delta.linked_to.is_none() {
            let existing = read_activity
                .query_row(params![workspace, identity], |row| {
                    Ok((
                        row.get::<_, Option<i64>>(0)?,
                        row.get::<_, Option<i64>>(1)?,
                        row.get::<_, Vec<u8>>(2)?,
                    ))
                })
                .optional()
                .map_err(sql)?;
            if let Some((first, last, days)) = existing {
                let mut days = decode_days(&days);
                let mut changed = false;
                for day in &delta.days {
                    changed |= insert_day(&mut days, *day);
                }
                let (first, last) = (from_millis(first), from_millis(last));
                let first_seen = earliest(first, delta.first_seen);
                let last_event = latest(last, delta.last_event);
                if changed || first_seen != first || last_event != last {
                    update_activity
                        .execute(params![
                            workspace,
                            identity,
                            first_seen.map(millis),
                            last_event.map(millis),
                            encode_days(&days)
                        ])
                        .map_err(sql)?;
                }
                continue;
            }
        }
        let existing = read
            .query_row(params![workspace, identity], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<i64>>(1)?,
                    row.get::<_, Option<i64>>(2)?,
                    row.get::<_, Vec<u8>>(3)?,
                    row.get::<_, Option<String>>(4)?,
                ))
            })
            .optional()
            .map_err(sql)?;
        let (mut traits, first_seen, last_event, mut days, mut linked_to) = match existing {
            Some((traits, first, last, days, linked)) => (
                traits_from(&traits)?,
                from_millis(first),
                from_millis(last),
                decode_days(&days),
                linked,
            ),
            None => (FlatMap::new(), None, None, Vec::new(), None),
        };
        traits.extend(delta.traits.clone());
        for day in &delta.days {
            insert_day(&mut days, *day);
        }
        if let Some(target) = &delta.linked_to
            && target != identity
            && !links_back(connection, workspace, target, identity)?
        {
            linked_to = Some(target.clone());
        }
        let first_seen = earliest(first_seen, delta.first_seen);
        let last_event = latest(last_event, delta.last_event);
        write
            .execute(params![
                workspace,
                identity,
                linked_to,
                to_json(&traits),
                first_seen.map(millis),
                last_event.map(millis),
                encode_days(&days),
            ])
            .map_err(sql)?;
    }
    Ok(())
}

/// Whether following links from `start` reaches `target` (linking would make a cycle).
fn links_back(
    connection: &Connection,
    workspace: &str,
    start: &str,
    target: &str,
) -> Result<bool, StoreError> {
    let mut step = connection
        .prepare_cached("SELECT linked_to FROM identities WHERE workspace = ?1 AND identity = ?2")
        .map_err(sql)?;
    let mut current = start.to_string();
    for _ in 0..64 {
        let next: Option<String> = step
            .query_row(params![workspace, current], |row| row.get(0))
            .optional()
            .map_err(sql)?
            .flatten();
        match next {
            Some(next) if next == target => return Ok(true),
            Some(next) => current = next,
            None => return Ok(false),
        }
    }
    Ok(true)
}

fn apply_accounts(
    connection: &Connection,
    workspace: &str,
    delta: &BatchDelta,
    outcome: &mut IngestOutcome,
) -> Result<(), StoreError> {
    let mut read = connection
        .prepare_cached(
            "SELECT traits, first_seen FROM accounts WHERE workspace = ?1 AND account = ?2",
        )
        .map_err(sql)?;
    let mut write = connection
        .prepare_cached("INSERT OR REPLACE INTO accounts (workspace, account, traits, first_seen) VALUES (?1, ?2, ?3, ?4)")
        .map_err(sql)?;
    let mut existed: HashMap<&str, bool> = HashMap::new();
    for (account, account_delta) in &delta.accounts {
        let existing = read
            .query_row(params![workspace, account], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, Option<i64>>(1)?))
            })
            .optional()
            .map_err(sql)?;
        existed.insert(account, existing.is_some());
        let (mut traits, first_seen) = match existing {
            Some((traits, first)) => (traits_from(&traits)?, from_millis(first)),
            None => (FlatMap::new(), None),
        };
        traits.extend(account_delta.traits.clone());
        let first_seen = earliest(first_seen, account_delta.first_seen);
        write
            .execute(params![
                workspace,
                account,
                to_json(&traits),
                first_seen.map(millis)
            ])
            .map_err(sql)?;
    }
    let mut join = connection
        .prepare_cached(
            "INSERT OR IGNORE INTO memberships (workspace, identity, account, joined_at) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(sql)?;
    // A late call can reveal an earlier membership: keep the earliest time.
    let mut earlier = connection
        .prepare_cached(
            "UPDATE memberships SET joined_at = ?4
             WHERE workspace = ?1 AND identity = ?2 AND account = ?3 AND joined_at > ?4",
        )
        .map_err(sql)?;
    for (identity, account, at) in &delta.memberships {
        if join
            .execute(params![workspace, identity, account, millis(*at)])
            .map_err(sql)?
            == 0
        {
            earlier
                .execute(params![workspace, identity, account, millis(*at)])
                .map_err(sql)?;
            continue;
        }
        let account_existed = existed.get(account.as_str()).copied().unwrap_or(true);
        if !account_existed {
            outcome.changes.push(IngestChange::AccountCreated {
                account: account.clone(),
                identity: identity.clone(),
            });
        }
        outcome.changes.push(IngestChange::UserJoinedAccount {
            identity: identity.clone(),
            account: account.clone(),
            account_existed,
        });
        // Later members of an account created in this batch join an existing account.
        existed.insert(account, true);
    }
    Ok(())
}

fn apply_usage(
    connection: &Connection,
    workspace: &str,
    usage: &HashMap<(String, Day, String), u64>,
) -> Result<(), StoreError> {
    let mut daily = connection
        .prepare_cached(
            "INSERT INTO daily_usage (workspace, day, identity, event, count) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (workspace, day, identity, event) DO UPDATE SET count = count + excluded.count",
        )
        .map_err(sql)?;
    let mut lifetime = connection
        .prepare_cached(
            "INSERT INTO lifetime_usage (workspace, identity, event, count, first_day, last_day)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT (workspace, identity, event) DO UPDATE SET
                 count = count + excluded.count,
                 first_day = min(first_day, excluded.first_day),
                 last_day = max(last_day, excluded.last_day)",
        )
        .map_err(sql)?;
    for ((identity, day, event), count) in usage {
        let count = *count as i64;
        daily
            .execute(params![workspace, day.number(), identity, event, count])
            .map_err(sql)?;
        lifetime
            .execute(params![workspace, identity, event, count, day.number()])
            .map_err(sql)?;
    }
    Ok(())
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn latest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Records each account's first use of the watched events (core features). A use counts
/// for every account of the user who made it, as scoring sees them: the identity's links
/// are followed to their user, and the memberships of every identity linked to that user
/// count. For each account, the earliest use in the batch is the one reported.
fn apply_first_uses(
    connection: &Connection,
    workspace: &str,
    delta: &BatchDelta,
    watched: &[String],
    outcome: &mut IngestOutcome,
) -> Result<(), StoreError> {
    let mut accounts_of = connection
        .prepare_cached(
            "WITH RECURSIVE
               up(id, depth) AS (
                 SELECT ?2, 0
                 UNION SELECT i.linked_to, up.depth + 1 FROM identities i JOIN up
                   ON i.workspace = ?1 AND i.identity = up.id
                   WHERE i.linked_to IS NOT NULL AND up.depth < 64),
               owner(id) AS (SELECT id FROM up ORDER BY depth DESC LIMIT 1),
               linked(id, depth) AS (
                 SELECT id, 0 FROM owner
                 UNION SELECT i.identity, linked.depth + 1 FROM identities i JOIN linked
                   ON i.workspace = ?1 AND i.linked_to = linked.id
                   WHERE linked.depth < 64)
             SELECT DISTINCT account FROM memberships
             WHERE workspace = ?1 AND identity IN (SELECT id FROM linked)",
        )
        .map_err(sql)?;
    let mut accounts_cache: HashMap<&str, Vec<String>> = HashMap::new();
    // (account, event) → the earliest use in the batch and who made it.
    let mut firsts: BTreeMap<(String, String), (DateTime<Utc>, &str)> = BTreeMap::new();
    for ((identity, event), at) in &delta.first_events {
        if !watched.contains(event) {
            continue;
        }
        if !accounts_cache.contains_key(identity.as_str()) {
            let accounts = accounts_of
                .query_map(params![workspace, identity], |row| row.get::<_, String>(0))
                .map_err(sql)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(sql)?;
            accounts_cache.insert(identity, accounts);
        }
        for account in &accounts_cache[identity.as_str()] {
            let first = firsts
                .entry((account.clone(), event.clone()))
                .or_insert((*at, identity.as_str()));
            if *at < first.0 {
                *first = (*at, identity.as_str());
            }
        }
    }
    let mut record = connection
        .prepare_cached(
            "INSERT OR IGNORE INTO account_first_uses (workspace, account, event, first_at, identity)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(sql)?;
    for ((account, event), (at, identity)) in firsts {
        if record
            .execute(params![workspace, account, event, millis(at), identity])
            .map_err(sql)?
            > 0
        {
            outcome.changes.push(IngestChange::FeatureFirstUsed {
                account,
                event,
                identity: identity.to_string(),
                at,
            });
        }
    }
    Ok(())
}
