//! Sharded assembly: each raw identity's contribution to its owner's [`UserActivity`],
//! computed from that identity's records alone, and the merge of those contributions.
//!
//! A recompute of a large workspace splits its identities into shards. Each shard loads the
//! identity records of its share with all their daily and lifetime usage rows, and
//! [`assemble_parts`] turns every record into an [`IdentityPart`]: the activity that
//! identity would have as a user of its own. [`merge_parts`] then resolves owners over the
//! `key`/`linked_to` of *all* parts and folds each owner's parts into one user.
//!
//! The merge is exact, whatever the split and whatever order shards or stores return
//! records in, because every aggregation of a user is one that can be taken per identity
//! first and combined afterwards:
//!
//! - counts (`period`, `all_time`, `rule_counts`) are sums;
//! - `accounts` and `recent_days` are set unions;
//! - `first_seen` is a minimum and `last_seen` a maximum;
//! - traits are "first value of a name wins" over an order fixed by the keys alone: the
//!   owner's own part first, then the others by ascending key.
//!
//! The one step that is not a sum is taking all-time counts back to the day: lifetime
//! counts minus usage after the day, clamped at zero. It is taken per identity, which a
//! store keeps consistent (an identity's lifetime count includes its later usage), so the
//! clamp never applies and the per-identity results sum to the owner's.
//!
//! [`crate::records::assemble`] is `merge_parts(assemble_parts(..))` over the whole data
//! set, so a sharded recompute and a whole one agree by construction.
//!
//! Shards keep parts as bytes: [`encode_parts`] writes a compact, versioned JSON form and
//! [`decode_parts`] reads it back exactly.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::activity::UserActivity;
use crate::call::FlatMap;
use crate::day::Day;
use crate::ids::IdentityKey;
use crate::records::{IdentityRecord, ScoringData, resolve_links};
use crate::rules::EventNeed;

/// One raw identity's contribution as of a day, computed as if the identity were a user of
/// its own: its own traits, memberships joined by the end of the day, first call, last
/// event on or before the day, event days in the recent window, period counts, all-time
/// counts taken back to the day, and a rule count for every need (zero when it has none).
#[derive(Clone, Debug, PartialEq)]
pub struct IdentityPart {
    /// The raw identity's storage key (`u:<userId>` or `a:<anonymousId>`).
    pub key: String,
    /// The identity this one's usage belongs to, as stored.
    pub linked_to: Option<String>,
    pub activity: UserActivity,
}

/// Why stored parts could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum PartsError {
    #[error("stored identity parts are not in the expected form: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error(
        "stored identity parts have format version {found}; this build reads version {expected}"
    )]
    UnsupportedVersion { found: u32, expected: u32 },
    #[error("stored identity part `{key}` holds day number {number}, which is not a calendar day")]
    InvalidDay { key: String, number: i32 },
    #[error("stored identity part `{key}` names identity `{identity}`, which is not a storage key")]
    InvalidIdentity { key: String, identity: String },
}

/// Each identity record's [`IdentityPart`] as of `as_of`, for a profile whose engagement
/// period starts on `period_from`, in the order of `data.identities`.
///
/// Usage rows are attributed to the record with their identity's key; rows of identities
/// without a record in `data` are ignored. With a shard's share of the data (records plus
/// all their usage rows), the parts are the same as those of the whole data set.
pub fn assemble_parts(
    data: &ScoringData,
    as_of: Day,
    period_from: Day,
    needs: &[EventNeed],
) -> Vec<IdentityPart> {
    let mut parts: Vec<IdentityPart> = data
        .identities
        .iter()
        .map(|record| IdentityPart {
            key: record.key.clone(),
            linked_to: record.linked_to.clone(),
            activity: own_activity(record, as_of),
        })
        .collect();
    // A store keeps one record per key; should one repeat, its usage still counts once.
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(parts.len());
    for (position, record) in data.identities.iter().enumerate() {
        index.entry(record.key.as_str()).or_insert(position);
    }
    for usage in &data.lifetime {
        if let Some(&position) = index.get(usage.identity.as_str()) {
            *parts[position]
                .activity
                .all_time
                .entry(usage.event.clone())
                .or_default() += usage.count;
        }
    }
    for usage in &data.usage {
        let Some(&position) = index.get(usage.identity.as_str()) else {
            continue;
        };
        let activity = &mut parts[position].activity;
        if usage.day > as_of {
            // Later usage is part of the lifetime count; take it back out.
            let count = activity.all_time.entry(usage.event.clone()).or_default();
            *count = count.saturating_sub(usage.count);
            continue;
        }
        if usage.day >= period_from {
            *activity
                .period
                .entry(usage.event.clone())
                .or_default()
                .entry(usage.day)
                .or_default() += usage.count;
        }
        for need in needs {
            if let Some(days) = need.days
                && need.event == usage.event
                && usage.day >= as_of.plus(1 - days as i32)
            {
                *activity
                    .rule_counts
                    .entry((need.event.clone(), Some(days)))
                    .or_default() += usage.count;
            }
        }
    }
    for part in &mut parts {
        let activity = &mut part.activity;
        for need in needs {
            let count = match need.days {
                None => activity.all_time.get(&need.event).copied().unwrap_or(0),
                Some(_) => 0,
            };
            *activity
                .rule_counts
                .entry((need.event.clone(), need.days))
                .or_default() += count;
        }
    }
    parts
}

/// The record's own contribution before usage rows: traits, memberships, times and days.
fn own_activity(record: &IdentityRecord, as_of: Day) -> UserActivity {
    let recent_from = as_of.plus(1 - crate::scoring::TOTAL_USERS_DAYS);
    // Memberships are as of the day: an account joined later is not this identity's yet.
    let day_end = as_of.end_exclusive();
    let mut recent_days: Vec<Day> = record
        .event_days
        .iter()
        .copied()
        .filter(|day| recent_from <= *day && *day <= as_of)
        .collect();
    recent_days.sort_unstable();
    recent_days.dedup();
    UserActivity {
        identity: IdentityKey::from_storage_key(&record.key),
        traits: record.traits.clone(),
        accounts: record
            .accounts
            .iter()
            .filter(|membership| membership.joined_at < day_end)
            .map(|membership| membership.account.clone())
            .collect(),
        first_seen: record.first_seen,
        last_seen: last_event_on_or_before(record, as_of),
        recent_days,
        ..Default::default()
    }
}

/// Merges parts into one [`UserActivity`] per owner, sorted by owner key.
///
/// Owners are resolved over all parts' `key`/`linked_to` as
/// [`crate::records::resolve_identities`] does (a cycle stops at the first identity seen
/// twice). A `linked_to` target without a part of its own still becomes a user. Traits:
/// the owner's own part first, then the others by ascending key; the first value of a
/// name wins. Everything else is a sum, a union, a minimum or a maximum, so neither the
/// order of `parts` nor how they were split across shards changes the result.
pub fn merge_parts(parts: Vec<IdentityPart>) -> Vec<UserActivity> {
    let owners = resolve_links(
        parts
            .iter()
            .map(|part| (part.key.as_str(), part.linked_to.as_deref())),
    );
    let mut groups: BTreeMap<String, Vec<IdentityPart>> = BTreeMap::new();
    for part in parts {
        let owner = owners
            .get(&part.key)
            .cloned()
            .unwrap_or_else(|| part.key.clone());
        groups.entry(owner).or_default().push(part);
    }
    groups
        .into_iter()
        .map(|(owner, mut group)| {
            // Stable: parts repeating a key keep their input order.
            group.sort_by(|a, b| {
                (a.key != owner)
                    .cmp(&(b.key != owner))
                    .then_with(|| a.key.cmp(&b.key))
            });
            let mut user = UserActivity {
                identity: IdentityKey::from_storage_key(&owner),
                ..Default::default()
            };
            for part in group {
                absorb(&mut user, part.activity);
            }
            user.recent_days.sort_unstable();
            user.recent_days.dedup();
            user
        })
        .collect()
}

/// Adds one part to a user being merged; `recent_days` is left for the caller to sort.
fn absorb(user: &mut UserActivity, part: UserActivity) {
    for (name, value) in part.traits {
        user.traits.entry(name).or_insert(value);
    }
    user.accounts.extend(part.accounts);
    user.first_seen = min_opt(user.first_seen, part.first_seen);
    user.last_seen = max_opt(user.last_seen, part.last_seen);
    user.recent_days.extend(part.recent_days);
    for (event, days) in part.period {
        let merged = user.period.entry(event).or_default();
        for (day, count) in days {
            *merged.entry(day).or_default() += count;
        }
    }
    for (event, count) in part.all_time {
        *user.all_time.entry(event).or_default() += count;
    }
    for (need, count) in part.rule_counts {
        *user.rule_counts.entry(need).or_default() += count;
    }
}

/// The last event on or before `as_of`: exact when the last event is not later; otherwise
/// known to the day only (the start of the latest event day on or before `as_of`).
fn last_event_on_or_before(record: &IdentityRecord, as_of: Day) -> Option<DateTime<Utc>> {
    let last = record.last_event?;
    if Day::of(last) <= as_of {
        return Some(last);
    }
    record
        .event_days
        .iter()
        .rev()
        .find(|day| **day <= as_of)
        .map(|day| day.start())
}

fn min_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// The version of the stored form [`encode_parts`] writes.
const PARTS_VERSION: u32 = 1;

/// The stored form: `{"v":1,"p":[…]}`. Days are day numbers (see [`Day::number`]), per-day
/// counts `[day, count]` pairs and rule counts `[event, days, count]` triples; empty fields
/// are left out.
#[derive(Serialize)]
struct Envelope<'a> {
    v: u32,
    p: Vec<WirePart<'a>>,
}

/// Read in two steps, so that another version is reported as such rather than as a shape
/// this build does not know.
#[derive(Deserialize)]
struct StoredEnvelope<'a> {
    v: u32,
    #[serde(borrow)]
    p: &'a RawValue,
}

#[derive(Serialize, Deserialize)]
struct WirePart<'a> {
    k: std::borrow::Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    l: Option<String>,
    /// The activity's identity as a storage key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    i: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    t: FlatMap,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    a: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    f: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    r: Vec<i32>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    p: BTreeMap<String, Vec<(i32, u64)>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    n: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    c: Vec<(String, Option<u32>, u64)>,
}

impl<'a> WirePart<'a> {
    fn from_part(part: &'a IdentityPart) -> WirePart<'a> {
        let activity = &part.activity;
        let mut rule_counts: Vec<(String, Option<u32>, u64)> = activity
            .rule_counts
            .iter()
            .map(|((event, days), count)| (event.clone(), *days, *count))
            .collect();
        // Sorted so that equal parts encode to equal bytes.
        rule_counts.sort_unstable();
        WirePart {
            k: std::borrow::Cow::Borrowed(&part.key),
            l: part.linked_to.clone(),
            i: activity.identity.as_ref().map(IdentityKey::storage_key),
            t: activity.traits.clone(),
            a: activity.accounts.clone(),
            f: activity.first_seen,
            s: activity.last_seen,
            r: activity
                .recent_days
                .iter()
                .map(|day| day.number())
                .collect(),
            p: activity
                .period
                .iter()
                .map(|(event, days)| {
                    let counts = days.iter().map(|(day, n)| (day.number(), *n)).collect();
                    (event.clone(), counts)
                })
                .collect(),
            n: activity.all_time.clone(),
            c: rule_counts,
        }
    }

    fn into_part(self) -> Result<IdentityPart, PartsError> {
        let key = self.k.into_owned();
        let day = |number: i32| {
            Day::from_number(number).ok_or_else(|| PartsError::InvalidDay {
                key: key.clone(),
                number,
            })
        };
        let recent_days = self
            .r
            .into_iter()
            .map(day)
            .collect::<Result<Vec<Day>, _>>()?;
        let mut period = BTreeMap::new();
        for (event, counts) in self.p {
            let days = counts
                .into_iter()
                .map(|(number, count)| Ok((day(number)?, count)))
                .collect::<Result<BTreeMap<Day, u64>, PartsError>>()?;
            period.insert(event, days);
        }
        let identity = match self.i {
            None => None,
            Some(identity) => Some(IdentityKey::from_storage_key(&identity).ok_or_else(|| {
                PartsError::InvalidIdentity {
                    key: key.clone(),
                    identity,
                }
            })?),
        };
        Ok(IdentityPart {
            linked_to: self.l,
            activity: UserActivity {
                identity,
                traits: self.t,
                accounts: self.a,
                first_seen: self.f,
                last_seen: self.s,
                recent_days,
                period,
                all_time: self.n,
                rule_counts: self
                    .c
                    .into_iter()
                    .map(|(event, days, count)| ((event, days), count))
                    .collect(),
            },
            key,
        })
    }
}

/// The stored form of `parts`: compact JSON (see [`decode_parts`]). Equal parts give equal
/// bytes. A store bounding item sizes encodes slices of the parts separately.
pub fn encode_parts(parts: &[IdentityPart]) -> Vec<u8> {
    let envelope = Envelope {
        v: PARTS_VERSION,
        p: parts.iter().map(WirePart::from_part).collect(),
    };
    serde_json::to_vec(&envelope)
        .expect("parts serialize: every map key is a string and JSON values are finite")
}

/// Reads back what [`encode_parts`] wrote. Anything else (truncated, corrupt, another
/// version) is an error, never a panic.
pub fn decode_parts(bytes: &[u8]) -> Result<Vec<IdentityPart>, PartsError> {
    let envelope: StoredEnvelope = serde_json::from_slice(bytes)?;
    if envelope.v != PARTS_VERSION {
        return Err(PartsError::UnsupportedVersion {
            found: envelope.v,
            expected: PARTS_VERSION,
        });
    }
    let wire: Vec<WirePart> = serde_json::from_str(envelope.p.get())?;
    wire.into_iter().map(WirePart::into_part).collect()
}

#[cfg(test)]
#[path = "parts_tests.rs"]
mod tests;
