//! Every key of the single table, built in one place (see `shared/store/README.md`).
//!
//! Items live under `PK`/`SK` (strings); `GSI1PK`/`GSI1SK` index spans by segment,
//! memberships by account and alerts by raised time. Workspace, profile and segment ids are slugs (`[a-z0-9_-]`), so
//! `#` only ever separates; user, account and subject ids may contain anything, so they
//! are either the last part of a key or length-prefixed, and are always stored again as
//! plain attributes: keys are built, never parsed.

use pulse_core::{Day, SubjectKind};

/// Partitions per workspace for identities, accounts and usage: writes of one busy
/// workspace spread over this many partition keys (each takes ~1,000 writes/s), and the
/// recompute reads them with one Query per shard, in parallel. Fixed forever: changing it
/// would move every key.
pub const SHARDS: u32 = 16;

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1: &str = "GSI1";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
/// The TTL attribute (seconds since the epoch).
pub const EXPIRES_AT: &str = "expires_at";
/// The entity type every item carries (scans and people read it).
pub const ENTITY: &str = "et";

/// A primary key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    fn new(pk: impl Into<String>, sk: impl Into<String>) -> Key {
        Key {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// Entity types (the `et` attribute).
pub mod entity {
    pub const WORKSPACE: &str = "workspace";
    pub const API_KEY: &str = "api_key";
    pub const PROFILE: &str = "profile";
    pub const IDENTITY: &str = "identity";
    pub const ACTIVITY: &str = "activity";
    pub const MEMBERSHIP: &str = "membership";
    pub const ACCOUNT: &str = "account";
    pub const USAGE: &str = "usage";
    pub const MESSAGES: &str = "messages";
    pub const COMPUTATION: &str = "computation";
    pub const INDEX: &str = "index";
    pub const SPAN_STATE: &str = "span_state";
    pub const SNAPSHOT: &str = "snapshot";
    pub const SPAN: &str = "span";
    pub const ENTERED: &str = "entered";
    pub const RULE_MATCHES: &str = "rule_matches";
    pub const DEFINITION: &str = "definition";
    pub const LINK: &str = "link";
    pub const FIRST_USE: &str = "first_use";
    pub const ALERT: &str = "alert";
    pub const DUE: &str = "due";
    pub const LAST_ALERT: &str = "last_alert";
    pub const RECOMPUTE_PART: &str = "recompute_part";
    pub const RECOMPUTE_SHARD: &str = "recompute_shard";
    pub const RECOMPUTE_DONE: &str = "recompute_done";
}

/// The shard of a value: FNV-1a (stable across processes and releases, unlike std's
/// hasher) modulo [`SHARDS`].
pub fn shard(value: &str) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in value.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % u64::from(SHARDS)) as u32
}

/// A day in a sort key: ISO `YYYY-MM-DD`, which sorts as days do.
pub fn day(day: Day) -> String {
    day.to_string()
}

/// Milliseconds in a sort key: fixed width so that text order is time order.
pub fn millis(ms: i64) -> String {
    format!("{:015}", ms.max(0))
}

// --- workspaces and keys ---------------------------------------------------------------

/// All workspaces share one partition: created rarely, listed with one Query.
pub const WORKSPACES: &str = "WORKSPACES";

pub fn workspace(workspace: &str) -> Key {
    Key::new(WORKSPACES, workspace)
}

pub fn api_key(hash: &str) -> Key {
    Key::new(format!("KEY#{hash}"), "KEY")
}

// --- profiles ----------------------------------------------------------------------------

/// A workspace's own partition: its profiles, custom segments and alert rules.
pub fn workspace_partition(workspace: &str) -> String {
    format!("WS#{workspace}")
}

pub const PROFILE_PREFIX: &str = "PROFILE#";

pub fn profile(workspace: &str, id: &str) -> Key {
    Key::new(
        workspace_partition(workspace),
        format!("{PROFILE_PREFIX}{id}"),
    )
}

// --- definitions: custom segments and alert rules --------------------------------------------

/// The sort-key prefix of one kind of definition (`segment`, `alert_rule`): one Query lists
/// them in id order.
pub fn definition_prefix(kind: &str) -> String {
    format!("DEF#{kind}#")
}

pub fn definition(workspace: &str, kind: &str, id: &str) -> Key {
    Key::new(
        workspace_partition(workspace),
        format!("{}{id}", definition_prefix(kind)),
    )
}

// --- identities, memberships, accounts -----------------------------------------------------

pub fn identity_partition(workspace: &str, shard: u32) -> String {
    format!("WS#{workspace}#ID#{shard:02}")
}

pub const IDENTITY_PREFIX: &str = "I#";
pub const ACTIVITY_PREFIX: &str = "A#";
pub const MEMBERSHIP_PREFIX: &str = "M#";

/// Traits and link of a raw identity (`u:<userId>` / `a:<anonymousId>`).
pub fn identity(workspace: &str, identity: &str) -> Key {
    Key::new(
        identity_partition(workspace, shard(identity)),
        format!("{IDENTITY_PREFIX}{identity}"),
    )
}

/// First seen, last event, event days and lifetime counts of a raw identity.
pub fn activity(workspace: &str, identity: &str) -> Key {
    Key::new(
        identity_partition(workspace, shard(identity)),
        format!("{ACTIVITY_PREFIX}{identity}"),
    )
}

/// A membership sits beside its identity. The identity is length-prefixed: `u:a#b` in
/// `c` and `u:a` in `b#c` must not meet.
pub fn membership(workspace: &str, identity: &str, account: &str) -> Key {
    Key::new(
        identity_partition(workspace, shard(identity)),
        format!("{MEMBERSHIP_PREFIX}{}#{identity}#{account}", identity.len()),
    )
}

/// The sort-key prefix of an identity's memberships (one Query reads them).
pub fn memberships_prefix(identity: &str) -> String {
    format!("{MEMBERSHIP_PREFIX}{}#{identity}#", identity.len())
}

/// The identities linked to `target` (the reverse of `linked_to`): one item per link, in
/// the target's own partition, so that one Query finds who is linked to a user.
pub fn links_partition(workspace: &str, target: &str) -> String {
    format!("WS#{workspace}#LN#{target}")
}

pub fn link(workspace: &str, target: &str, source: &str) -> Key {
    Key::new(links_partition(workspace, target), source)
}

/// GSI1 of a membership: the members of an account.
pub fn members_of(workspace: &str, account: &str) -> String {
    format!("WS#{workspace}#MEMBERS#{account}")
}

pub fn account_partition(workspace: &str, shard: u32) -> String {
    format!("WS#{workspace}#AC#{shard:02}")
}

pub fn account(workspace: &str, account: &str) -> Key {
    Key::new(
        account_partition(workspace, shard(account)),
        format!("C#{account}"),
    )
}

/// The first use of an event by an account (core features), one item per pair.
pub fn first_use(workspace: &str, account: &str, event: &str) -> Key {
    Key::new(format!("WS#{workspace}#FU#{account}"), format!("F#{event}"))
}

// --- usage and message ids ----------------------------------------------------------------

pub fn usage_partition(workspace: &str, shard: u32) -> String {
    format!("WS#{workspace}#U#{shard:02}")
}

/// One identity's counts on one day. Day first: the recompute reads each shard from a
/// day on with one key-range Query.
pub fn usage(workspace: &str, identity: &str, on: Day) -> Key {
    Key::new(
        usage_partition(workspace, shard(identity)),
        format!("{}#{identity}", day(on)),
    )
}

/// The lowest usage sort key of a day.
pub fn usage_from(on: Day) -> String {
    format!("{}#", day(on))
}

/// The message-id log of one identity: one item per stored group of calls.
pub fn messages_partition(workspace: &str, identity: &str) -> String {
    format!("WS#{workspace}#MSG#{identity}")
}

pub fn messages(workspace: &str, identity: &str, accepted_ms: i64, token: &str) -> Key {
    Key::new(
        messages_partition(workspace, identity),
        format!("{}#{token}", millis(accepted_ms)),
    )
}

// --- computed results ----------------------------------------------------------------------

/// A profile's results live under its generation: deleting a profile moves it to the next
/// generation, so everything computed before disappears at once.
pub fn results_partition(workspace: &str, profile: &str, generation: u64) -> String {
    format!("WS#{workspace}#R#{profile}#{generation}")
}

pub const COMPUTATION_PREFIX: &str = "DAY#";

pub fn computation(workspace: &str, profile: &str, generation: u64, on: Day) -> Key {
    Key::new(
        results_partition(workspace, profile, generation),
        format!("{COMPUTATION_PREFIX}{}", day(on)),
    )
}

/// The sort keys of one save's index of a day and kind share this prefix.
pub fn index_prefix(on: Day, kind: SubjectKind) -> String {
    format!("IDX#{}#{}#", day(on), kind.as_str())
}

pub fn index_chunk(
    workspace: &str,
    profile: &str,
    generation: u64,
    on: Day,
    kind: SubjectKind,
    save: &str,
    chunk: usize,
) -> Key {
    Key::new(
        results_partition(workspace, profile, generation),
        format!("{}{save}#{chunk:04}", index_prefix(on, kind)),
    )
}

/// Points at the current span state of a kind (open spans and those closed on its day).
pub fn span_state(workspace: &str, profile: &str, generation: u64, kind: SubjectKind) -> Key {
    Key::new(
        results_partition(workspace, profile, generation),
        format!("STATE#{}", kind.as_str()),
    )
}

pub fn span_state_prefix(kind: SubjectKind) -> String {
    format!("STATE#{}#", kind.as_str())
}

pub fn span_state_chunk(
    workspace: &str,
    profile: &str,
    generation: u64,
    kind: SubjectKind,
    save: &str,
    chunk: usize,
) -> Key {
    Key::new(
        results_partition(workspace, profile, generation),
        format!("{}{save}#{chunk:04}", span_state_prefix(kind)),
    )
}

/// Which subjects each extra rule matched on a day (a list item, see `lists.rs`).
pub fn rule_matches(workspace: &str, profile: &str, generation: u64, on: Day) -> Key {
    Key::new(
        results_partition(workspace, profile, generation),
        format!("RULES#{}", day(on)),
    )
}

/// The spans a day opened, per kind (a list item, see `lists.rs`).
pub fn entered(workspace: &str, profile: &str, generation: u64, kind: SubjectKind, on: Day) -> Key {
    Key::new(
        results_partition(workspace, profile, generation),
        format!("ENTERED#{}#{}", day(on), kind.as_str()),
    )
}

/// A chunk of a list stored under `list` (its sort key, then the save and the number).
pub fn list_chunk(list: &Key, save: &str, chunk: usize) -> Key {
    Key::new(
        &list.pk,
        format!("{}{save}#{chunk:04}", list_chunk_prefix(list)),
    )
}

pub fn list_chunk_prefix(list: &Key) -> String {
    format!("{}#", list.sk)
}

/// One subject's results: a snapshot per computed day and its segment spans.
pub fn subject_partition(
    workspace: &str,
    profile: &str,
    generation: u64,
    kind: SubjectKind,
    subject: &str,
) -> String {
    format!(
        "WS#{workspace}#R#{profile}#{generation}#{}#S#{subject}",
        kind.as_str()
    )
}

pub const SNAPSHOT_PREFIX: &str = "DAY#";
pub const SPAN_PREFIX: &str = "SPAN#";

pub fn snapshot(
    workspace: &str,
    profile: &str,
    generation: u64,
    kind: SubjectKind,
    subject: &str,
    on: Day,
) -> Key {
    Key::new(
        subject_partition(workspace, profile, generation, kind, subject),
        format!("{SNAPSHOT_PREFIX}{}", day(on)),
    )
}

pub fn snapshot_day(on: Day) -> String {
    format!("{SNAPSHOT_PREFIX}{}", day(on))
}

pub fn span(
    workspace: &str,
    profile: &str,
    generation: u64,
    kind: SubjectKind,
    subject: &str,
    segment: &str,
    entered: Day,
) -> Key {
    Key::new(
        subject_partition(workspace, profile, generation, kind, subject),
        format!("{SPAN_PREFIX}{segment}#{}", day(entered)),
    )
}

/// GSI1 of a span: the spans of a segment, sharded by subject so that a recompute moving
/// many subjects into one segment spreads its index writes.
pub fn segment_spans(
    workspace: &str,
    profile: &str,
    generation: u64,
    kind: SubjectKind,
    segment: &str,
    shard: u32,
) -> String {
    format!(
        "WS#{workspace}#R#{profile}#{generation}#{}#G#{segment}#{shard:02}",
        kind.as_str()
    )
}

pub fn segment_span_sort(subject: &str, entered: Day) -> String {
    format!("{subject}#{}", day(entered))
}

// --- alerts ----------------------------------------------------------------------------------

/// An alert, by id (insert-if-absent is a conditional Put), in one of the workspace's
/// shards. Its GSI1 entry lists the workspace's alerts newest first ([`alerts_by_time`]).
pub fn alert(workspace: &str, id: &str) -> Key {
    Key::new(
        format!("WS#{workspace}#AL#{:02}", shard(id)),
        format!("AL#{id}"),
    )
}

/// GSI1 partition of a workspace's alerts, sorted by [`alert_time_sort`].
pub fn alerts_by_time(workspace: &str) -> String {
    format!("WS#{workspace}#ALERTS")
}

/// Raised time first (newest-first Queries, keyset cursors), then the id (unique).
pub fn alert_time_sort(raised_ms: i64, id: &str) -> String {
    format!("{}#{id}", millis(raised_ms))
}

/// The alerts waiting for delivery, across workspaces: one item per pending or retrying
/// alert (deleted when it is delivered, failed or logged), oldest raised first in each of
/// [`SHARDS`] partitions.
pub fn due_partition(shard: u32) -> String {
    format!("DUE#{shard:02}")
}

pub fn due(workspace: &str, id: &str, raised_ms: i64) -> Key {
    Key::new(
        due_partition(self::shard(&format!("{workspace}#{id}"))),
        format!("{}#{workspace}#{id}", millis(raised_ms)),
    )
}

/// When each subject last alerted for a rule (cooldowns): one item per (rule, subject).
pub fn last_alerts_partition(workspace: &str, rule: &str) -> String {
    format!("WS#{workspace}#LAST#{rule}")
}

pub fn last_alert(workspace: &str, rule: &str, subject: &str) -> Key {
    Key::new(
        last_alerts_partition(workspace, rule),
        format!("S#{subject}"),
    )
}

// --- staging of a sharded recompute ---------------------------------------------------------

/// Everything one recompute run stages, in one partition: the final step reads it with one
/// (paginated) Query. The run id is the caller's, the last part of the key.
pub fn recompute_run_partition(workspace: &str, run: &str) -> String {
    format!("WS#{workspace}#RUN#{run}")
}

/// One chunk of one put of a shard: shard first (the run's chunks sort by shard), then the
/// put's save id (a retried shard's chunks never mix with an earlier put's), then the index.
pub fn recompute_part(workspace: &str, run: &str, shard: u32, save: &str, index: usize) -> Key {
    Key::new(
        recompute_run_partition(workspace, run),
        format!("P#{shard:02}#{save}#{index:05}"),
    )
}

/// The sort-key prefix of the shards' pointers (one Query finds every current put).
pub const RECOMPUTE_SHARD_PREFIX: &str = "S#";

/// Names the shard's current put (its save id and chunk count).
pub fn recompute_shard(workspace: &str, run: &str, shard: u32) -> Key {
    Key::new(
        recompute_run_partition(workspace, run),
        format!("{RECOMPUTE_SHARD_PREFIX}{shard:02}"),
    )
}

/// The set of shards done.
pub fn recompute_done(workspace: &str, run: &str) -> Key {
    Key::new(recompute_run_partition(workspace, run), "DONE")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(text: &str) -> Day {
        text.parse().unwrap()
    }

    #[test]
    fn shards_are_stable_and_in_range() {
        // Pinned: a change here would strand every stored identity.
        assert_eq!(shard(""), 0xcbf2_9ce4_8422_2325_u64 as u32 % SHARDS);
        assert_eq!(shard("u:u-1"), shard("u:u-1"));
        let shards: std::collections::BTreeSet<u32> =
            (0..1000).map(|n| shard(&format!("u:user-{n}"))).collect();
        assert_eq!(shards.len(), SHARDS as usize, "1000 users use every shard");
        assert!(shards.iter().all(|shard| *shard < SHARDS));
    }

    #[test]
    fn a_shard_value_is_pinned() {
        // FNV-1a 64 computed independently (Python): a change here strands stored data.
        assert_eq!(shard("u:u-1"), 15);
        assert_eq!(shard("acme-inc"), 14);
    }

    #[test]
    fn day_and_millis_keys_sort_as_time_does() {
        assert!(day(on("2026-12-09")) < day(on("2026-12-10")));
        assert!(millis(999) < millis(1_000));
        assert_eq!(millis(1_764_000_000_000).len(), 15);
        assert_eq!(millis(-5), millis(0), "no negative key");
    }

    #[test]
    fn usage_keys_put_the_day_first_so_a_range_reads_days_from_one_on() {
        let key = usage("acme", "u:u-1", on("2026-12-01"));
        assert_eq!(key.pk, format!("WS#acme#U#{:02}", shard("u:u-1")));
        assert_eq!(key.sk, "2026-12-01#u:u-1");
        assert!(key.sk >= usage_from(on("2026-12-01")));
        assert!(key.sk < usage_from(on("2026-12-02")));
        assert!(usage("acme", "u:~", on("2026-11-30")).sk < usage_from(on("2026-12-01")));
    }

    #[test]
    fn every_row_of_an_identity_is_in_partitions_of_its_shard_number() {
        // A recompute shard reads the identity and usage partitions of the same numbers:
        // an identity's traits, activity (lifetime counts), memberships and usage must all
        // carry the shard of its own key.
        for identity in ["u:alice", "a:anon-1", "u:u#1"] {
            let number = format!("#{:02}", shard(identity));
            assert!(
                super::identity("w", identity)
                    .pk
                    .ends_with(&format!("#ID{number}"))
            );
            assert!(
                activity("w", identity)
                    .pk
                    .ends_with(&format!("#ID{number}"))
            );
            assert!(
                membership("w", identity, "acme")
                    .pk
                    .ends_with(&format!("#ID{number}"))
            );
            assert!(
                usage("w", identity, on("2026-12-01"))
                    .pk
                    .ends_with(&format!("#U{number}"))
            );
        }
    }

    #[test]
    fn a_recompute_runs_items_share_one_partition_sorted_by_shard() {
        let part = recompute_part("acme", "run-1", 2, "s1", 7);
        assert_eq!(part.pk, "WS#acme#RUN#run-1");
        assert_eq!(part.sk, "P#02#s1#00007");
        assert!(part.sk < recompute_part("acme", "run-1", 10, "s0", 0).sk);
        assert_eq!(recompute_shard("acme", "run-1", 2).pk, part.pk);
        assert_eq!(recompute_shard("acme", "run-1", 2).sk, "S#02");
        assert_eq!(recompute_done("acme", "run-1").pk, part.pk);
        assert_ne!(
            recompute_done("acme", "run-1").pk,
            recompute_done("globex", "run-1").pk
        );
    }

    #[test]
    fn identity_items_share_their_shard_partition() {
        let profile = identity("acme", "a:anon-1");
        let activity = activity("acme", "a:anon-1");
        let membership = membership("acme", "a:anon-1", "acme-inc");
        assert_eq!(profile.pk, activity.pk);
        assert_eq!(profile.pk, membership.pk);
        assert_eq!(profile.sk, "I#a:anon-1");
        assert_eq!(activity.sk, "A#a:anon-1");
        assert_eq!(membership.sk, "M#8#a:anon-1#acme-inc");
    }

    #[test]
    fn memberships_with_hashes_in_ids_do_not_collide() {
        assert_ne!(
            membership("w", "u:a#b", "c").sk,
            membership("w", "u:a", "b#c").sk
        );
    }

    #[test]
    fn workspaces_and_tenants_never_share_a_partition() {
        assert_ne!(identity("acme", "u:1").pk, identity("acme2", "u:1").pk);
        assert_ne!(
            messages("a", "u:1", 5, "t").pk,
            messages("b", "u:1", 5, "t").pk
        );
        assert_eq!(workspace("acme").pk, WORKSPACES);
        assert_eq!(profile("acme", "cs").sk, "PROFILE#cs");
    }

    #[test]
    fn message_log_keys_sort_by_acceptance_time() {
        let early = messages("acme", "u:1", 1_000, "ffff");
        let late = messages("acme", "u:1", 2_000, "0000");
        assert_eq!(early.pk, late.pk);
        assert!(early.sk < late.sk);
        assert!(late.sk >= millis(2_000));
    }

    #[test]
    fn results_live_under_the_profile_generation() {
        let day = on("2026-12-01");
        let first = computation("acme", "cs", 0, day);
        let next = computation("acme", "cs", 1, day);
        assert_ne!(first.pk, next.pk);
        assert_eq!(first.sk, "DAY#2026-12-01");
        let chunk = index_chunk("acme", "cs", 0, day, SubjectKind::Users, "s1", 3);
        assert_eq!(chunk.pk, first.pk);
        assert!(chunk.sk.starts_with(&index_prefix(day, SubjectKind::Users)));
        assert_eq!(chunk.sk, "IDX#2026-12-01#users#s1#0003");
        assert!(
            !chunk
                .sk
                .starts_with(&index_prefix(day, SubjectKind::Accounts))
        );
    }

    #[test]
    fn definitions_of_each_kind_share_a_prefix_beside_the_profiles() {
        let segment = definition("acme", "segment", "at_risk");
        assert_eq!(segment.pk, workspace_partition("acme"));
        assert_eq!(segment.sk, "DEF#segment#at_risk");
        assert!(segment.sk.starts_with(&definition_prefix("segment")));
        assert!(
            !definition("acme", "alert_rule", "x")
                .sk
                .starts_with(&definition_prefix("segment"))
        );
        assert!(!segment.sk.starts_with(PROFILE_PREFIX));
    }

    #[test]
    fn an_identitys_memberships_share_a_prefix_no_other_identity_has() {
        let prefix = memberships_prefix("u:a");
        assert!(membership("w", "u:a", "acme").sk.starts_with(&prefix));
        assert!(!membership("w", "u:a#b", "acme").sk.starts_with(&prefix));
        assert!(!membership("w", "u:ab", "acme").sk.starts_with(&prefix));
    }

    #[test]
    fn list_chunks_follow_their_list_and_no_other() {
        let day = on("2026-12-01");
        let users = entered("acme", "cs", 0, SubjectKind::Users, day);
        let accounts = entered("acme", "cs", 0, SubjectKind::Accounts, day);
        let chunk = list_chunk(&users, "s1", 2);
        assert_eq!(chunk.pk, users.pk);
        assert_eq!(chunk.sk, "ENTERED#2026-12-01#users#s1#0002");
        assert!(chunk.sk.starts_with(&list_chunk_prefix(&users)));
        assert!(!chunk.sk.starts_with(&list_chunk_prefix(&accounts)));
        let rules = rule_matches("acme", "cs", 0, day);
        assert_eq!(rules.sk, "RULES#2026-12-01");
        assert!(
            !rules.sk.starts_with(COMPUTATION_PREFIX),
            "latest_day reads DAY# only"
        );
    }

    #[test]
    fn alert_keys_sort_by_raised_time_and_spread_over_shards() {
        assert_eq!(alert("acme", "a1").sk, "AL#a1");
        assert!(alert("acme", "a1").pk.starts_with("WS#acme#AL#"));
        assert!(alert_time_sort(999, "z") < alert_time_sort(1_000, "a"));
        let due_early = due("acme", "a1", 1_000);
        assert!(due_early.pk.starts_with("DUE#"));
        assert!(due_early.sk < due("globex", "a0", 2_000).sk);
        assert_eq!(due_early.sk, "000000000001000#acme#a1");
        assert_ne!(
            last_alert("acme", "r1", "s").pk,
            last_alert("acme", "r2", "s").pk
        );
    }

    #[test]
    fn links_live_under_their_target() {
        let key = link("acme", "u:u-1", "a:anon-1");
        assert_eq!(key.pk, "WS#acme#LN#u:u-1");
        assert_eq!(key.sk, "a:anon-1");
        assert_ne!(
            first_use("acme", "a", "b#c").pk,
            first_use("acme", "a#b", "c").pk
        );
    }

    #[test]
    fn a_subjects_snapshots_and_spans_share_its_partition() {
        let day = on("2026-12-01");
        let snapshot = snapshot("acme", "cs", 0, SubjectKind::Users, "bob", day);
        let span = span("acme", "cs", 0, SubjectKind::Users, "bob", "engaged", day);
        assert_eq!(snapshot.pk, span.pk);
        assert_eq!(snapshot.sk, snapshot_day(day));
        assert_eq!(span.sk, "SPAN#engaged#2026-12-01");
        assert_ne!(
            snapshot.pk,
            subject_partition("acme", "cs", 0, SubjectKind::Accounts, "bob"),
            "a user and an account of the same name are apart"
        );
        assert_eq!(
            segment_spans("acme", "cs", 0, SubjectKind::Users, "engaged", 3),
            "WS#acme#R#cs#0#users#G#engaged#03"
        );
    }
}
