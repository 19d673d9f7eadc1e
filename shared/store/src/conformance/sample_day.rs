//! The computed day that list, sort and replace checks read: five users and two accounts
//! whose order differs for every sort field and direction.

use pulse_core::snapshot::SnapshotKeys;
use pulse_core::{SubjectKind, WorkspaceId};

use super::fixtures::{PROFILE, at, day, ids, member, snapshot_of};
use crate::{ListQuery, Store, StoredSnapshot};

pub const DAY: &str = "2026-12-01";

#[allow(clippy::too_many_arguments)]
pub fn user(
    subject: &str,
    score: f64,
    raw_score: f64,
    score_change: Option<f64>,
    activation: Option<f64>,
    frequency: f64,
    last_seen: Option<&str>,
    accounts: &[&str],
    segments: &[&str],
) -> StoredSnapshot {
    snapshot_of(
        subject,
        SnapshotKeys {
            score,
            raw_score,
            score_change,
            activation,
            frequency,
            last_seen: last_seen.map(at),
            accounts: accounts.iter().map(|account| account.to_string()).collect(),
            segments: segments.iter().map(|segment| segment.to_string()).collect(),
        },
    )
}

/// Five users whose order differs for every sort field and direction. Numbers with
/// different digit counts and signs catch a store that sorts them as text.
pub fn five_users() -> Vec<StoredSnapshot> {
    vec![
        user(
            "alice",
            100.0,
            1000.0,
            Some(-5.0),
            Some(100.0),
            7.0,
            Some("2026-12-01T16:00:00Z"),
            &["acme"],
            &["most_engaged", "activated"],
        ),
        user(
            "bob",
            55.0,
            80.0,
            Some(12.0),
            None,
            3.0,
            Some("2026-11-20T08:00:00Z"),
            &["acme", "globex"],
            &["engaged"],
        ),
        user(
            "carol",
            9.0,
            100.0,
            None,
            Some(0.0),
            6.0,
            Some("2026-11-25T09:00:00Z"),
            &["globex"],
            &["least_engaged", "new"],
        ),
        user(
            "dave",
            10.0,
            9.0,
            Some(-15.0),
            Some(50.0),
            2.0,
            None,
            &[],
            &["least_engaged"],
        ),
        user(
            "erin",
            75.0,
            250.0,
            Some(3.0),
            Some(66.7),
            5.0,
            Some("2026-11-18T23:59:59.999Z"),
            &["initech"],
            &["engaged", "red_hot"],
        ),
    ]
}

pub fn two_accounts() -> Vec<StoredSnapshot> {
    vec![
        member("acme", 72.5, &["engaged", "multi_user"]),
        member("globex", 41.25, &["passive"]),
    ]
}

pub async fn list_ids(
    store: &dyn Store,
    workspace: &WorkspaceId,
    kind: SubjectKind,
    query: &ListQuery,
) -> Vec<String> {
    let page = store
        .snapshots(workspace, PROFILE, kind, day(DAY), query)
        .await
        .unwrap_or_else(|error| panic!("listing {query:?}: {error}"));
    ids(&page)
}
