//! What alert evaluation reads besides lists: each subject's numbers on a day (from the
//! day's index), the computed day before another (a key range of the computation items),
//! and which subjects each extra rule matched on a day (a list item per profile and day,
//! under the profile's generation: deleting the profile drops it with its results).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use pulse_core::snapshot::SnapshotKeys;
use pulse_core::{Day, SubjectKind};

use super::{Results, index};
use crate::dynamodb::attrs;
use crate::dynamodb::db::{Db, QuerySpec, Range};
use crate::dynamodb::keys::{self, entity};
use crate::dynamodb::lists::{get_list, put_list};
use crate::error::StoreError;

pub(crate) async fn keys_on(
    db: &Db,
    workspace: &str,
    profile: &str,
    kind: SubjectKind,
    day: Day,
) -> Result<HashMap<String, SnapshotKeys>, StoreError> {
    let results = Results::of(db, workspace, profile).await?;
    Ok(index(db, &results, kind, day)
        .await?
        .into_iter()
        .map(|row| (row.subject, row.keys))
        .collect())
}

/// The greatest computed day strictly before `day`: the computation items up to `day`,
/// newest first (two at most: `day` itself may be one of them).
pub(crate) async fn previous_day(
    db: &Db,
    workspace: &str,
    profile: &str,
    day: Day,
) -> Result<Option<Day>, StoreError> {
    let results = Results::of(db, workspace, profile).await?;
    let spec = QuerySpec {
        newest_first: true,
        limit: Some(2),
        ..QuerySpec::table(
            results.partition(),
            Range::Between(
                keys::COMPUTATION_PREFIX.to_string(),
                results.computation(day).sk,
            ),
        )
    };
    for item in db.query(&spec).await? {
        let computed = attrs::get_day(&item, "day")?;
        if computed < day {
            return Ok(Some(computed));
        }
    }
    Ok(None)
}

/// Subject text per list row: a rule matching 100,000 subjects is cut into rows of about
/// 64 KB, so that no row outgrows a chunk (300 KB of JSON).
const ROW_BYTES: usize = 64 * 1024;

pub(crate) async fn put_rule_matches(
    db: &Db,
    workspace: &str,
    profile: &str,
    day: Day,
    matches: &BTreeMap<String, BTreeSet<String>>,
) -> Result<(), StoreError> {
    let results = Results::of(db, workspace, profile).await?;
    let mut rows: Vec<(&str, Vec<&str>)> = Vec::new();
    for (rule, subjects) in matches {
        let mut row: Vec<&str> = Vec::new();
        let mut bytes = 0;
        for subject in subjects {
            if !row.is_empty() && bytes + subject.len() > ROW_BYTES {
                rows.push((rule, std::mem::take(&mut row)));
                bytes = 0;
            }
            bytes += subject.len() + 3;
            row.push(subject);
        }
        rows.push((rule, row));
    }
    let key = keys::rule_matches(workspace, profile, results.generation, day);
    put_list(db, &key, entity::RULE_MATCHES, &rows).await
}

pub(crate) async fn rule_matches(
    db: &Db,
    workspace: &str,
    profile: &str,
    day: Day,
) -> Result<BTreeMap<String, BTreeSet<String>>, StoreError> {
    let results = Results::of(db, workspace, profile).await?;
    let key = keys::rule_matches(workspace, profile, results.generation, day);
    let rows: Vec<(String, Vec<String>)> = get_list(db, &key).await?.unwrap_or_default();
    let mut matches: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rule, subjects) in rows {
        matches.entry(rule).or_default().extend(subjects);
    }
    Ok(matches)
}
