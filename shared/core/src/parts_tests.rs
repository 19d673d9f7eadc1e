//! Parts computed per shard merge into exactly what `assemble` gives for the whole data set,
//! and survive their stored form.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::records::{
    DailyUsage, IdentityRecord, LifetimeUsage, Membership, assemble, resolve_identities,
};

fn day(text: &str) -> Day {
    text.parse().unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn usage(identity: &str, on: &str, event: &str, count: u64) -> DailyUsage {
    DailyUsage {
        identity: identity.into(),
        day: day(on),
        event: event.into(),
        count,
    }
}

fn lifetime(identity: &str, event: &str, count: u64) -> LifetimeUsage {
    LifetimeUsage {
        identity: identity.into(),
        event: event.into(),
        count,
        first_day: day("2026-01-01"),
        last_day: day("2026-12-02"),
    }
}

fn need(event: &str, days: Option<u32>) -> EventNeed {
    EventNeed {
        event: event.into(),
        days,
    }
}

/// Shard 1: an anonymous visitor aliased to `u:ann`, and `u:bob`. Shard 2: `u:ann` herself
/// and an anonymous visitor linked to `u:ghost`, who has no record.
fn two_shards() -> (ScoringData, ScoringData) {
    let visitor = IdentityRecord {
        key: "a:visitor".into(),
        linked_to: Some("u:ann".into()),
        traits: [
            ("plan".to_string(), json!("free")),
            ("color".to_string(), json!("blue")),
        ]
        .into(),
        first_seen: Some(at("2026-11-20T08:00:00Z")),
        last_event: Some(at("2026-11-30T10:00:00Z")),
        event_days: vec![day("2026-11-20"), day("2026-11-30")],
        accounts: vec![
            Membership {
                account: "acme".into(),
                joined_at: at("2026-11-28T12:00:00Z"),
            },
            Membership {
                account: "later".into(),
                joined_at: at("2026-12-02T00:00:00Z"),
            },
        ],
    };
    let bob = IdentityRecord {
        key: "u:bob".into(),
        first_seen: Some(at("2026-10-01T00:00:00Z")),
        ..Default::default()
    };
    let ann = IdentityRecord {
        key: "u:ann".into(),
        linked_to: None,
        traits: [("plan".to_string(), json!("pro"))].into(),
        first_seen: Some(at("2026-11-25T09:00:00Z")),
        last_event: Some(at("2026-12-02T09:00:00Z")),
        event_days: vec![day("2026-11-30"), day("2026-12-01"), day("2026-12-02")],
        accounts: vec![Membership {
            account: "globex".into(),
            joined_at: at("2026-11-01T00:00:00Z"),
        }],
    };
    let orphan = IdentityRecord {
        key: "a:orphan".into(),
        linked_to: Some("u:ghost".into()),
        event_days: vec![day("2026-11-29")],
        ..Default::default()
    };
    let first = ScoringData {
        identities: vec![visitor, bob],
        usage: vec![
            usage("a:visitor", "2026-11-30", "A", 2),
            usage("a:visitor", "2026-11-20", "B", 1),
            usage("u:bob", "2026-12-01", "A", 7),
        ],
        lifetime: vec![
            lifetime("a:visitor", "A", 2),
            lifetime("a:visitor", "B", 1),
            lifetime("u:bob", "A", 7),
        ],
        ..Default::default()
    };
    let second = ScoringData {
        identities: vec![orphan, ann],
        usage: vec![
            usage("u:ann", "2026-11-30", "A", 1),
            usage("u:ann", "2026-12-01", "A", 3),
            usage("u:ann", "2026-12-02", "A", 4),
            usage("a:orphan", "2026-11-29", "A", 5),
            // No record anywhere: ignored, even though `u:ghost` becomes a user.
            usage("u:ghost", "2026-11-29", "A", 100),
        ],
        lifetime: vec![
            lifetime("u:ann", "A", 10),
            lifetime("a:orphan", "A", 5),
            lifetime("u:ghost", "A", 100),
        ],
        ..Default::default()
    };
    (first, second)
}

fn whole(shards: &[&ScoringData]) -> ScoringData {
    let mut data = ScoringData::default();
    for shard in shards {
        data.identities.extend(shard.identities.iter().cloned());
        data.usage.extend(shard.usage.iter().cloned());
        data.lifetime.extend(shard.lifetime.iter().cloned());
    }
    data
}

#[test]
fn two_shards_merge_into_what_the_whole_data_set_assembles() {
    let (first, second) = two_shards();
    let (as_of, period_from) = (day("2026-12-01"), day("2026-11-25"));
    let needs = [
        need("A", None),
        need("A", Some(7)),
        need("B", Some(30)),
        need("C", None),
    ];
    let mut parts = assemble_parts(&first, as_of, period_from, &needs);
    parts.extend(assemble_parts(&second, as_of, period_from, &needs));
    let merged = merge_parts(parts);

    // The store's order of identities does not matter.
    let mut reversed = whole(&[&second, &first]);
    reversed.identities.reverse();
    assert_eq!(
        merged,
        assemble(&whole(&[&first, &second]), as_of, period_from, &needs).0
    );
    assert_eq!(merged, assemble(&reversed, as_of, period_from, &needs).0);

    let ids: Vec<String> = merged.iter().map(UserActivity::public_id).collect();
    assert_eq!(ids, ["ann", "bob", "ghost"]);
    let ann = &merged[0];
    assert_eq!(ann.identity, Some(IdentityKey::User("ann".into())));
    assert_eq!(
        ann.period,
        BTreeMap::from([(
            "A".to_string(),
            BTreeMap::from([(day("2026-11-30"), 2 + 1), (day("2026-12-01"), 3)])
        )]),
        "per event and day, summed over both identities; B on 11-20 is before the period"
    );
    assert_eq!(
        ann.all_time["A"],
        2 + (10 - 4),
        "ann's usage after the day is taken back"
    );
    assert_eq!(ann.all_time["B"], 1);
    let count = |event: &str, days| ann.rule_counts[&(event.to_string(), days)];
    assert_eq!(count("A", None), 8);
    assert_eq!(count("A", Some(7)), 2 + 1 + 3);
    assert_eq!(count("B", Some(30)), 1);
    assert_eq!(count("C", None), 0, "every need is present");
    assert_eq!(ann.rule_counts.len(), needs.len());
    assert_eq!(
        ann.traits["plan"],
        json!("pro"),
        "the owner's own trait wins"
    );
    assert_eq!(
        ann.traits["color"],
        json!("blue"),
        "the visitor's other traits join"
    );
    assert_eq!(
        ann.accounts.iter().collect::<Vec<_>>(),
        ["acme", "globex"],
        "an account joined after the day is not hers yet"
    );
    assert_eq!(ann.first_seen, Some(at("2026-11-20T08:00:00Z")));
    assert_eq!(
        ann.last_seen,
        Some(day("2026-12-01").start()),
        "her last event is after the day: known to the day only"
    );
    assert_eq!(
        ann.recent_days,
        [day("2026-11-20"), day("2026-11-30"), day("2026-12-01")]
    );

    let ghost = &merged[2];
    assert_eq!(ghost.identity, Some(IdentityKey::User("ghost".into())));
    assert_eq!(
        ghost.all_time["A"], 5,
        "only the orphan's usage; ghost's own rows have no record"
    );
    assert_eq!(ghost.recent_days, [day("2026-11-29")]);
}

#[test]
fn a_part_is_its_identity_alone() {
    let (first, _) = two_shards();
    let parts = assemble_parts(
        &first,
        day("2026-12-01"),
        day("2026-11-25"),
        &[need("A", None)],
    );
    assert_eq!(parts.len(), 2);
    let visitor = &parts[0];
    assert_eq!(visitor.key, "a:visitor");
    assert_eq!(visitor.linked_to.as_deref(), Some("u:ann"));
    assert_eq!(
        visitor.activity.identity,
        Some(IdentityKey::Anonymous("visitor".into()))
    );
    assert_eq!(visitor.activity.traits["plan"], json!("free"));
    assert_eq!(visitor.activity.all_time["A"], 2);
    assert_eq!(visitor.activity.rule_counts[&("A".to_string(), None)], 2);
}

#[test]
fn a_cycle_of_links_ends_where_resolution_ends() {
    let record = |key: &str, to: &str, plan: &str| IdentityRecord {
        key: key.into(),
        linked_to: Some(to.into()),
        traits: [("plan".to_string(), json!(plan))].into(),
        ..Default::default()
    };
    let data = ScoringData {
        identities: vec![record("u:b", "u:a", "b"), record("u:a", "u:b", "a")],
        ..Default::default()
    };
    let as_of = day("2026-12-01");
    let (users, _) = assemble(&data, as_of, as_of, &[]);
    // Each stops at the other: `u:b` is owned by `u:a` and `u:a` by `u:b`.
    let ids: Vec<String> = users.iter().map(UserActivity::public_id).collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(users[0].traits["plan"], json!("b"));
    let mut parts = assemble_parts(&data, as_of, as_of, &[]);
    parts.reverse();
    assert_eq!(merge_parts(parts), users);
}

#[test]
fn parts_survive_their_stored_form() {
    let (first, second) = two_shards();
    let needs = [need("A", None), need("A", Some(7)), need("B", Some(30))];
    let mut parts = assemble_parts(&first, day("2026-12-01"), day("2026-11-25"), &needs);
    parts.extend(assemble_parts(
        &second,
        day("2026-12-01"),
        day("2026-11-25"),
        &needs,
    ));
    parts[0].activity.traits.insert(
        "score".into(),
        json!({"nested": [0.1, -2.5e-7, null, true]}),
    );
    parts[1].activity.identity = None;
    let bytes = encode_parts(&parts);
    assert_eq!(decode_parts(&bytes).unwrap(), parts);
    assert_eq!(encode_parts(&parts), bytes, "equal parts, equal bytes");
    assert!(decode_parts(&encode_parts(&[])).unwrap().is_empty());
}

#[test]
fn corrupt_stored_parts_are_errors() {
    let (first, _) = two_shards();
    let parts = assemble_parts(&first, day("2026-12-01"), day("2026-11-25"), &[]);
    let bytes = encode_parts(&parts);
    for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
        let error = decode_parts(&bytes[..cut]).unwrap_err();
        assert!(matches!(error, PartsError::Malformed(_)), "{error}");
    }
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 3] = 0xff;
    assert!(decode_parts(&flipped).is_err());
    assert!(matches!(
        decode_parts(br#"{"v":1,"p":[{"k":"u:x","c":[["A",null]]}]}"#),
        Err(PartsError::Malformed(_))
    ));

    let error = decode_parts(br#"{"v":2,"p":{"new":"shape"}}"#).unwrap_err();
    assert_eq!(
        error.to_string(),
        "stored identity parts have format version 2; this build reads version 1"
    );
    let error = decode_parts(br#"{"v":1,"p":[{"k":"u:x","r":[2147483647]}]}"#).unwrap_err();
    assert_eq!(
        error.to_string(),
        "stored identity part `u:x` holds day number 2147483647, which is not a calendar day"
    );
    let error = decode_parts(br#"{"v":1,"p":[{"k":"u:x","i":"x"}]}"#).unwrap_err();
    assert!(
        matches!(error, PartsError::InvalidIdentity { .. }),
        "{error}"
    );
    assert!(
        decode_parts(b"not json")
            .unwrap_err()
            .to_string()
            .starts_with("stored identity parts are not in the expected form: ")
    );
}

// ---------------------------------------------------------------------------------------
// Properties over generated workspaces.

const EVENTS: [&str; 4] = ["A", "B", "C", "D"];
const TRAITS: [&str; 4] = ["plan", "role", "name", "createdAt"];
const ACCOUNTS: [&str; 3] = ["acme", "globex", "initech"];
const GHOSTS: usize = 3;

fn as_of() -> Day {
    day("2026-12-01")
}

fn hours(offset: i64) -> DateTime<Utc> {
    as_of().start() + Duration::hours(offset)
}

fn ghost_key(index: usize) -> String {
    format!("u:ghost{index}")
}

#[derive(Clone, Debug)]
enum Link {
    None,
    Record(usize),
    Ghost(usize),
}

/// One generated identity with its usage, and where it goes.
#[derive(Clone, Debug)]
struct Generated {
    anonymous: bool,
    link: Link,
    traits: Vec<(usize, u8)>,
    first_seen: Option<i64>,
    last_event: Option<i64>,
    event_days: Vec<i32>,
    memberships: Vec<(usize, i64)>,
    /// (day offset from the day, event, count)
    usage: Vec<(i32, usize, u64)>,
    /// Lifetime count above the usage after the day, per event.
    extra: Vec<(usize, u64)>,
    shard: usize,
    order: u32,
}

fn generated() -> impl Strategy<Value = Generated> {
    let link = prop_oneof![
        5 => Just(Link::None),
        4 => (0usize..40).prop_map(Link::Record),
        1 => (0..GHOSTS).prop_map(Link::Ghost),
    ];
    (
        (
            any::<bool>(),
            link,
            prop::collection::vec((0..TRAITS.len(), 0u8..3), 0..4),
            prop::option::of(-2_400i64..48),
            prop::option::of(-240i64..240),
            prop::collection::vec(-100i32..8, 0..8),
        ),
        (
            prop::collection::vec((0..ACCOUNTS.len(), -72i64..72), 0..3),
            prop::collection::vec((-20i32..6, 0..EVENTS.len() - 1, 0u64..6), 0..10),
            prop::collection::vec((0..EVENTS.len(), 0u64..10), 0..3),
            0usize..5,
            any::<u32>(),
        ),
    )
        .prop_map(
            |(
                (anonymous, link, traits, first_seen, last_event, mut event_days),
                (memberships, usage, extra, shard, order),
            )| {
                event_days.sort_unstable();
                event_days.dedup();
                Generated {
                    anonymous,
                    link,
                    traits,
                    first_seen,
                    last_event,
                    event_days,
                    memberships,
                    usage,
                    extra,
                    shard,
                    order,
                }
            },
        )
}

fn key_of(index: usize, generated: &Generated) -> String {
    let prefix = if generated.anonymous { "a" } else { "u" };
    format!("{prefix}:{index}")
}

/// The record of one generated identity, with its usage and lifetime rows (lifetime counts
/// at least the identity's usage after the day, as a store keeps them).
fn rows_of(
    index: usize,
    identities: &[Generated],
) -> (IdentityRecord, Vec<DailyUsage>, Vec<LifetimeUsage>) {
    let generated = &identities[index];
    let key = key_of(index, generated);
    let linked_to = match generated.link {
        Link::None => None,
        Link::Record(to) => {
            let to = to % identities.len();
            Some(key_of(to, &identities[to]))
        }
        Link::Ghost(to) => Some(ghost_key(to)),
    };
    let record = IdentityRecord {
        key: key.clone(),
        linked_to,
        traits: generated
            .traits
            .iter()
            .map(|(name, value)| (TRAITS[*name].to_string(), json!(format!("{key}-{value}"))))
            .collect(),
        first_seen: generated.first_seen.map(hours),
        last_event: generated.last_event.map(hours),
        event_days: generated
            .event_days
            .iter()
            .map(|offset| as_of().plus(*offset))
            .collect(),
        accounts: generated
            .memberships
            .iter()
            .map(|(account, offset)| Membership {
                account: ACCOUNTS[*account].to_string(),
                joined_at: hours(*offset),
            })
            .collect(),
    };
    let (usage, lifetime) = usage_rows(&key, &generated.usage, &generated.extra);
    (record, usage, lifetime)
}

fn usage_rows(
    key: &str,
    rows: &[(i32, usize, u64)],
    extra: &[(usize, u64)],
) -> (Vec<DailyUsage>, Vec<LifetimeUsage>) {
    let usage: Vec<DailyUsage> = rows
        .iter()
        .map(|(offset, event, count)| DailyUsage {
            identity: key.to_string(),
            day: as_of().plus(*offset),
            event: EVENTS[*event].to_string(),
            count: *count,
        })
        .collect();
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for row in &usage {
        let total = totals.entry(row.event.as_str()).or_default();
        if row.day > as_of() {
            *total += row.count;
        }
    }
    for (event, count) in extra {
        *totals.entry(EVENTS[*event]).or_default() += count;
    }
    let lifetime = totals
        .into_iter()
        .map(|(event, count)| LifetimeUsage {
            identity: key.to_string(),
            event: event.to_string(),
            count,
            first_day: as_of().plus(-400),
            last_day: as_of().plus(5),
        })
        .collect();
    (usage, lifetime)
}

/// A generated workspace: the whole data set and the same data split into shards.
#[derive(Debug)]
struct Case {
    whole: ScoringData,
    shards: Vec<ScoringData>,
    period_from: Day,
    needs: Vec<EventNeed>,
    reverse_parts: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(generated(), 0..40),
        prop::collection::vec(
            (
                0..GHOSTS,
                prop::collection::vec((-20i32..6, 0..3usize, 0u64..6), 0..4),
            ),
            0..3,
        ),
        1usize..=5,
        0i32..15,
        prop::collection::vec(
            (
                0..EVENTS.len(),
                prop::sample::select(vec![None, Some(1), Some(3), Some(7), Some(30), Some(400)]),
            ),
            0..6,
        ),
        any::<bool>(),
    )
        .prop_map(
            |(identities, ghosts, shard_count, period_back, needs, reverse_parts)| {
                let mut shards: Vec<(ScoringData, Vec<(u32, IdentityRecord)>)> =
                    vec![Default::default(); shard_count];
                let mut whole = ScoringData::default();
                for index in 0..identities.len() {
                    let (record, usage, lifetime) = rows_of(index, &identities);
                    let generated = &identities[index];
                    let (shard, records) = &mut shards[generated.shard % shard_count];
                    shard.usage.extend(usage.iter().cloned());
                    shard.lifetime.extend(lifetime.iter().cloned());
                    records.push((generated.order, record.clone()));
                    whole.identities.push(record);
                    whole.usage.extend(usage);
                    whole.lifetime.extend(lifetime);
                }
                // Rows of identities without a record land in some shard too.
                for (position, (ghost, rows)) in ghosts.iter().enumerate() {
                    let (usage, lifetime) = usage_rows(&ghost_key(*ghost), rows, &[(0, 3)]);
                    let (shard, _) = &mut shards[position % shard_count];
                    shard.usage.extend(usage.iter().cloned());
                    shard.lifetime.extend(lifetime.iter().cloned());
                    whole.usage.extend(usage);
                    whole.lifetime.extend(lifetime);
                }
                let shards = shards
                    .into_iter()
                    .map(|(mut shard, mut records)| {
                        // Shuffled: a shard returns its identities in any order.
                        records.sort_by_key(|(order, _)| *order);
                        shard.identities = records.into_iter().map(|(_, record)| record).collect();
                        shard
                    })
                    .collect();
                Case {
                    whole,
                    shards,
                    period_from: as_of().plus(-period_back),
                    needs: needs
                        .into_iter()
                        .map(|(event, days)| need(EVENTS[event], days))
                        .collect(),
                    reverse_parts,
                }
            },
        )
}

/// An independent statement of what a user is: every record of an owner folded in at once
/// (owner first, then ascending key), usage attributed through the owner, all-time counts
/// taken back to the day per owner.
fn reference(
    data: &ScoringData,
    as_of: Day,
    period_from: Day,
    needs: &[EventNeed],
) -> Vec<UserActivity> {
    let owners = resolve_identities(&data.identities);
    let mut records: Vec<&IdentityRecord> = data.identities.iter().collect();
    records.sort_by(|a, b| {
        let own = |record: &IdentityRecord| owners[&record.key] != record.key;
        own(a).cmp(&own(b)).then_with(|| a.key.cmp(&b.key))
    });
    let mut users: BTreeMap<&str, UserActivity> = BTreeMap::new();
    for record in records {
        let owner = owners[&record.key].as_str();
        let user = users.entry(owner).or_insert_with(|| UserActivity {
            identity: IdentityKey::from_storage_key(owner),
            ..Default::default()
        });
        for (name, value) in &record.traits {
            user.traits.entry(name.clone()).or_insert(value.clone());
        }
        for membership in &record.accounts {
            if Day::of(membership.joined_at) <= as_of {
                user.accounts.insert(membership.account.clone());
            }
        }
        if let Some(first) = record.first_seen {
            user.first_seen = Some(user.first_seen.map_or(first, |seen| seen.min(first)));
        }
        let last = match record.last_event {
            Some(last) if Day::of(last) <= as_of => Some(last),
            Some(_) => record
                .event_days
                .iter()
                .filter(|day| **day <= as_of)
                .max()
                .map(|day| day.start()),
            None => None,
        };
        if let Some(last) = last {
            user.last_seen = Some(user.last_seen.map_or(last, |seen| seen.max(last)));
        }
        for event_day in &record.event_days {
            if as_of.days_since(*event_day) < crate::scoring::TOTAL_USERS_DAYS
                && *event_day <= as_of
                && !user.recent_days.contains(event_day)
            {
                user.recent_days.push(*event_day);
            }
        }
        user.recent_days.sort();
    }
    let owner_of = |identity: &str| owners.get(identity).map(String::as_str);
    let mut ever: HashMap<(&str, &str), u64> = HashMap::new();
    let mut later: HashMap<(&str, &str), u64> = HashMap::new();
    for row in &data.lifetime {
        if let Some(owner) = owner_of(&row.identity) {
            *ever.entry((owner, &row.event)).or_default() += row.count;
        }
    }
    for row in &data.usage {
        let Some(owner) = owner_of(&row.identity) else {
            continue;
        };
        let user = users.get_mut(owner).unwrap();
        if row.day > as_of {
            *later.entry((owner, &row.event)).or_default() += row.count;
            user.all_time.entry(row.event.clone()).or_default();
            continue;
        }
        if row.day >= period_from {
            *user
                .period
                .entry(row.event.clone())
                .or_default()
                .entry(row.day)
                .or_default() += row.count;
        }
    }
    for ((owner, event), count) in &ever {
        let taken = later.get(&(owner, event)).copied().unwrap_or(0);
        users
            .get_mut(owner)
            .unwrap()
            .all_time
            .insert(event.to_string(), count.saturating_sub(taken));
    }
    for (owner, user) in &mut users {
        for need in needs {
            let count = match need.days {
                None => user.all_time.get(&need.event).copied().unwrap_or(0),
                Some(days) => data
                    .usage
                    .iter()
                    .filter(|row| {
                        owner_of(&row.identity) == Some(*owner)
                            && row.event == need.event
                            && row.day <= as_of
                            && i64::from(as_of.days_since(row.day)) < i64::from(days)
                    })
                    .map(|row| row.count)
                    .sum(),
            };
            *user
                .rule_counts
                .entry((need.event.clone(), need.days))
                .or_default() += count;
        }
    }
    users.into_values().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn shards_merge_into_what_the_whole_data_set_assembles(case in case()) {
        let as_of = as_of();
        let (users, _) = assemble(&case.whole, as_of, case.period_from, &case.needs);
        let mut parts: Vec<IdentityPart> = case
            .shards
            .iter()
            .flat_map(|shard| assemble_parts(shard, as_of, case.period_from, &case.needs))
            .collect();
        if case.reverse_parts {
            parts.reverse();
        }
        prop_assert_eq!(&merge_parts(parts), &users);
        prop_assert_eq!(&users, &reference(&case.whole, as_of, case.period_from, &case.needs));
    }

    #[test]
    fn stored_parts_read_back_unchanged(case in case(), cut in any::<prop::sample::Index>()) {
        let parts = assemble_parts(&case.whole, as_of(), case.period_from, &case.needs);
        let bytes = encode_parts(&parts);
        prop_assert_eq!(&decode_parts(&bytes).unwrap(), &parts);
        // Any prefix short of the whole is refused, without a panic.
        let cut = cut.index(bytes.len());
        prop_assert!(decode_parts(&bytes[..cut]).is_err());
    }

    /// Trait numbers come back bit for bit (serde_json's `float_roundtrip`), so a sharded
    /// recompute sees the very traits a whole one does.
    #[test]
    fn trait_numbers_read_back_exactly(
        numbers in prop::collection::vec(any::<f64>().prop_filter("finite", |n| n.is_finite()), 1..20),
    ) {
        let mut part = IdentityPart {
            key: "u:1".into(),
            linked_to: None,
            activity: UserActivity::default(),
        };
        for (position, number) in numbers.iter().enumerate() {
            part.activity.traits.insert(format!("n{position}"), json!(number));
        }
        let parts = vec![part];
        prop_assert_eq!(decode_parts(&encode_parts(&parts)).unwrap(), parts);
    }
}
